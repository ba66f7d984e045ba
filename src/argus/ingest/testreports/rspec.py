"""RSpec's JSON formatter (``rspec --format json``): one document with ``examples`` and ``summary``.

Example ``status``: passed → passed, failed → failed, pending → skipped (its ``pending_message`` is the
message). The class is the spec file as rspec_junit_formatter names it (``./spec/models/user_spec.rb``
→ ``spec.models.user_spec``) and the name the ``full_description``, so identities equal those of the
JUnit formatter. ``exception`` gives the failure type, message and backtrace; ``run_time`` is seconds.
``summary.errors_outside_of_examples_count`` (a spec file that failed to load: no example of it ran)
becomes one error case named :data:`OUTSIDE_CASE`; a ``summary.example_count`` that disagrees with the
examples listed is a warning.
"""

from __future__ import annotations

from typing import Any

from argus.core.enums import Outcome
from argus.ingest.testreports.model import Limits, ParsedReport, ReportFormat, ReportParseError
from argus.ingest.testreports.xmlstream import CaseCollector, clip, to_int

OUTSIDE_CASE = "errors outside of examples"
_STATUS = {"passed": Outcome.PASSED, "failed": Outcome.FAILED, "pending": Outcome.SKIPPED}


def is_rspec(doc: Any) -> bool:
    """Whether a decoded JSON document is RSpec's JSON formatter output."""
    return isinstance(doc, dict) and isinstance(doc.get("examples"), list) and (
        "summary" in doc or "version" in doc or "summary_line" in doc)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def spec_class(file_path: str) -> str:
    """``./spec/models/user_spec.rb`` → ``spec.models.user_spec`` (as rspec_junit_formatter writes it)."""
    stem = file_path.rsplit(".", 1)[0] if "." in file_path.rsplit("/", 1)[-1] else file_path
    return stem.replace("/", ".").strip(".")


def parse_rspec(doc: dict[str, Any], source: str, limits: Limits) -> ParsedReport:
    """Parse a loaded RSpec JSON document."""
    collector = CaseCollector(limits)
    out = limits.max_output_chars
    examples = doc["examples"]
    for example in examples:
        if not isinstance(example, dict):
            raise ReportParseError(source, "rspec 'examples' entries must be objects")
        file_path = _str(example.get("file_path"))
        name = _str(example.get("full_description")) or _str(example.get("description")) or _str(example.get("id"))
        outcome = _STATUS.get(_str(example.get("status")) or "", Outcome.ERROR)
        exc = example.get("exception")
        message = failure_type = stack = None
        if isinstance(exc, dict):
            message, failure_type = _str(exc.get("message")), _str(exc.get("class"))
            trace = exc.get("backtrace")
            if isinstance(trace, list):
                stack = clip("\n".join(t for t in trace if isinstance(t, str)), out)
        elif outcome is Outcome.SKIPPED:
            message = _str(example.get("pending_message"))
        run_time = example.get("run_time")
        collector.add(
            None, spec_class(file_path) if file_path else None, name, file_path,
            to_int(str(example.get("line_number"))) if isinstance(example.get("line_number"), int) else None,
            outcome, float(run_time) if isinstance(run_time, int | float) and run_time >= 0 else None,
            message.strip() if message else None, failure_type, stack,
        )
    raw_summary = doc.get("summary")
    summary: dict[str, Any] = raw_summary if isinstance(raw_summary, dict) else {}
    outside = summary.get("errors_outside_of_examples_count")
    if isinstance(outside, int) and outside > 0:
        lines = doc.get("messages")
        text = "\n".join(m for m in lines if isinstance(m, str)) if isinstance(lines, list) else None
        collector.add("rspec", "rspec", OUTSIDE_CASE, None, None, Outcome.ERROR, None,
                      f"{outside} error(s) occurred outside of examples", None, clip(text, out) or None)
    count = summary.get("example_count")
    if isinstance(count, int) and count != len(examples):
        collector.warnings.append(f"summary says example_count={count}, read {len(examples)} examples")
    return collector.report(ReportFormat.RSPEC_JSON)
