"""Stack trace parsing and own-code fingerprints across runtimes."""

from __future__ import annotations

from argus.analysis.failures.stack import Frame, is_framework, own_frames, parse_frames, stack_fingerprint

PY = """Traceback (most recent call last):
  File "/home/runner/work/app/app/.venv/lib/python3.11/site-packages/_pytest/python.py", line 194, in call
    result = testfunction(**testargs)
  File "/home/runner/work/app/app/tests/test_db.py", line 12, in test_connect
    db.connect()
  File "/home/runner/work/app/app/src/app/db.py", line 40, in connect
    sock.connect(addr)
  File "/usr/lib/python3.11/socket.py", line 10, in connect
ConnectionRefusedError: [Errno 111] Connection refused"""

PYTEST = """tests/test_a.py:12: in test_x
    helper(3)
src/app/util.py:7: in helper
    raise ValueError("bad")
E   ValueError: bad"""

JAVA = """java.lang.AssertionError: expected:<1> but was:<2>
\tat org.junit.Assert.fail(Assert.java:89)
\tat org.junit.Assert.failNotEquals(Assert.java:835)
\tat com.acme.OrderServiceTest.testTotal(OrderServiceTest.java:42)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)"""

NODE = """Error: expect(received).toBe(expected)
    at Object.<anonymous> (/app/src/__tests__/sum.test.js:5:17)
    at Promise.then.completed (/app/node_modules/jest-circus/build/utils.js:298:28)"""

DOTNET = """   at Acme.Tests.CartTests.Total_IsSum() in /src/Acme.Tests/CartTests.cs:line 21
   at System.RuntimeMethodHandle.InvokeMethod(Object target)"""

GO = """panic: runtime error [recovered]
goroutine 7 [running]:
testing.tRunner.func1.2({0x5f0, 0xc})
\t/usr/local/go/src/testing/testing.go:1545 +0x238
example.com/acme/cart.(*Cart).Total(...)
\t/home/u/acme/cart/cart.go:33 +0x1d"""

RUBY = """/app/lib/cart.rb:10:in `total'
/usr/lib/ruby/gems/3.0.0/gems/rspec-core-3.12.0/lib/rspec/core/example.rb:263:in `instance_exec'"""


def keys(stack: str) -> list[str]:
    return [f.key() for f in own_frames(stack)]


def test_python_frames_are_innermost_first_and_skip_stdlib_and_pytest() -> None:
    assert parse_frames(PY)[0].key() == "python3.11/socket.py:connect"
    assert keys(PY) == ["app/db.py:connect", "tests/test_db.py:test_connect"]
    assert keys(PYTEST) == ["app/util.py:helper", "tests/test_a.py:test_x"]


def test_chained_python_traceback_uses_the_last_one() -> None:
    chained = PYTEST.replace("E   ValueError: bad", "") + (
        "\nDuring handling of the above exception, another exception occurred:\n"
        '  File "src/app/api.py", line 3, in handler\n'
    )
    assert keys(chained) == ["app/api.py:handler"]


def test_other_runtimes() -> None:
    assert keys(JAVA) == ["OrderServiceTest.java:com.acme.OrderServiceTest.testTotal"]
    assert keys(NODE) == ["__tests__/sum.test.js:Object.<anonymous>"]
    assert keys(DOTNET) == ["Acme.Tests/CartTests.cs:Acme.Tests.CartTests.Total_IsSum"]
    assert keys(GO) == ["cart/cart.go:example.com/acme/cart.(*Cart).Total"]
    assert keys(RUBY) == ["lib/cart.rb:total"]


def test_fingerprint_ignores_line_numbers_and_checkout_paths() -> None:
    moved = PY.replace("line 40", "line 44").replace("/home/runner/work/app/app/", "/builds/x/")
    fp, frames = stack_fingerprint(PY, frames=1)
    assert fp is not None and frames == ["app/db.py:connect"]
    assert stack_fingerprint(moved, frames=1)[0] == fp
    assert stack_fingerprint(PYTEST, frames=1)[0] != fp


def test_no_own_frames_means_no_fingerprint() -> None:
    assert stack_fingerprint(None) == (None, [])
    assert stack_fingerprint("just a message") == (None, [])
    only_framework = '  File "/usr/lib/python3.11/socket.py", line 10, in connect'
    assert stack_fingerprint(only_framework) == (None, [])


def test_project_can_mark_more_frames_as_framework() -> None:
    frame = Frame("Vendor.java", "com.vendor.Lib.call", 3)
    assert not is_framework(frame)
    assert is_framework(frame, skip_modules=("com.vendor.",))


def test_indented_pytest_long_repr_frames() -> None:
    text = (
        "    test_spark.py:821:\n    test_spark.py:836: in do_test_rsh_events\n    E   AssertionError: 1 != 0"
    )
    assert keys(text) == ["test_spark.py:do_test_rsh_events"]
