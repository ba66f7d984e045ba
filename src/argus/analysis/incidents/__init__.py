"""Incidents: alerts deduplicated and correlated into incidents, their lifecycle and notifications."""
