"""Metric series from files: ``timestamp,value`` CSV and OpenMetrics text, stored as ``metric_point`` rows."""
