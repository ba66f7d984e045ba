"""The yappi part of the in-process profiles (``bench/api_request_profile.py``, ``bench/upload_profile.py``).

    from _profile import cpu_profile, yappi_available   # bench/ is on sys.path
    profile = yappi_available()                          # yappi is optional: pip install yappi
    stats, total = await cpu_profile(_drive(app, ...), builtins=False)
    ... sorted(stats, key=lambda s: s.tsub, reverse=True) ...
    yappi.clear_stats()
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any


def yappi_available() -> bool:
    """Whether yappi can be imported (without it the profiles print their CPU figures only)."""
    try:
        import yappi  # noqa: F401
    except ImportError:
        return False
    return True


async def cpu_profile(work: Awaitable[Any], *, builtins: bool) -> tuple[list[Any], float]:
    """Await ``work`` under yappi (CPU clock, all threads): (the function stats, their total own CPU seconds).
    The stats stay in yappi until the caller clears them."""
    import yappi

    yappi.set_clock_type("cpu")
    yappi.start(builtins=builtins, profile_threads=True)
    await work
    yappi.stop()
    stats = list(yappi.get_func_stats())
    return stats, sum(s.tsub for s in stats)

