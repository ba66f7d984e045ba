"""Flaky vs broken tests: evidence, calibrated probability, category, action, lifecycle, quarantine export."""
