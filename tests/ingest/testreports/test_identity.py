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


def test_describe_style_file_joins_the_identity_only_when_the_class_does_not_name_it() -> None:
    # jest/mocha: a describe title as class, the file in the file attribute or the suite name
    assert make_identity("jest tests", "Cart", "adds", "src/cart.test.js") == "src/cart.test.js::Cart::adds"
    assert make_identity("./src/cart.test.ts", "Cart", "adds", None) == "src/cart.test.ts::Cart::adds"
    assert make_identity("src\\cart.test.js", "Cart", "adds", None) == "src/cart.test.js::Cart::adds"
    # vitest writes the file as class: it already identifies the test
    assert make_identity("src/cart.test.ts", "src/cart.test.ts", "adds", None) == "src/cart.test.ts::adds"
    # absolute paths differ between machines: never part of an identity
    assert make_identity("/home/ci/src/cart.test.js", "Cart", "adds", None) == "Cart::adds"
    assert make_identity(None, "Cart", "adds", "C:\\ci\\src\\cart.test.js") == "Cart::adds"


def test_xunit_dialect_identities_are_unchanged_by_the_file_rule() -> None:
    assert make_identity("com.acme.FooTest", "com.acme.FooTest", "m()", None) == "com.acme.FooTest::m()"
    assert make_identity("pytest", "tests.test_a.TestX", "t", "tests/test_a.py") == "tests.test_a.TestX::t"
    assert make_identity("Suite", "FooTest", "Bar", "test/foo_test.cc") == "FooTest::Bar"  # GoogleTest
    assert make_identity("example.com/x/pkg", "example.com/x/pkg", "TestA", None) == "example.com/x/pkg::TestA"
    assert make_identity("Unit", "Tests.Unit.CartTest", "testAdd", "/ci/tests/Unit/CartTest.php") \
        == "Tests.Unit.CartTest::testAdd"
