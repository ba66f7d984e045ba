"""The flaky probability: a Bayesian comparison of "flaky" against "stable", with its prior range.

Model (docs/analysis/flaky.md has the derivation). Over ``n`` clean runs (outages and regression
streaks removed) a test failed ``f = f_c + f_u`` times, ``f_c`` of them *confirmed* (a rerun of the
same code in the same environment passed).

* H1, flaky: runs fail independently at rate ``p ~ Beta(m·s, (1-m)·s)`` (default mean 0.1).
* H0, stable: failures are background noise at rate ``q ~ Beta(1, 1/ε_u - 1)`` (mean ``ε_u``,
  most mass near 0): infrastructure hiccups too small to be outages, and one-run regressions.
  Only the infrastructure part (``ε_c`` of ``ε_u``) can be confirmed by a passing rerun, so each
  confirmed failure multiplies the odds for H1 by ``ε_u / ε_c``.

Each hypothesis' marginal likelihood is a Beta-binomial term ``B(a+f, b+n-f) / B(a, b)``;
``P(flaky) = π·L1 / (π·L1 + (1-π)·L0)`` with prior ``π``. The interval is the range of this
posterior over a class of priors (π, ε and m each scaled by 1/3..3, 1/2..2): with few runs the
answer is at the mercy of the prior, so the range is wide; with many runs every prior agrees, so it
is narrow (robust Bayesian analysis, Berger 1990).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product

from argus.analysis.flaky.schemas import FlakyParams


def log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _bb(a: float, b: float, n: int, f: int) -> float:
    """Log marginal likelihood of one ordered sequence with ``f`` failures in ``n`` runs, rate ~ Beta(a, b)."""
    return log_beta(a + f, b + n - f) - log_beta(a, b)


def _logsumexp(xs: Sequence[float]) -> float:
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def posterior_flaky(
    n: int,
    f_confirmed: int,
    f_unconfirmed: int,
    *,
    prior: float,
    noise_confirmed: float,
    noise_unconfirmed: float,
    rate_mean: float,
    rate_strength: float,
    per_env: Sequence[tuple[int, int]] = (),
    env_share: float = 0.3,
) -> float:
    """P(flaky | counts) for one set of prior parameters (all probabilities in (0, 1)).

    ``per_env`` holds (runs, failures) per environment. With two or more, H1 becomes a mixture: flaky
    everywhere (weight ``1 - env_share``) or flaky in one environment only, chosen uniformly, and
    stable in the others (weight ``env_share``) — a test failing 30% of the time on one OS of four
    is then recognised as well as one failing 8% everywhere.
    """
    f = f_confirmed + f_unconfirmed
    if n <= 0:
        return prior
    f = min(f, n)
    a1, b1 = rate_mean * rate_strength, (1.0 - rate_mean) * rate_strength
    a0, b0 = 1.0, 1.0 / noise_unconfirmed - 1.0
    log_l1 = _bb(a1, b1, n, f)
    envs = [(ne, min(fe, ne)) for ne, fe in per_env if ne > 0]
    if len(envs) >= 2 and env_share > 0:
        one_env = [_bb(a1, b1, ne, fe) + _bb(a0, b0, n - ne, f - fe) for ne, fe in envs]
        log_env = _logsumexp(one_env) - math.log(len(envs))
        log_l1 = _logsumexp([math.log1p(-env_share) + log_l1, math.log(env_share) + log_env])
    log_l0 = _bb(a0, b0, n, f)
    confirm = f_confirmed * (math.log(noise_unconfirmed) - math.log(min(noise_confirmed, noise_unconfirmed)))
    return _sigmoid(math.log(prior) - math.log1p(-prior) + log_l1 - log_l0 + confirm)


def flaky_probability(
    n: int,
    f_confirmed: int,
    f_unconfirmed: int,
    p: FlakyParams,
    per_env: Sequence[tuple[int, int]] = (),
    range_from: float | None = None,
) -> tuple[float, float, float]:
    """(posterior under the default priors, lowest, highest over the prior class).

    With ``range_from`` set, the range is only computed when the posterior reaches it (else both
    ends equal the posterior): a cheap screen for the many tests with one stray failure.
    """
    values: list[float] = []
    variants = ((1.0, 1.0, 1.0), *product((1 / 3, 3.0), (1 / 3, 3.0), (0.5, 2.0)))
    for i, (kp, ke, km) in enumerate(variants):
        if i == 1 and range_from is not None and values[0] < range_from:
            break
        values.append(
            posterior_flaky(
                n,
                f_confirmed,
                f_unconfirmed,
                prior=min(p.prior_flaky * kp, 0.9),
                noise_confirmed=min(p.noise_confirmed * ke, 0.5),
                noise_unconfirmed=min(p.noise_unconfirmed * ke, 0.5),
                rate_mean=min(p.rate_prior_mean * km, 0.9),
                rate_strength=p.rate_prior_strength,
                per_env=per_env,
                env_share=p.env_share,
            )
        )
    return values[0], min(values), max(values)


def streak_probability_broken(
    streak_failed_attempts: int, n_outside: int, f_outside: int, p: FlakyParams
) -> float:
    """P(a failure streak is a regression) rather than a flaky test failing this often in a row.

    Under "flaky", every failed attempt of the streak is an independent failure with the rate seen
    outside the streak: ``E[p^T]`` with ``p ~ Beta(α + f_out, β + n_out - f_out)``. Under
    "regression", the streak is certain. Prior ``prior_broken``.
    """
    alpha = p.rate_prior_mean * p.rate_prior_strength + f_outside
    beta = (1.0 - p.rate_prior_mean) * p.rate_prior_strength + max(0, n_outside - f_outside)
    t = max(1, streak_failed_attempts)
    chance = math.exp(log_beta(alpha + t, beta) - log_beta(alpha, beta))
    pb = p.prior_broken
    return pb / (pb + (1.0 - pb) * chance)
