"""Argus: quality and delivery intelligence with evidence and calibrated confidence."""

__version__ = "0.1.0"
