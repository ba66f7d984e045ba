"""A language model that writes SQL over the semantic layer (optional): the prompt and the reading of
the answer; the clients (OpenAI-compatible or Anthropic's Messages API) are :mod:`argus.core.llm`.

The model sees only the semantic layer's text and the question (and, when repairing, the guard's or
the database's error). What it returns is only ever *proposed* SQL: it runs through the guard.
"""

from __future__ import annotations

import re

from argus.analysis.query.semantic import schema_text

SYSTEM = (
    "You translate questions into one SQLite/PostgreSQL-portable SELECT over these read-only views. "
    "Use only the views and columns listed. Answer with the SQL only, in a ```sql block.\n\n"
)


def first_messages(question: str, examples: list[tuple[str, str]] | None = None) -> list[dict[str, str]]:
    system = SYSTEM + schema_text()
    if examples:
        system += "\n\nExamples:\n" + "\n".join(f"Q: {q}\nSQL: {s}" for q, s in examples)
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def extract_sql(text: str) -> str:
    m = re.search(r"```(?:sql)?\s*(.*?)```", text, re.S | re.I)
    return (m.group(1) if m else text).strip().rstrip(";").strip()
