"""Combining claim confidences into an insight confidence.

Default is the weakest link (the minimum): a conclusion is no more certain than its least certain
premise, and it never double-counts correlated evidence. ``product`` assumes independent premises
(stricter); ``mean`` is offered for reporting only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

from argus.reasoning.model import Claim


class Combination(StrEnum):
    WEAKEST_LINK = "weakest_link"
    PRODUCT = "product"
    MEAN = "mean"


def combine(values: Sequence[float], method: Combination = Combination.WEAKEST_LINK) -> float:
    """Combine probabilities; an empty sequence gives 0 (nothing supports the conclusion)."""
    if not values:
        return 0.0
    for v in values:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"confidence must be within [0, 1], got {v}")
    if method is Combination.WEAKEST_LINK:
        return min(values)
    if method is Combination.PRODUCT:
        return math.prod(values)
    return sum(values) / len(values)


def combine_claims(claims: Sequence[Claim], method: Combination = Combination.WEAKEST_LINK) -> float:
    return combine([c.confidence for c in claims], method)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (wide when ``n`` is small; (0, 1) when n = 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
