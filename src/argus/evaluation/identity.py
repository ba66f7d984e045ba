"""Map the simulator's test ids onto the identities Argus stores (scoring glue)."""

from __future__ import annotations

from argus.ingest.testreports.identity import make_identity


def truth_identity(test_id: str) -> str:
    """The identity ingestion gives a test whose report id is ``test_id`` (pytest node id or pkg.Class.method)."""
    if "::" in test_id:
        path, *rest = test_id.split("::")
        module = path.removesuffix(".py").replace("/", ".")
        *classes, name = rest
        return make_identity(None, ".".join([module, *classes]), name, None)
    cls, name = test_id.rsplit(".", 1)
    return make_identity(None, cls, name, None)
