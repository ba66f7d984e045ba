"""Adaptive quality gate: regressions of a build against a rolling baseline of green default-branch builds.

Answers: does this build regress coverage, vulnerabilities, tests or duration against the last N green
builds of the default branch (verdict PASS / WARN / FAIL, one rule result each, recorded as a
GATE_VERDICT insight)? And: what is that baseline, and what are the build's CI metrics?
Other capabilities and use cases import :mod:`argus.analysis.gates.service` only.
"""
