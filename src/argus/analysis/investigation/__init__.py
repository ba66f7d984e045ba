"""Incident investigation: context snapshot, scored root-cause hypotheses with evidence, the policy."""
