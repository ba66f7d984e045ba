"""A selection as an Insight: one claim per selected test (its reasons and the coverage map / history
rows behind them), one for the uncovered changed lines; confidence = 1 − the estimated miss chance."""

from __future__ import annotations

from argus.analysis.selection.algo import skip_reason
from argus.analysis.selection.schemas import Selection, SelectParams, Signal
from argus.core.enums import EvidenceType, InsightKind, SubjectType, Support
from argus.reasoning import Claim, Confidence, Evidence, Insight, Provenance, Subject

ANALYZER = "argus.analysis.selection"
VERSION = "1"
_MAX_CLAIMS = 20
_STRENGTH = {Signal.LINE: Support.STRONG, Signal.RULE: Support.STRONG, Signal.IMPORT_TIME: Support.MODERATE,
             Signal.HISTORY: Support.MODERATE}


def selection_insight(sel: Selection, subject_id: str, p: SelectParams, data: dict[str, object]) -> Insight:
    """The TEST_SELECTION insight of one change."""
    claims: list[Claim] = []
    for t in sel.selected[:_MAX_CLAIMS]:
        ev: list[Evidence] = []
        for r in t.reasons:
            for ref_type, ref_id in r.evidence[:3]:
                ev.append(Evidence(EvidenceType(ref_type), ref_id, _STRENGTH.get(r.signal, Support.WEAK), r.text))
        text = "; ".join(r.text for r in t.reasons if r.signal is not Signal.PRIOR) or "budget filled by rank"
        claims.append(Claim(f"{t.identity} may fail ({t.score:.2f}): {text}", min(1.0, t.score), tuple(ev[:10])))
    if sel.uncovered:
        lines = ", ".join(f"{u.file}:{','.join(map(str, u.lines[:5]))}" for u in sel.uncovered[:5])
        claims.append(Claim(f"Changed lines no test covers: {lines}", 1.0))
    n, k = len(sel.tests), len(sel.selected)
    conf = max(0.0, min(1.0, 1.0 - sel.estimated_miss))
    mode = sel.mode.value if not sel.full_reasons else f"full ({'; '.join(sel.full_reasons[:2])})"
    skipped = [t for t in sel.tests if not t.selected][:1]
    summary = (f"{k} of {n} tests selected ({mode}); estimated chance a skipped test fails: "
               f"{100 * sel.estimated_miss:.2g} %." + (f" Skipped e.g. {skipped[0].identity}: "
                                                        f"{skip_reason(skipped[0])}." if skipped else ""))
    return Insight(
        kind=InsightKind.TEST_SELECTION,
        subject=Subject(SubjectType.CHANGE, subject_id),
        title=f"Tests this change needs: {k} of {n}",
        summary=summary,
        claims=tuple(claims),
        confidence=Confidence(conf, raw=conf),
        provenance=Provenance(ANALYZER, VERSION, {"mode": sel.mode.value, "p_line": p.p_line, "p_file": p.p_file,
                                                  "prior": p.prior, "max_changed_files": p.max_changed_files}),
        action="run the selected tests",
        uncertainty=tuple(sel.notes),
        data=data,
    )
