"""An OpenAI-compatible chat endpoint that writes SQL over the semantic layer (optional).

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


def first_messages(question: str, examples: list[tuple[str, str]] | None = None) -> list[dict[str, str]]:
    system = SYSTEM + schema_text()
    if examples:
        system += "\n\nExamples:\n" + "\n".join(f"Q: {q}\nSQL: {s}" for q, s in examples)
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def extract_sql(text: str) -> str:
    m = re.search(r"```(?:sql)?\s*(.*?)```", text, re.S | re.I)
    return (m.group(1) if m else text).strip().rstrip(";").strip()
