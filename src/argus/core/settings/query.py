"""Settings of guarded queries and questions (``[query]``, ``ARGUS_QUERY__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class QuerySettings(BaseModel):
    """Bounds of ``argus query``/``argus ask`` and the optional language model (see docs/query.md)."""

    max_rows: int = Field(1000, ge=1, le=100_000, description="Most rows a query returns (its LIMIT is capped).")
    timeout_s: float = Field(10.0, gt=0, le=600, description="Statement timeout of one query, in seconds.")
    catalogue_min_confidence: float = Field(
        1.0, ge=0, le=1, description="Share of a question's words the catalogue's slot parser must understand to "
        "answer it; below, it refuses and names the nearest intents.")
    pg_role: str | None = Field(
        None, pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL: role every query switches to (SET LOCAL ROLE); create it with "
        "`argus db create-readonly-role`. Unset: the application's role (read-only transaction still).")
    llm_base_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1); unset: no model.")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the API.")
    llm_api_key: SecretStr | None = Field(None, description="API key sent as a bearer token, if the API needs one.")
    llm_timeout_s: float = Field(30.0, gt=0, le=600, description="Timeout of one model request, in seconds.")
