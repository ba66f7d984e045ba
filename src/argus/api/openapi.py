"""The OpenAPI description of the API as committed in ``docs/openapi.json``.

Regenerate after changing routes: ``.venv/bin/python scripts/export_openapi.py`` (``--check`` exits 1
on drift; ``tests/api/test_openapi.py`` fails on drift too). The served copy is
``/api/v1/openapi.json``.
"""

from __future__ import annotations

import json
from typing import Any


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of an app built with default settings (no database is touched)."""
    from argus.api.app import create_app
    from argus.app.runtime import Runtime
    from argus.core.settings import Settings

    return create_app(runtime=Runtime(Settings())).openapi()


def render(doc: dict[str, Any]) -> str:
    """The committed form: 2-space indented JSON, keys in FastAPI's order, a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without what changes on every release (``info.version``)."""
    info = {k: v for k, v in doc.get("info", {}).items() if k != "version"}
    return {**doc, "info": info}
