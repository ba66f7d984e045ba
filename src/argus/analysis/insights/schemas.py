"""Old home of the insight read models (now :mod:`argus.analysis.insights.readmodels`), kept for
the modules that still import them from here."""

from __future__ import annotations

from argus.analysis.insights.readmodels import EvidenceView, FeedbackView, InsightView

__all__ = ["EvidenceView", "FeedbackView", "InsightView"]
