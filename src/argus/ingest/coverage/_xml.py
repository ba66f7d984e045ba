"""Safe loading of report inputs shared by the coverage and vulnerability parsers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element
from xml.parsers import expat

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

from argus.core.errors import RejectedInputError
from argus.core.values import MAX_INT32, clean_text, loads_json


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


def _forbid_entity(name: str, *args: Any) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


class _RootFound(Exception):
    def __init__(self, tag: str) -> None:
        self.tag = tag


StartHandler = Callable[[str, dict[str, str]], None]


def stream_xml(
    data: bytes, source: str, error: type[RejectedInputError], start: StartHandler,
    end: Callable[[str], None] | None = None,
) -> None:
    """Feed ``data`` to pyexpat with ``start``/``end`` element handlers (no tree is built).

    Same policy and messages as :func:`load_xml` (defusedxml's ``forbid_entities`` and
    ``forbid_external``, DTDs without entities allowed, as Cobertura and JaCoCo files declare one)
    at several times its speed: defusedxml.ElementTree runs the pure-Python ElementTree.
    Errors raised by the handlers propagate unchanged.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except DefusedXmlException as exc:
        raise error(source, f"refused XML ({type(exc).__name__}): entities and external references are not allowed") from None
    except expat.ExpatError as exc:
        raise error(source, f"not well-formed XML: {expat.ErrorString(exc.code)}: line {exc.lineno}, "
                            f"column {exc.offset}") from None
    except (LookupError, ValueError) as exc:
        if isinstance(exc, ValueError) and "encoding" not in str(exc):
            raise
        raise error(source, f"unsupported XML encoding: {exc}") from None


def root_tag(data: bytes, source: str, error: type[RejectedInputError]) -> str:
    """The root element's name, reading only as far as its start tag (same refusals as :func:`stream_xml`)."""

    def start(tag: str, attrs: dict[str, str]) -> None:
        raise _RootFound(tag)

    try:
        stream_xml(data, source, error, start)
    except _RootFound as found:
        return found.tag
    raise error(source, "not well-formed XML: no element found")  # pragma: no cover - expat raises first


def load_json(data: bytes, source: str, error: type[RejectedInputError]) -> Any:
    """Decode JSON with every string cleaned (:func:`argus.core.values.loads_json`)."""
    try:
        return loads_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise error(source, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise error(source, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise error(source, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise error(source, f"not valid JSON: {exc}") from None


def norm_path(path: str) -> str:
    """Forward slashes, no leading ``./``; NUL and lone surrogates replaced (:func:`clean_text`)."""
    p = clean_text(path).strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def to_int(value: Any, source: str, what: str, error: type[RejectedInputError], limit: int | None = MAX_INT32) -> int:
    """A non-negative integer up to ``limit`` (``None``: unbounded, e.g. hit counts only compared to 0)."""
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        raise error(source, f"{what}: expected an integer, got {repr(value)[:40]}") from None
    if n < 0 or (limit is not None and n > limit):
        raise error(source, f"{what}: expected an integer from 0 to {limit}, got {str(n)[:40]}")
    return n
