"""A language model that writes SQL over the semantic layer (optional): an OpenAI-compatible chat
endpoint (:class:`ModelClient`) or Anthropic's native Messages API (:class:`AnthropicClient`).

The model sees only the semantic layer's text and the question (and, when repairing, the guard's or
the database's error). What it returns is only ever *proposed* SQL: it runs through the guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argus.analysis.query.semantic import schema_text

SYSTEM = (
    "You translate questions into one SQLite/PostgreSQL-portable SELECT over these read-only views. "
    "Use only the views and columns listed. Answer with the SQL only, in a ```sql block.\n\n"
)


class ModelUnavailable(Exception):
    """The endpoint could not be reached, timed out or answered with no usable text."""


@dataclass(frozen=True)
class ModelClient:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0

    def complete(self, messages: list[dict[str, str]]) -> str:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            r = httpx.post(self.base_url.rstrip("/") + "/chat/completions", headers=headers, timeout=self.timeout_s,
                           json={"model": self.model, "messages": messages, "temperature": 0})
            r.raise_for_status()
            content = r.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        if not isinstance(content, str) or not content.strip():
            raise ModelUnavailable("empty answer")
        return content


@dataclass(frozen=True)
class AnthropicClient:
    """Anthropic's Messages API: ``POST {base_url}/v1/messages`` with ``x-api-key`` and
    ``anthropic-version`` headers; the system prompt is the top-level ``system`` field, turns carry
    content blocks, and the answer is the text of the ``text`` blocks of ``content``."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    version: str = "2023-06-01"
    max_tokens: int = 1024

    def request_body(self, messages: list[dict[str, str]]) -> dict[str, object]:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        turns = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
                 for m in messages if m["role"] in ("user", "assistant")]
        body: dict[str, object] = {"model": self.model, "max_tokens": self.max_tokens, "messages": turns,
                                   "temperature": 0}
        if system:
            body["system"] = system
        return body

    def complete(self, messages: list[dict[str, str]]) -> str:
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


def first_messages(question: str, examples: list[tuple[str, str]] | None = None) -> list[dict[str, str]]:
    system = SYSTEM + schema_text()
    if examples:
        system += "\n\nExamples:\n" + "\n".join(f"Q: {q}\nSQL: {s}" for q, s in examples)
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def extract_sql(text: str) -> str:
    m = re.search(r"```(?:sql)?\s*(.*?)```", text, re.S | re.I)
    return (m.group(1) if m else text).strip().rstrip(";").strip()
