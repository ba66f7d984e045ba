"""Safe loading of report inputs shared by the coverage and vulnerability parsers."""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from argus.core.errors import RejectedInputError


def check_size(data: bytes, source: str, max_bytes: int, error: type[RejectedInputError]) -> None:
    if len(data) > max_bytes:
        raise error(source, f"file is above the limit of {max_bytes} bytes (ingest.max_file_bytes)")
    if not data.strip():
        raise error(source, "file is empty")


def load_xml(data: bytes, source: str, error: type[RejectedInputError]) -> Element:
    """Parse XML with defusedxml: entity declarations and external references are refused."""
    try:
        return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise error(source, f"refused XML ({type(exc).__name__}): entities and external references are not allowed") from None
    except SafeET.ParseError as exc:
        raise error(source, f"not well-formed XML: {exc}") from None


def load_json(data: bytes, source: str, error: type[RejectedInputError]) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise error(source, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise error(source, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def norm_path(path: str) -> str:
    """Forward slashes, no leading ``./``."""
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def to_int(value: Any, source: str, what: str, error: type[RejectedInputError]) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise error(source, f"{what}: expected an integer, got {value!r}") from None
    if n < 0:
        raise error(source, f"{what}: expected a non-negative integer, got {n}")
    return n
