"""Types of the tests' command-line fixtures (``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``cli_json(argv)``: runs ``argus *argv --json`` in-process, fails the test on a non-zero exit, returns
#: the parsed JSON (the ``cli_json`` fixture).
CliJson = Callable[[list[str]], Any]
