"""Settings of runbooks, their recommendation and postmortems (``[runbooks]``, ``ARGUS_RUNBOOKS__*``).

See docs/incidents.md ("Runbooks and actions", "Learned") for what each parameter means.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class RunbookSettings(BaseModel):
    folder: str | None = Field(None, description="Folder of Markdown runbooks indexed by `argus runbooks index` "
                               "when no PATH is given.")
    max_file_bytes: int = Field(262_144, ge=1, description="Runbook files larger than this are skipped (named).")
    bm25_k1: float = Field(1.2, gt=0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation.")
    prior_helped: float = Field(1.0, gt=0, description="Beta prior alpha of a runbook's success rate.")
    prior_not_helped: float = Field(1.0, gt=0, description="Beta prior beta of a runbook's success rate.")
    service_boost: float = Field(1.5, ge=1, description="Score factor of a runbook for the incident's service "
                                 "(front-matter services, or linked in services.yaml).")
    other_service_penalty: float = Field(0.5, gt=0, le=1, description="Score factor of a runbook written for "
                                         "other services only.")
    top: int = Field(5, ge=1, le=50, description="Recommendations shown per incident.")
    propose_min_match: float = Field(0.3, ge=0, le=1, description="`--propose` stores the actions of recommended "
                                     "runbooks matching at least this share of the incident's query (idf mass).")
    default_risk: str = Field("medium", description="Risk of a runbook whose front-matter names none "
                              "(low, medium, high).")
    precedent_min_similarity: float = Field(0.1, ge=0, le=1, description="Least text similarity (cosine of "
                                            "term counts) of a postmortem found as a precedent.")
