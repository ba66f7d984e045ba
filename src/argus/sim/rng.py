"""Deterministic random streams derived from the seed and a label.

Each subsystem draws from its own stream (``stream(seed, "history", project)``), so changing how
one part consumes randomness does not shift the others. ``random.Random`` is used because its
``random()``/``getrandbits()`` sequence for a given integer seed is stable across Python versions.
"""

from __future__ import annotations

import hashlib
import random
import zlib


def stream(seed: int, *labels: object) -> random.Random:
    """A ``random.Random`` seeded from ``seed`` and ``labels`` (SHA-256 of their text)."""
    key = "\x1f".join([str(seed), *map(str, labels)]).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def unit_hash(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from ``parts`` (CRC-32; cheap, for per-line decisions)."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode()) / 4294967296.0


def poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth's method; ``mean`` is small here)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = 2.718281828459045 ** (-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
