"""The pytest node id of a stored test (pure): what the quarantine forms deselect or mark."""

from __future__ import annotations


def _is_pytest_scope(module_parts: list[str], classes: list[str]) -> bool:
    """Whether a dotted scope can be a pytest test by pytest's default collection rules.

    Defaults: modules ``test_*.py`` / ``*_test.py``, classes ``Test*``. A Java/Surefire test
    (``com.acme.billing.CouponValidationTest``) fails both and is not given a fake ``.py`` path.
    """
    if any(not c.startswith("Test") for c in classes):
        return False
    if not module_parts:
        return False
    last = module_parts[-1]
    return last.startswith("test_") or last.endswith("_test") or last == "test"


def pytest_node_id(identity: str, file: str | None, classname: str | None, name: str) -> str | None:
    """A pytest node id for a stored test, or None when the test cannot be a pytest test.

    An identity that already is a node id (``tests/test_x.py::test_y``) is kept. Otherwise the scope
    is dotted, as JUnit XML and Argus identities (``<scope>::<name>``) write it
    (``tests.test_x.TestC``): trailing capitalised parts are classes, the rest the module path (or
    ``file`` when the report gave it). Without a ``.py`` file, the scope must follow pytest's default
    naming (see :func:`_is_pytest_scope`).
    """
    if ".py::" in identity:
        return identity
    scope = classname or (identity.split("::", 1)[0] if "::" in identity else "")
    parts = [p for p in scope.split(".") if p]
    classes: list[str] = []
    while parts and parts[-1][:1].isupper():
        classes.insert(0, parts.pop())
    if file and file.endswith(".py"):
        module = file
    elif parts and _is_pytest_scope(parts, classes):
        module = "/".join(parts) + ".py"
    else:
        return None
    return "::".join([module, *classes, name])
