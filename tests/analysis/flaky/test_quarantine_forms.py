"""Quarantine for every runner: golden files, real runners where installed, conftest merge, no silent drops."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.analysis.flaky.readmodels import QuarantinedTest
from argus.core.errors import InputError
from argus.report.quarantine import BEGIN, END, export, merge_conftest, write_export

NOW = datetime(2026, 2, 1, tzinfo=UTC)
GOLDEN = Path(__file__).parent / "golden"


def _t(identity: str, classname: str | None, name: str, node_id: str | None = None) -> QuarantinedTest:
    return QuarantinedTest(identity, node_id, "quarantined", 0.9, None, NOW, classname, name)


TESTS = [
    _t("tests/test_api.py::test_fetch", "tests.test_api", "test_fetch", "tests/test_api.py::test_fetch"),
    _t("com.acme.billing.CouponValidationTest::rejectsExpired", "com.acme.billing.CouponValidationTest",
       "rejectsExpired"),
    _t("com.acme.billing.CouponTest::applies[2]", "com.acme.billing.CouponTest", "applies[2]"),
    _t("src/cart.test.js::Cart adds item", "Cart adds item", "Cart adds item"),
    _t("example.com/shop/cart::TestTotal", "example.com/shop/cart", "TestTotal"),
    _t("example.com/shop/cart::TestSplit/eur", "example.com/shop/cart", "TestSplit/eur"),
    _t("Shop.Tests.CartTests::AddsItem(qty: 2)", "Shop.Tests.CartTests", "AddsItem(qty: 2)"),
]


@pytest.mark.parametrize("fmt", ["surefire", "gradle", "jest", "go", "dotnet"])
def test_form_matches_golden_file(fmt: str) -> None:
    done = export(TESTS, fmt, project="shop", now=NOW)
    left = "".join(f"{x.identity}\t{x.reason}\n" for x in done.left_out)
    for suffix, text in ((".txt", done.text), (".left-out", left)):
        golden = GOLDEN / f"{fmt}{suffix}"
        if os.environ.get("ARGUS_UPDATE_GOLDEN"):
            golden.parent.mkdir(exist_ok=True)
            golden.write_text(text)
        assert text == golden.read_text(), f"{golden} differs (ARGUS_UPDATE_GOLDEN=1 rewrites it)"


def test_every_test_is_either_expressed_or_left_out_with_a_reason() -> None:
    for fmt in ("pytest", "conftest", "surefire", "gradle", "jest", "go", "dotnet"):
        done = export(TESTS, fmt, project="shop", now=NOW)
        for t in TESTS:
            mentioned = t.identity in {x.identity for x in done.left_out}
            key = (t.node_id or t.name or "").split("(")[0].split("[")[0].split("/")[0]
            assert mentioned or key in done.text.replace("\\", ""), (fmt, t.identity)
        assert all(x.reason for x in done.left_out)


def test_go_skip_regex_selects_only_the_quarantined_tests() -> None:
    pattern = re.compile(export(TESTS, "go", project="shop", now=NOW).text.strip())  # RE2 ⊂ Python re here
    assert pattern.search("TestTotal") and not pattern.search("TestTotalTax") and not pattern.search("TestSplit")


def test_jest_pattern_compiles_in_node_and_excludes_exactly_the_full_name() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the jest form is checked by its golden file only")
    pattern = export(TESTS, "jest", project="shop", now=NOW).text.strip()
    script = ("const re = new RegExp(process.argv[1], 'i');"
              "console.log(JSON.stringify(['Cart adds item', 'Cart adds item twice', 'Other'].map(n => re.test(n))));")
    out = subprocess.run([node, "-e", script, pattern], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[false,true,true]"


def test_jest_runner_accepts_the_pattern(tmp_path: Path) -> None:
    jest = os.environ.get("ARGUS_JEST") or shutil.which("jest")
    if jest is None:
        pytest.skip("jest not found (set ARGUS_JEST=/path/to/node_modules/.bin/jest): golden file only")
    (tmp_path / "cart.test.js").write_text(
        "describe('Cart', () => {\n"
        "  test('adds item', () => { throw new Error('flaky'); });\n"
        "  test('adds item twice', () => {});\n"
        "});\n")
    (tmp_path / "package.json").write_text("{}\n")  # jest's config lookup stops here
    pattern = export(TESTS, "jest", project="shop", now=NOW).text.strip()
    proc = subprocess.run([jest, "--rootDir", str(tmp_path), "--ci", "-t", pattern], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1 skipped" in proc.stderr and "1 passed" in proc.stderr, proc.stderr[-2000:]


USER_CONFTEST = '''import pytest

SEEN = []


@pytest.fixture
def answer():
    return 42


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.user_hook_ran)
'''


def _pytest(cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rX", "-m",
                           "user_hook_ran", "test_x.py"], cwd=cwd, capture_output=True, text=True)
    return proc.stdout


def test_conftest_export_merges_into_a_users_conftest(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "def test_one(answer):\n    assert answer == 0\n\ndef test_two(answer):\n    assert answer == 42\n")
    conftest = tmp_path / "conftest.py"
    conftest.write_text(USER_CONFTEST)
    quarantined = [_t("test_x.py::test_one", "test_x", "test_one", "test_x.py::test_one")]
    write_export(conftest, export(quarantined, "conftest", project="p", now=NOW).text, merge=True, force=False)
    text = conftest.read_text()
    assert text.startswith(USER_CONFTEST) and text.count(BEGIN) == 1
    # the user's fixture and hook still work; the quarantined test runs as xfail
    assert "1 passed, 1 xfailed" in _pytest(tmp_path)
    # a re-export replaces the block: nothing is quarantined any more, the user's code is unchanged
    write_export(conftest, export([], "conftest", project="p", now=NOW).text, merge=True, force=False)
    again = conftest.read_text()
    assert again.startswith(USER_CONFTEST) and again.count(BEGIN) == 1 and "test_x.py::test_one" not in again
    assert "1 failed, 1 passed" in _pytest(tmp_path)


def test_other_forms_never_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "quarantine.txt"
    target.write_text("mine\n")
    text = export(TESTS, "surefire", project="p", now=NOW).text
    with pytest.raises(InputError, match="exists: pass --force"):
        write_export(target, text, merge=False, force=False)
    assert target.read_text() == "mine\n"
    write_export(target, text, merge=False, force=True)
    assert target.read_text() == text


def test_unbalanced_markers_are_refused() -> None:
    with pytest.raises(InputError, match="unbalanced"):
        merge_conftest(f"x = 1\n{BEGIN}\n", f"{BEGIN}\n{END}\n")
