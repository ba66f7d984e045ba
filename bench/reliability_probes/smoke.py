"""The smallest probe: a fresh database migrates and reports its revision."""

from __future__ import annotations

from reliability_probes.common import ProbeEnv


def probe_db_upgrade(env: ProbeEnv) -> None:
    r = env.run("db", "upgrade")
    assert r.code == 0, r.explain()
