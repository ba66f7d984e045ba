"""Parse the delivery CSV files of one directory (pure: no database).

Each file has a header; columns are found by name (order free, unknown columns ignored, a missing
optional column is null). Timestamps are ISO 8601 with a UTC offset (``Z`` or ``+02:00``); an empty
cell is null. Every bad row is reported as ``file:line: what is wrong``; :func:`parse_dir` raises one
:class:`~argus.core.errors.InputError` listing them (at most :data:`MAX_REPORTED`) and returns nothing,
so a caller stores all the files or none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from argus.core.errors import InputError

MAX_REPORTED = 20
_MAX_BYTES = 512 * 1024 * 1024


class Kind(Enum):
    TEXT = "text"
    UPPER = "upper"  # enumerated value, stored upper-case
    TIME = "time"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    SHAS = "shas"  # space-separated commit shas


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    attr: str | None = None  # model attribute when it differs from the CSV name

    @property
    def key(self) -> str:
        return self.attr or self.name


@dataclass(frozen=True)
class FileSpec:
    """One CSV file: its name, columns, the columns that identify a row (re-ingest updates by them)."""

    file: str
    table: str
    columns: tuple[Column, ...]
    identity: tuple[str, ...]


def _c(name: str, kind: Kind = Kind.TEXT, required: bool = False, attr: str | None = None) -> Column:
    return Column(name, kind, required, attr)


T, U, TM = Kind.TEXT, Kind.UPPER, Kind.TIME

#: The files ``argus ingest delivery`` reads, in the order they are stored.
SPECS: tuple[FileSpec, ...] = (
    FileSpec("deployments.csv", "delivery_deployment", (
        _c("id", T, True, "ext_id"), _c("name"), _c("environment", U), _c("result", U), _c("started_at", TM),
        _c("finished_at", TM), _c("scope"), _c("deployment_group")), ("ext_id",)),
    FileSpec("deployment_commits.csv", "delivery_deployment_commit", (
        _c("deployment_id", T, True), _c("repo"), _c("commit_sha"), _c("previous_commit_sha")), ("deployment_id",)),
    FileSpec("ci_pipelines.csv", "delivery_pipeline", (
        _c("id", T, True, "ext_id"), _c("name"), _c("scope"), _c("type", U), _c("result", U), _c("status", U),
        _c("environment", U), _c("created_at", TM), _c("started_at", TM), _c("finished_at", TM),
        _c("duration_sec", Kind.FLOAT)), ("ext_id",)),
    FileSpec("ci_tasks.csv", "delivery_task", (
        _c("id", T, True, "ext_id"), _c("pipeline_id", T, True), _c("name"), _c("type", U), _c("result", U),
        _c("status", U), _c("environment", U)), ("ext_id",)),
    FileSpec("ci_pipeline_commits.csv", "delivery_pipeline_commit", (
        _c("pipeline_id", T, True), _c("repo", T, True), _c("commit_sha"), _c("branch")), ("pipeline_id", "repo")),
    FileSpec("pull_requests.csv", "delivery_pull_request", (
        _c("id", T, True, "ext_id"), _c("repo"), _c("number", Kind.INT), _c("title"), _c("status", U),
        _c("base_branch"), _c("created_at", TM, True), _c("merged_at", TM), _c("closed_at", TM), _c("merge_commit_sha"),
        _c("first_commit_at", TM), _c("first_review_at", TM), _c("head_branch"), _c("body")), ("ext_id",)),
    FileSpec("pr_commits.csv", "delivery_pr_commit", (
        _c("pr_id", T, True), _c("commit_sha", T, True), _c("authored_at", TM)), ("pr_id", "commit_sha")),
    FileSpec("pr_comments.csv", "delivery_pr_comment", (
        _c("pr_id", T, True), _c("id", T, True, "ext_id"), _c("account_id"), _c("created_at", TM),
        _c("by_pr_author", Kind.BOOL)), ("ext_id",)),
    FileSpec("commits.csv", "delivery_commit", (
        _c("repo"), _c("sha", T, True), _c("parent_shas", Kind.SHAS), _c("authored_at", TM),
        _c("committed_at", TM)), ("sha",)),
    FileSpec("incidents.csv", "delivery_incident", (
        _c("id", T, True, "ext_id"), _c("title"), _c("status", U), _c("created_at", TM), _c("resolved_at", TM),
        _c("repo_or_service")), ("ext_id",)),
    FileSpec("work_items.csv", "delivery_work_item", (
        _c("id", T, True, "ext_id"), _c("type", U), _c("title"), _c("status", U), _c("epic_id"),
        _c("story_points", Kind.FLOAT), _c("component"), _c("created_at", TM), _c("resolved_at", TM)), ("ext_id",)),
)
FILES = tuple(s.file for s in SPECS)


@dataclass
class ParsedFile:
    spec: FileSpec
    path: str
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedDir:
    files: tuple[ParsedFile, ...]

    def rows(self, file: str) -> list[dict[str, Any]]:
        return next((f.rows for f in self.files if f.spec.file == file), [])


def parse_time(text: str) -> datetime:
    """ISO 8601 with a UTC offset → aware UTC; a value without an offset is refused (ambiguous)."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError("has no UTC offset (write e.g. 2024-05-01T10:00:00+02:00 or ...Z)")
    return value.astimezone(UTC)


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("is not true/false")


def _float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("is not a finite number")
    return value


_CONVERT: dict[Kind, Callable[[str], Any]] = {
    Kind.TEXT: lambda s: s,
    Kind.UPPER: lambda s: s.strip().upper(),
    Kind.TIME: parse_time,
    Kind.INT: lambda s: int(s.strip()),
    Kind.FLOAT: _float,
    Kind.BOOL: _bool,
    Kind.SHAS: lambda s: " ".join(s.split()),
}
_WHAT = {Kind.TIME: "an ISO 8601 date-time with offset", Kind.INT: "a whole number", Kind.FLOAT: "a number",
         Kind.BOOL: "true or false"}


def parse_text(spec: FileSpec, text: str, path: str, errors: list[str]) -> ParsedFile:
    """Rows of one file; problems are appended to ``errors`` as ``path:line: message``."""
    out = ParsedFile(spec, path)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        errors.append(f"{path}:1: empty file (expected a header: {', '.join(c.name for c in spec.columns)})")
        return out
    except csv.Error as exc:
        errors.append(f"{path}:1: {exc}")
        return out
    names = [h.strip().lower() for h in header]
    index = {n: i for i, n in enumerate(names) if n}
    missing = [c.name for c in spec.columns if c.required and c.name not in index]
    if missing:
        errors.append(f"{path}:1: header lacks required column(s) {', '.join(missing)}"
                      f" (found: {', '.join(n for n in names if n) or 'nothing'})")
        return out
    seen: dict[tuple[Any, ...], int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            row: dict[str, Any] = {}
            bad = False
            for col in spec.columns:
                i = index.get(col.name)
                raw = record[i] if i is not None and i < len(record) else ""
                if raw.strip() == "":
                    if col.required:
                        errors.append(f"{path}:{line}: {col.name} is empty (required)")
                        bad = True
                    row[col.key] = None
                    continue
                try:
                    row[col.key] = _CONVERT[col.kind](raw if col.kind is not Kind.TEXT else raw.strip())
                except ValueError as exc:
                    detail = str(exc) if "offset" in str(exc) else f"is not {_WHAT.get(col.kind, 'valid')}"
                    errors.append(f"{path}:{line}: {col.name} {raw.strip()!r} {detail}")
                    bad = True
            if bad:
                continue
            key = tuple(row[k] for k in spec.identity)
            if key in seen:
                errors.append(f"{path}:{line}: duplicate {'/'.join(spec.identity)} {'/'.join(map(str, key))} "
                              f"(first on line {seen[key]})")
                continue
            seen[key] = line
            out.rows.append(row)
    except csv.Error as exc:
        errors.append(f"{path}:{reader.line_num}: {exc}")
    return out


def parse_dir(directory: Path) -> ParsedDir:
    """Parse every known file present in ``directory``; raise :class:`InputError` on any bad row."""
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory (expected CSV files such as {', '.join(FILES[:3])} ...)")
    present = [s for s in SPECS if (directory / s.file).is_file()]
    if not present:
        raise InputError(f"{directory}: none of the delivery files found (expected any of: {', '.join(FILES)})")
    errors: list[str] = []
    files = []
    for spec in present:
        path = directory / spec.file
        if path.stat().st_size > _MAX_BYTES:
            errors.append(f"{path}:1: larger than {_MAX_BYTES // (1024 * 1024)} MiB")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.append(f"{path}:1: not UTF-8 text")
            continue
        files.append(parse_text(spec, text, str(path), errors))
    if errors:
        more = f" (and {len(errors) - MAX_REPORTED} more)" if len(errors) > MAX_REPORTED else ""
        raise InputError(f"{len(errors)} bad row(s), nothing stored: " + "; ".join(errors[:MAX_REPORTED]) + more)
    return ParsedDir(tuple(files))
