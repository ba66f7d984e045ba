"""Score the alert → incident grouping against a simulated storm's truth (``argus simulate
--alert-storms``): compression ratio and pairwise / B-cubed precision and recall over events.

Each event of ``storm.jsonl`` is traced to the incident its receipt landed in (the receipt's delivery
key is the hash of the event id, fingerprint and status, as the intake computes it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.analysis.incidents import algo
from argus.analysis.incidents.service import delivery_key
from argus.core.enums import AlertSource
from argus.core.settings import IncidentSettings
from argus.evaluation.metrics import clustering_agreement, pairwise_agreement
from argus.ingest.alerts.parse import parse_payload
from argus.store.models import Alert, AlertReceipt, Incident


@dataclass(frozen=True)
class GroupingScore:
    events: int
    alerts: int
    incidents: int
    true_incidents: int
    compression: float  # events / incidents
    pairwise_precision: float
    pairwise_recall: float
    bcubed_precision: float
    bcubed_recall: float


def score_storm(session: Session, folder: Path, cfg: IncidentSettings) -> GroupingScore:
    """Compare the incidents stored in ``session``'s project with ``folder/truth.json``."""
    truth: dict[str, str] = json.loads((folder / "truth.json").read_text())["events"]
    keys: dict[str, str] = {}
    for line in (folder / "storm.jsonl").read_text().splitlines():
        for a in parse_payload(AlertSource.GENERIC, line.encode()).alerts:
            fp = algo.fingerprint(a, cfg.fingerprint_labels, cfg.default_fingerprint_labels)
            k = delivery_key(a, fp)
            if k is not None and a.delivery_id is not None:
                keys[k] = a.delivery_id
    incident_of_alert = dict(session.execute(select(Alert.id, Alert.incident_id)).all())
    merged = dict(session.execute(select(Incident.id, Incident.merged_into_id)).all())
    predicted: dict[str, int] = {}
    for key, alert_id in session.execute(select(AlertReceipt.delivery_key, AlertReceipt.alert_id)):
        if key in keys:
            inc = incident_of_alert.get(alert_id)
            while inc is not None and merged.get(inc) is not None:
                inc = merged[inc]
            if inc is not None:
                predicted[keys[key]] = inc
    pw = pairwise_agreement(truth, predicted)
    bc = clustering_agreement(truth, predicted)
    incidents = len({i for i, m in merged.items() if m is None})
    return GroupingScore(len(truth), len(incident_of_alert), incidents, len(set(truth.values())),
                         round(len(truth) / max(incidents, 1), 2), round(pw.precision, 4), round(pw.recall, 4),
                         round(bc.precision, 4), round(bc.recall, 4))
