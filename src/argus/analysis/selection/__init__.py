"""Test impact analysis and predictive test selection (see docs/analysis/selection.md)."""
