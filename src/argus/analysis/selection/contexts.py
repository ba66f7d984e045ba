"""Coverage contexts → the test identities JUnit reports of the same suite get (pure).

coverage.py records, per executed line, the *contexts* that ran it. Two forms name tests:

* pytest-cov's ``--cov-context=test``: the pytest node id and the phase,
  ``tests/test_x.py::TestA::test_b[1]|run`` (also ``|setup`` and ``|teardown``); the phase is
  dropped, so fixture code a test's setup executes counts for that test;
* coverage.py's ``dynamic_context = test_function``: the dotted function name,
  ``tests.test_x.TestA.test_b`` (no parameters: it stands for every parametrisation of the test).

The identity is what :func:`argus.ingest.testreports.identity.make_identity` makes of pytest's JUnit
XML for the same test (class ``tests.test_x.TestA``, name ``test_b[1]``):
``tests.test_x.TestA::test_b[1]``. The empty context is code run outside any test (imports at
collection time): :data:`IMPORT_CONTEXT`.
"""

from __future__ import annotations

from dataclasses import dataclass

from argus.ingest.testreports.identity import make_identity, normalise_classname

IMPORT_CONTEXT = ""
_PHASES = ("|run", "|setup", "|teardown", "|call")


@dataclass(frozen=True)
class TestRef:
    """A test named by a coverage context: its identity, pytest node id and whether it stands for all
    parametrisations (``test_function`` contexts carry no parameters)."""

    __test__ = False

    identity: str
    node_id: str | None
    all_params: bool = False


def strip_phase(context: str) -> str:
    """``ctx`` without pytest-cov's ``|run`` / ``|setup`` / ``|teardown`` suffix."""
    for suffix in _PHASES:
        if context.endswith(suffix):
            return context[: -len(suffix)]
    return context


def _rsplit_name(s: str) -> tuple[str, str, str]:
    """``s.rpartition("::")`` ignoring a ``::`` inside the parameter part (``m::t[a::b]`` → ``m``, ``t[a::b]``)."""
    cut = s.find("[")
    if cut < 0:
        return s.rpartition("::")
    head, sep, name = s[:cut].rpartition("::")
    return head, sep, name + s[cut:]


def identity_of_node(node_id: str) -> str:
    """The JUnit identity of a pytest node id (``a/test_b.py::C::t[x]`` → ``a.test_b.C::t[x]``)."""
    head, sep, name = _rsplit_name(node_id)
    if not sep:
        return make_identity(None, None, node_id, None)
    return make_identity(None, normalise_classname(head), name, None)


def _node_of_dotted(scope: list[str], name: str) -> str | None:
    classes: list[str] = []
    parts = list(scope)
    while parts and parts[-1][:1].isupper():
        classes.insert(0, parts.pop())
    if not parts:
        return None
    return "::".join(["/".join(parts) + ".py", *classes, name])


def ref_of_context(context: str) -> TestRef | None:
    """The test a context names, or ``None`` for the import context and contexts naming no test."""
    ctx = strip_phase(context.strip())
    if not ctx:
        return None
    if "::" in ctx:
        file_part = ctx.split("::", 1)[0]
        node = ctx if file_part.endswith(".py") else None
        return TestRef(identity_of_node(ctx), node)
    parts = ctx.split(".")
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        return None
    name = parts[-1]
    identity = make_identity(None, ".".join(parts[:-1]), name, None)
    return TestRef(identity, _node_of_dotted(parts[:-1], name), all_params=True)


def base_identity(identity: str) -> str:
    """``identity`` without its parameter part (``m::t[1]`` → ``m::t``)."""
    head, sep, name = _rsplit_name(identity)
    if "[" in name and name.endswith("]"):
        name = name[: name.index("[")]
    return f"{head}{sep}{name}"


def node_of_identity(identity: str, file: str | None = None) -> str | None:
    """The pytest node id of a JUnit identity (``a.test_b.C::t[x]`` → ``a/test_b.py::C::t[x]``), or
    ``None`` when the scope cannot be a pytest module (a Java class, say). ``file``: the report's file."""
    if ".py::" in identity:
        return identity
    scope, sep, name = _rsplit_name(identity)
    if not sep:
        return None
    parts = [x for x in scope.split(".") if x]
    if file and file.endswith(".py"):
        classes: list[str] = []
        while parts and parts[-1][:1].isupper():
            classes.insert(0, parts.pop())
        return "::".join([file, *classes, name])
    node = _node_of_dotted(parts, name)
    if node is None:
        return None
    mod = node.split("::", 1)[0].rsplit("/", 1)[-1][:-3]
    return node if mod.startswith("test") or mod.endswith("_test") else None
