"""The optional language-model clients, shared by the capabilities that draft with one (query: SQL;
investigation: hypotheses): an OpenAI-compatible chat endpoint (:class:`ModelClient`) or Anthropic's
native Messages API (:class:`AnthropicClient`).

Each capability keeps its own settings and builds the client from them. Both clients take chat messages (``{"role": "system" | "user" | "assistant", "content": TEXT}``) and return
the answer's text, or raise :class:`ModelUnavailable`; what a model returns is only ever a proposal
that the capability checks.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Chat messages, in order: ``{"role": "system" | "user" | "assistant", "content": TEXT}``.
Messages = list[dict[str, str]]

ANTHROPIC_URL = "https://api.anthropic.com"


class ModelUnavailable(Exception):
    """The endpoint could not be reached, timed out or answered with no usable text."""


@dataclass(frozen=True)
class ModelClient:
    """An OpenAI-compatible ``POST {base_url}/chat/completions`` (OpenAI, Ollama, vLLM, ...), temperature 0."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0

    def complete(self, messages: Messages) -> str:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            r = httpx.post(self.base_url.rstrip("/") + "/chat/completions", headers=headers, timeout=self.timeout_s,
                           json={"model": self.model, "messages": messages, "temperature": 0})
            r.raise_for_status()
            content = r.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ModelUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        if not isinstance(content, str) or not content.strip():
            raise ModelUnavailable("empty answer")
        return content


@dataclass(frozen=True)
class AnthropicClient:
    """Anthropic's Messages API: ``POST {base_url}/v1/messages`` with ``x-api-key`` and
    ``anthropic-version`` headers; the system prompt is the top-level ``system`` field, turns carry
    content blocks, and the answer is the text of the ``text`` blocks of ``content``. ``temperature``
    None: the API's default (not sent)."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    version: str = "2023-06-01"
    max_tokens: int = 1024
    temperature: float | None = 0.0

    def request_body(self, messages: Messages) -> dict[str, object]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
                 for m in messages if m["role"] in ("user", "assistant")]
        body: dict[str, object] = {"model": self.model, "max_tokens": self.max_tokens, "messages": turns}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if system:
            body["system"] = system
        return body

    def complete(self, messages: Messages) -> str:
        import httpx

        headers = {"anthropic-version": self.version, "content-type": "application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        base = self.base_url.rstrip("/")
        url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        try:
            r = httpx.post(url, headers=headers, timeout=self.timeout_s, json=self.request_body(messages))
            data = r.json() if r.content else {}
            if r.status_code >= 400 or data.get("type") == "error":
                err = data.get("error", {}) if isinstance(data, dict) else {}
                raise ModelUnavailable(f"HTTP {r.status_code} {err.get('type', '')}: {str(err.get('message', ''))[:200]}")
            blocks = data["content"]
            text = "".join(b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text")
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ModelUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        if not text.strip():
            raise ModelUnavailable(f"no text in the answer (stop_reason {data.get('stop_reason')})")
        return text
