"""Failure-cluster renderings that are not the terminal: the JSON documents of ``argus failures``."""

from __future__ import annotations

from typing import Any

from argus.analysis.failures.readmodels import MessageClusters


def message_clusters_json(result: MessageClusters) -> dict[str, Any]:
    """``argus failures cluster --json``: the label of each line, and each template by its id."""
    return {
        "labels": list(result.labels),
        "templates": {str(t.id): {"template": t.text, "count": t.count} for t in result.templates},
    }
