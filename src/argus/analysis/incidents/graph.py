"""The service graph file (``services.yaml``).

Either a mapping of service name → ``{depends_on: [...], owners: [...], runbooks: [...]}`` or
``{services: {...}}`` of the same, or a list of ``{name: ..., depends_on: ..., ...}``. A dependency on
a service that is not listed is kept (it is a node without details).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents.schemas import ServiceInfo
from argus.core.errors import InputError
from argus.store.models import ServiceNode


def load_graph(session: Session) -> dict[str, ServiceInfo]:
    """The project's stored service graph, by service name."""
    rows = session.scalars(select(ServiceNode))
    return {r.name: ServiceInfo(r.name, tuple(r.depends_on), tuple(r.owners), tuple(r.runbooks)) for r in rows}


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(x, (str, int)) for x in value):
        raise InputError(f"{where}: expected a list of names")
    return tuple(str(x)[:200] for x in value)


def parse_services(text: str, name: str = "services.yaml") -> tuple[ServiceInfo, ...]:
    """The services of a ``services.yaml`` (InputError naming the file and the field when malformed)."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: not YAML ({str(exc).splitlines()[0]})") from None
    if isinstance(doc, dict) and isinstance(doc.get("services"), (dict, list)):
        doc = doc["services"]
    items: list[tuple[str, Any]]
    if isinstance(doc, dict):
        items = [(str(k), v) for k, v in doc.items()]
    elif isinstance(doc, list):
        items = []
        for i, v in enumerate(doc):
            if not isinstance(v, dict) or not v.get("name"):
                raise InputError(f"{name}: services[{i}]: expected an object with a name")
            items.append((str(v["name"]), v))
    else:
        raise InputError(f"{name}: expected a mapping of service name to its dependencies, owners and runbooks")
    out = []
    for svc, body in items:
        body = body or {}
        if not isinstance(body, dict):
            raise InputError(f"{name}: {svc}: expected a mapping (depends_on, owners, runbooks)")
        out.append(ServiceInfo(svc[:200], _names(body.get("depends_on"), f"{name}: {svc}.depends_on"),
                               _names(body.get("owners"), f"{name}: {svc}.owners"),
                               _names(body.get("runbooks"), f"{name}: {svc}.runbooks")))
    return tuple(out)
