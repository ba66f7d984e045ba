"""Delivery analytics: DORA metrics computed with Apache DevLake's DORA-plugin rules, PR lead-time breakdown."""
