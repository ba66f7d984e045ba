"""``argus demo``: simulate → ingest (through the real commands) → analyse → guided tour + report."""
