"""Adaptive quality gate: regressions of a build against a rolling baseline of green default-branch builds."""
