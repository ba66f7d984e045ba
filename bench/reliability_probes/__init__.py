"""Probe modules for ``bench/reliability.py``.

Each module here defines functions named ``probe_<what>(env: ProbeEnv) -> None`` (see
``bench/reliability_probes/common.py``). A probe raises ``AssertionError`` (or any exception) when
Argus loses data, crashes, leaks or hangs; returning normally means the probe passed. A module may
set ``DATABASES = ("sqlite",)`` to limit where its probes run (default: every database available).
"""
