"""Persistence, listing, feedback and calibration of insights (shared by every analysis)."""
