"""Settings of incident investigation (``[investigation]``, ``ARGUS_INVESTIGATION__*``).

Defaults are the seed's level tables (checklist X-25 / S2-34, S2-35, S2-36; docs/incidents.md
"Investigation"): five factors weighted 0.25 / 0.20 / 0.20 / 0.20 / 0.15, each read off a table of
levels; the policy shows the top 3 above 0.4, calls an incident INCONCLUSIVE when every hypothesis is
below 0.3 and lets a hypothesis acknowledge an incident only above 0.85 with a precedent.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field


class InvestigationSettings(BaseModel):
    """Context snapshot, hypothesis generators, five-factor scoring and the policy."""

    not_params: ClassVar[dict[str, str]] = {
        "snapshot_on_detection": "whether the intake takes a snapshot when an incident opens (service)",
        "llm_provider": "LLM drafts: which API (service, never an algorithm input)",
        "llm_base_url": "LLM drafts: endpoint (service)",
        "llm_model": "LLM drafts: model name (service)",
        "llm_api_key": "LLM drafts: key (service)",
        "llm_timeout_s": "LLM drafts: timeout (service)",
        "min_outcomes_for_weights": "outcomes needed before learned weights replace the defaults (service)",
    }

    lookback_h: float = Field(24.0, gt=0, description="Changes and neighbour alerts this many hours before "
                              "the incident opened are in its snapshot (seed S2-26: T-24h).")
    after_min: float = Field(30.0, ge=0, description="Neighbour alerts up to this many minutes after the "
                             "opening are in the snapshot too.")
    hops: int = Field(2, ge=1, le=5, description="Neighbours up to this many hops in the service graph.")
    weights: dict[str, float] = Field(
        default_factory=lambda: {"signal": 0.25, "temporal": 0.20, "precedent": 0.20, "evidence": 0.20,
                                 "human": 0.15},
        description="Factor weights (seed S2-34); replaced by weights learned from recorded outcomes once "
        "there are enough of them.")
    signal_levels: list[tuple[float, float]] = Field(
        default_factory=lambda: [(3.0, 0.9), (2.0, 0.7), (1.0, 0.4), (0.0, 0.2)],
        description="F1 signal strength: (deviation in sigma at least, score), first match wins.")
    temporal_deploy_close: float = Field(0.95, description="F2: a deployment within temporal_close_min before "
                                         "the symptom (seed: deploy at T, symptom at T+5 min).")
    temporal_config: float = Field(0.85, description="F2: a recent config change (seed).")
    temporal_upstream_first: float = Field(0.85, description="F2: an upstream alerted first, within the window.")
    temporal_none: float = Field(0.3, description="F2: no temporal link (seed).")
    temporal_close_min: float = Field(30.0, gt=0, description="F2: minutes before the symptom that count as close.")
    temporal_half_life_min: float = Field(120.0, gt=0, description="F2: beyond the close window the score "
                                          "decays towards temporal_none with this half-life.")
    precedent_levels: list[tuple[int, float]] = Field(
        default_factory=lambda: [(10, 0.9), (3, 0.7), (1, 0.5), (0, 0.3)],
        description="F3 precedent: (similar past incidents with this cause at least, score) (seed).")
    precedent_min_similarity: float = Field(0.35, ge=0, le=1, description="A past incident is similar at "
                                            "this score or more (service, alert names, title words).")
    evidence_multi: float = Field(0.95, description="F4: independent sources, no contradiction (seed).")
    evidence_single: float = Field(0.7, description="F4: one strong source (seed).")
    evidence_weak: float = Field(0.4, description="F4: weak or conflicting (seed).")
    human_none: float = Field(0.5, description="F5: no validation history (seed: neutral).")
    human_min_outcomes: int = Field(3, ge=1, description="F5: outcomes of a kind needed to use its acceptance rate.")
    uncertainty_base: float = Field(0.05, ge=0, le=0.5, description="Half-width of the confidence range ...")
    uncertainty_per_default: float = Field(0.03, ge=0, le=0.5, description="... plus this per factor left at "
                                           "its no-information level.")
    show_top: int = Field(3, ge=1, description="Policy: hypotheses shown (seed: top 3).")
    show_min: float = Field(0.4, ge=0, le=1, description="Policy: shown when confidence is above this (seed).")
    inconclusive_below: float = Field(0.3, ge=0, le=1, description="Policy: INCONCLUSIVE when all are below (seed).")
    auto_ack_above: float = Field(0.85, ge=0, le=1, description="Policy: auto-acknowledge above this, with a "
                                  "precedent and a review tier that allows it (seed).")
    conflict_margin: float = Field(0.1, ge=0, le=1, description="Policy: two hypotheses of different causes "
                                   "within this of each other and both shown are conflicting evidence.")
    snapshot_on_detection: bool = Field(True, description="Take a context snapshot when an incident opens.")
    min_outcomes_for_weights: int = Field(20, ge=2, description="Recorded outcomes before weights are learned.")
    llm_provider: str | None = Field(None, description="LLM drafts: 'anthropic' or 'openai' (OpenAI-compatible "
                                     "chat); unset: no drafts.")
    llm_base_url: str | None = Field(None, description="LLM drafts: the API's base URL.")
    llm_model: str = Field("claude-sonnet-4-5", description="LLM drafts: model name.")
    llm_api_key: str | None = Field(None, description="LLM drafts: API key.")
    llm_timeout_s: float = Field(20.0, gt=0, description="LLM drafts: timeout.")
