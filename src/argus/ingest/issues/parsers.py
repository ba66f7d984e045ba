"""Read issue-tracker exports: Jira CSV, GitHub issues JSON (``gh issue list --json``), GitLab issues JSON.

Every parser returns :class:`IssueRecord` rows and raises :class:`InputError` naming the file, the
row (1-based data row for CSV, 0-based array index for JSON) and the column/field when the input is
malformed: a missing required column, a date that does not parse, a row that is not an object, a
file that is not UTF-8, CSV or JSON. Whether an issue is a bug is not decided here (see
:mod:`argus.ingest.issues.rules`).

Jira CSV: columns ``Issue key`` (required), ``Issue Type``, ``Status``, ``Created``, ``Resolved``,
``Labels`` (Jira repeats the column once per label), ``Priority``, ``Summary``; for work items also
``Custom field (Story Points)`` / ``Story Points`` / ``Custom field (Story point estimate)`` / ``Story point
estimate``, the parent or epic (``Parent key``, ``Epic Link``, ``Parent``, ``Parent id``: a numeric id is
resolved through the export's ``Issue id`` column), ``Sprint`` (repeated; the last one named wins) and
``Component/s``; other columns are ignored. Dates: ISO 8601, ``2021-03-12 15:45``, or Jira's ``12/Mar/21 3:45 PM`` (taken as UTC).
GitHub: a JSON array of ``{number, title, labels: [{name}], state, createdAt, closedAt, milestone:
{title}}``; keys become ``#<number>``. GitLab: a JSON array of the REST API's issues ``{iid, title,
labels: [str], state, created_at, closed_at, issue_type, weight, epic: {iid}, milestone: {title}}``;
keys become ``#<iid>``, the epic ``&<iid>``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argus.core.errors import InputError

FORMATS = ("jira-csv", "github-json", "gitlab-json")
#: Refuse bigger exports (a tracker export of 1M issues is ~1 GB of CSV; split it).
MAX_BYTES = 512 * 1024 * 1024
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
_JIRA_DATES = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
               "%d/%m/%Y %H:%M", "%Y-%m-%d")


@dataclass
class IssueRecord:
    """One issue as read from an export (not yet judged bug or not)."""

    key: str
    tracker: str  # jira | github | gitlab
    issue_type: str | None = None
    title: str | None = None
    status: str | None = None
    priority: str | None = None
    labels: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    resolved_at: datetime | None = None
    # work-item fields (story-point estimator, epic forecaster: see argus.ingest.issues.workitems)
    story_points: float | None = None  # Jira's story points field, GitLab's weight
    parent_key: str | None = None  # the epic / parent issue (Jira Parent or Epic Link, GitHub parent, GitLab epic)
    milestone: str | None = None  # GitHub/GitLab milestone title
    sprint: str | None = None  # Jira sprint (the last one named)
    component: str | None = None


def detect_format(path: Path, text: str) -> str:
    """``jira-csv`` for a .csv file, else a JSON export by its fields (``number``: GitHub, ``iid``: GitLab)."""
    if path.suffix.lower() == ".csv":
        return "jira-csv"
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")):
        return "jira-csv"
    data = _load_json(path, text)
    items = data if isinstance(data, list) else [data]
    first = next((x for x in items if isinstance(x, dict)), None)
    if first is None:
        raise InputError(f"{path}: cannot tell the format of an empty JSON export; pass --format")
    if "iid" in first:
        return "gitlab-json"
    if "number" in first:
        return "github-json"
    raise InputError(f"{path}: row 0: neither a GitHub issue (`number`) nor a GitLab issue (`iid`); pass --format")


def read_text(path: Path) -> str:
    """The file's text (UTF-8, BOM allowed); a clear error when it is missing, too big or not text."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"{path}: not a file")
        if size > MAX_BYTES:
            raise InputError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,} accepted; split the export")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: not a file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    if b"\x00" in raw[:65536]:
        raise InputError(f"{path}: binary content (NUL bytes), expected a CSV or JSON export")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def parse_file(path: Path, fmt: str | None = None) -> tuple[str, list[IssueRecord]]:
    """The export's format and its issues (duplicates: the last row of a key wins)."""
    text = read_text(path)
    fmt = fmt or detect_format(path, text)
    if fmt == "jira-csv":
        records = parse_jira_csv(path, text)
    elif fmt == "github-json":
        records = parse_github_json(path, text)
    elif fmt == "gitlab-json":
        records = parse_gitlab_json(path, text)
    else:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    unique: dict[str, IssueRecord] = {}
    for r in records:
        unique[r.key] = r
    return fmt, list(unique.values())


# --- Jira CSV -------------------------------------------------------------------------------------


def parse_jira_csv(path: Path, text: str) -> list[IssueRecord]:
    """Issues of a Jira CSV export (see the module docstring)."""
    if not text.strip():
        raise InputError(f"{path}: empty file, expected a Jira CSV export with an `Issue key` column")
    rows = _csv_rows(path, text)
    header = next(rows, None)
    if header is None:
        raise InputError(f"{path}: empty file")
    names = [h.strip() for h in header]
    index: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        index.setdefault(name.casefold(), []).append(i)
    if "issue key" not in index:
        shown = ", ".join(repr(n) for n in names[:8]) + (" …" if len(names) > 8 else "")
        raise InputError(f"{path}: row 0: no `Issue key` column (columns: {shown}); expected a Jira CSV export")
    out: list[IssueRecord] = []
    key_of_id: dict[str, str] = {}
    for n, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue

        def cell(column: str, row: list[str] = row) -> str | None:
            for i in index.get(column.casefold(), []):
                if i < len(row) and row[i].strip():
                    return row[i].strip()
            return None

        key = cell("Issue key")
        if key is None:
            raise InputError(f"{path}: row {n}, column 'Issue key': empty")
        if not _KEY.match(key) or len(key) > 64:
            raise InputError(f"{path}: row {n}, column 'Issue key': {key[:80]!r} is not a Jira key (ABC-123)")
        labels = [row[i].strip() for i in index.get("labels", []) if i < len(row) and row[i].strip()]
        labels = [part for lab in labels for part in lab.split() if part]  # some exports join labels by spaces
        sprints = [row[i].strip() for i in index.get("sprint", []) if i < len(row) and row[i].strip()]
        parent = cell("Parent key") or cell("Epic Link") or cell("Parent") or cell("Parent id")
        issue_id = cell("Issue id")
        if issue_id:
            key_of_id[issue_id] = key.upper()
        out.append(IssueRecord(
            key=key.upper(), tracker="jira", issue_type=_short(cell("Issue Type")), title=cell("Summary"),
            status=_short(cell("Status")), priority=_short(cell("Priority")), labels=labels,
            created_at=_jira_date(path, n, "Created", cell("Created")),
            resolved_at=_jira_date(path, n, "Resolved", cell("Resolved")),
            story_points=_points(path, n, _first(cell, _JIRA_POINTS)),
            parent_key=parent[:64].upper() if parent and _KEY.match(parent) else (parent[:64] if parent else None),
            sprint=sprints[-1][:200] if sprints else None,
            component=_short(cell("Component/s") or cell("Components")),
        ))
    for r in out:  # Jira Cloud exports name the parent by its numeric id: its key when it is in the export
        if r.parent_key and r.parent_key.isdigit() and r.parent_key in key_of_id:
            r.parent_key = key_of_id[r.parent_key]
    return out


#: Jira export columns carrying story points (company-managed, team-managed, and the raw custom field).
_JIRA_POINTS = ("Custom field (Story Points)", "Story Points", "Custom field (Story point estimate)",
                "Story point estimate")


def _first(cell: Any, columns: tuple[str, ...]) -> tuple[str, str | None]:
    for column in columns:
        value = cell(column)
        if value is not None:
            return column, value
    return columns[0], None


def _points(path: Path, row: int, found: tuple[str, str | None]) -> float | None:
    column, value = found
    if value is None:
        return None
    try:
        points = float(value.replace(",", "."))
    except ValueError:
        raise InputError(f"{path}: row {row}, column {column!r}: {value[:40]!r} is not a number") from None
    if not 0 <= points <= 10_000:
        raise InputError(f"{path}: row {row}, column {column!r}: {value[:40]!r} is out of range (0-10000)")
    return points


def _csv_rows(path: Path, text: str) -> Iterator[list[str]]:
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{path}: row {max(reader.line_num - 1, 0)}: malformed CSV ({exc})") from None
        yield row


def _short(value: str | None) -> str | None:
    return value[:100] if value is not None else None


def _jira_date(path: Path, row: int, column: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _JIRA_DATES:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InputError(f"{path}: row {row}, column {column!r}: {value[:60]!r} is not a date "
                         "(expected ISO 8601 or Jira's 12/Mar/21 3:45 PM)")
    return _utc(path, row, column, parsed)


def _utc(path: Path, row: int | str, column: str, value: datetime) -> datetime:
    if not 1970 <= value.year <= 2200:
        raise InputError(f"{path}: row {row}, column {column!r}: year {value.year} out of range")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- GitHub / GitLab JSON -------------------------------------------------------------------------


def _load_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None


def _items(path: Path, text: str) -> list[Mapping[str, Any]]:
    data = _load_json(path, text)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array of issues, got {type(data).__name__}")
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"{path}: row {i}: expected an issue object, got {type(item).__name__}")
    return data


def _number(path: Path, row: int, item: Mapping[str, Any], name: str) -> int:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit() or len(str(value)) > 12:
        raise InputError(f"{path}: row {row}, field {name!r}: {str(value)[:40]!r} is not an issue number")
    return int(value)


def _text(path: Path, row: int, item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{path}: row {row}, field {name!r}: expected a string, got {type(value).__name__}")
    return value


def _date(path: Path, row: int, item: Mapping[str, Any], name: str) -> datetime | None:
    value = _text(path, row, item, name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{path}: row {row}, field {name!r}: {value[:60]!r} is not an ISO 8601 date") from None
    return _utc(path, row, name, parsed)


def _labels(path: Path, row: int, item: Mapping[str, Any]) -> list[str]:
    value = item.get("labels")
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{path}: row {row}, field 'labels': expected an array, got {type(value).__name__}")
    out: list[str] = []
    for lab in value:
        name = lab.get("name") if isinstance(lab, dict) else lab
        if not isinstance(name, str):
            raise InputError(f"{path}: row {row}, field 'labels': expected label names or {{name}} objects")
        out.append(name.strip()[:200])
    return out


def parse_github_json(path: Path, text: str) -> list[IssueRecord]:
    """Issues of ``gh issue list --json number,title,labels,state,createdAt,closedAt`` output."""
    out = []
    for i, item in enumerate(_items(path, text)):
        out.append(IssueRecord(
            key=f"#{_number(path, i, item, 'number')}", tracker="github", title=_text(path, i, item, "title"),
            status=_short(_text(path, i, item, "state")), labels=_labels(path, i, item),
            created_at=_date(path, i, item, "createdAt"), resolved_at=_date(path, i, item, "closedAt"),
            milestone=_title(item.get("milestone")),
        ))
    return out


def parse_gitlab_json(path: Path, text: str) -> list[IssueRecord]:
    """Issues of GitLab's REST API (``GET /projects/:id/issues``), as a JSON array."""
    out = []
    for i, item in enumerate(_items(path, text)):
        out.append(IssueRecord(
            key=f"#{_number(path, i, item, 'iid')}", tracker="gitlab",
            issue_type=_short(_text(path, i, item, "issue_type") or _text(path, i, item, "type")),
            title=_text(path, i, item, "title"), status=_short(_text(path, i, item, "state")),
            labels=_labels(path, i, item), created_at=_date(path, i, item, "created_at"),
            resolved_at=_date(path, i, item, "closed_at"), story_points=_weight(item.get("weight")),
            parent_key=gitlab_epic(item), milestone=_title(item.get("milestone")),
        ))
    return out


def _title(value: Any) -> str | None:
    """A milestone's title (``{title}`` object, or the title itself)."""
    if isinstance(value, dict):
        value = value.get("title")
    return value.strip()[:200] or None if isinstance(value, str) else None


def _weight(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 10_000:
        return None
    return float(value)


def gitlab_epic(item: Mapping[str, Any]) -> str | None:
    """GitLab's epic of an issue as ``&<iid>`` (its reference), from ``epic: {iid}`` or ``epic_iid``."""
    epic = item.get("epic")
    iid = epic.get("iid") if isinstance(epic, dict) else item.get("epic_iid")
    return f"&{iid}" if isinstance(iid, int) and not isinstance(iid, bool) else None


def gitlab_weight(value: Any) -> float | None:
    return _weight(value)


def milestone_title(value: Any) -> str | None:
    return _title(value)
