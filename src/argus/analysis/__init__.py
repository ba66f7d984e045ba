"""Analyses: one package per capability (algo.py pure, service.py store → algo → Insights, schemas.py)."""
