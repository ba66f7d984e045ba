"""Settings of guarded queries and questions (``[query]``, ``ARGUS_QUERY__*``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr


class LlmProvider(StrEnum):
    """The API the optional model is reached through."""

    OPENAI = "openai"  # any OpenAI-compatible /chat/completions (OpenAI, Ollama, vLLM, ...)
    ANTHROPIC = "anthropic"  # Anthropic's native Messages API (/v1/messages)


class QuerySettings(BaseModel):
    """Bounds of ``argus query``/``argus ask`` and the optional language model (see docs/query.md)."""

    max_rows: int = Field(1000, ge=1, le=100_000, description="Most rows a query returns (its LIMIT is capped).")
    timeout_s: float = Field(10.0, gt=0, le=600, description="Statement timeout of one query, in seconds.")
    catalogue_min_confidence: float = Field(
        1.0, ge=0, le=1, description="Share of a question's words the catalogue's slot parser must understand to "
        "answer it; below, it refuses and names the nearest intents.")
    catalogue_strict_intents: bool = Field(
        True, description="A named catalogue intent answers only when it applies every slot the parser found "
        "(grouping, filter, time range, branch, author); false: the behaviour before (kept for the benchmark).")
    pg_role: str | None = Field(
        None, pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL: role every query switches to (SET LOCAL ROLE); create it with "
        "`argus db create-readonly-role`. Unset: the application's role (read-only transaction still).")
    llm_provider: LlmProvider = Field(
        LlmProvider.OPENAI, description="openai: an OpenAI-compatible /chat/completions; anthropic: Anthropic's "
        "Messages API (x-api-key and anthropic-version headers).")
    llm_base_url: str | None = Field(
        None, description="Base URL of the API (openai: e.g. http://127.0.0.1:11434/v1; anthropic: "
        "https://api.anthropic.com, the default when a key is set). Unset (and no anthropic key): no model.")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the API.")
    llm_api_key: SecretStr | None = Field(
        None, description="API key: a bearer token (openai, if the API needs one) or x-api-key (anthropic).")
    anthropic_version: str = Field("2023-06-01", description="anthropic-version header of the Messages API.")
    llm_max_tokens: int = Field(1024, ge=16, le=32_000, description="Most tokens of one answer (anthropic).")
    llm_timeout_s: float = Field(30.0, gt=0, le=600, description="Timeout of one model request, in seconds.")
