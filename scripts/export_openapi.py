"""Write the API's OpenAPI description to docs/openapi.json (or check it is current).

Usage: .venv/bin/python scripts/export_openapi.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from argus.api.openapi import comparable, openapi_document, render

TARGET = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def main(argv: list[str]) -> int:
    doc = openapi_document()
    if "--check" in argv:
        current = json.loads(TARGET.read_text(encoding="utf-8")) if TARGET.is_file() else {}
        if comparable(current) != comparable(doc):
            print(f"{TARGET} is out of date: run python scripts/export_openapi.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(render(doc), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
