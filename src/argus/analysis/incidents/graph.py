"""The service graph file (``services.yaml``).

Either a mapping of service name → ``{depends_on: [...], owners: [...], runbooks: [...], slo: {objective: 0.999, metric: NAME}}`` or
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
    return {r.name: ServiceInfo(r.name, tuple(r.depends_on), tuple(r.owners), tuple(r.runbooks),
                                _objective((r.slo or {}).get("objective")), (r.slo or {}).get("metric"))
            for r in rows}


def _objective(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if 0 < f < 1 else None


def _slo(value: Any, where: str) -> tuple[float | None, str | None]:
    """``slo: {objective: 0.999, metric: error_ratio}`` (objective a fraction in (0, 1); or ``99.9`` %)."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected {{objective: 0.999, metric: <series name>}}")
    obj = value.get("objective")
    try:
        f = float(str(obj))
    except (TypeError, ValueError):
        raise InputError(f"{where}.objective: expected a number such as 0.999 or 99.9") from None
    f = f / 100 if f >= 1 else f
    if not 0 < f < 1:
        raise InputError(f"{where}.objective: {obj!r} is not within (0, 1) nor a percentage below 100")
    metric = value.get("metric")
    return f, (str(metric)[:255] if metric else None)


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
        objective, metric = _slo(body.get("slo"), f"{name}: {svc}.slo")
        out.append(ServiceInfo(svc[:200], _names(body.get("depends_on"), f"{name}: {svc}.depends_on"),
                               _names(body.get("owners"), f"{name}: {svc}.owners"),
                               _names(body.get("runbooks"), f"{name}: {svc}.runbooks"), objective, metric))
    return tuple(out)
