"""Identity normalisation: stable across dialects and runs, distinct across parameters."""

from __future__ import annotations

from argus.ingest.testreports.identity import MAX_IDENTITY, make_identity


def test_python_path_classnames_become_dotted_module_paths() -> None:
    dotted = make_identity("pytest", "tests.test_a.TestX", "test_y", "tests/test_a.py")
    assert make_identity("pytest", "tests/test_a.py::TestX", "test_y", None) == dotted == "tests.test_a.TestX::test_y"
    assert make_identity(None, "tests/test_a.py", "test_z", None) == "tests.test_a::test_z"


def test_unstable_parts_are_masked_but_parameters_kept() -> None:
    a = make_identity(None, "k", "test_obj[<Foo object at 0x7f3a2b1c9d00>]", None)
    b = make_identity(None, "k", "test_obj[<Foo object at 0x7f99aa000010>]", None)
    assert a == b == "k::test_obj[<Foo object at 0x?>]"
    assert make_identity(None, "k", "t[1]", None) != make_identity(None, "k", "t[2]", None)
    assert make_identity(None, "k", "a  b", None) != make_identity(None, "k", "a b", None)
    assert make_identity(None, "Ns.C, Asm, Version=1.0.0.0, Culture=neutral", "M", None) == "Ns.C::M"
    assert make_identity(None, "k", "caf\u0065\u0301", None) == make_identity(None, "k", "caf\u00e9", None)


def test_scope_falls_back_to_suite_then_file_and_long_keys_are_hashed() -> None:
    assert make_identity("src/cart.test.js", "", "adds", None) == "src/cart.test.js::adds"
    assert make_identity(None, None, "adds", "cart.dart") == "cart.dart::adds"
    long_a = make_identity(None, "k", "x" * 2000 + "a", None)
    long_b = make_identity(None, "k", "x" * 2000 + "b", None)
    assert len(long_a) == MAX_IDENTITY and long_a != long_b


def test_blank_class_falls_back_to_suite() -> None:
    assert make_identity("suite", "  ", "t", None) == "suite::t"
