"""One parser per coverage format: bytes → :class:`CoverageReportData`.

Format references: coverage.py ``coverage json`` (format 2/3, coverage.readthedocs.io "JSON
reporting"); Cobertura ``coverage-04.dtd`` (as written by coverage.py ``coverage xml``, gcovr,
Istanbul ...); LCOV tracefile format (``geninfo(1)``: SF, DA, BRDA, BRF, BRH, end_of_record); JaCoCo
``report.dtd`` 1.1 (``sourcefile/line`` elements with mi/ci/mb/cb counters).
"""

from __future__ import annotations

import re
from typing import Any

from argus.ingest.coverage._xml import load_json, load_xml, norm_path, stream_xml, to_int
from argus.ingest.coverage.schemas import (
    CoverageParseError,
    CoverageReportData,
    DeclaredTotals,
    FileCoverage,
    merge_files,
)

E = CoverageParseError
_CONDITION = re.compile(r"\(([0-9]{1,9})\s*/\s*([0-9]{1,9})\)")
_PLAIN = re.compile(r"[0-9]{1,9}")  # digits that int() takes and no Integer column overflows on


def _lines(values: Any, source: str, what: str) -> set[int]:
    if not isinstance(values, list):
        raise E(source, f"{what}: expected a list of line numbers")
    return {to_int(v, source, what, E) for v in values}


def parse_coveragepy_json(data: bytes, source: str) -> CoverageReportData:
    """coverage.py JSON: ``files.<path>.executed_lines/missing_lines`` and branch summary counts."""
    doc = load_json(data, source, E)
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise E(source, "not a coverage.py JSON report: expected an object with a 'files' object")
    files: list[FileCoverage] = []
    for path, entry in doc["files"].items():
        if not isinstance(entry, dict):
            raise E(source, f"files[{path!r}]: expected an object")
        covered = _lines(entry.get("executed_lines", []), source, f"files[{path!r}].executed_lines")
        missing = _lines(entry.get("missing_lines", []), source, f"files[{path!r}].missing_lines")
        summary = entry.get("summary") or {}
        bv = to_int(summary.get("num_branches", 0), source, f"files[{path!r}].summary.num_branches", E)
        bc = to_int(summary.get("covered_branches", 0), source, f"files[{path!r}].summary.covered_branches", E)
        files.append(FileCoverage(norm_path(path), frozenset(covered), frozenset(missing), bv, bc))
    return CoverageReportData("coveragepy", merge_files(files))


def _count(value: str | None, source: str, what: str) -> int:
    """A non-negative integer attribute (fast path for plain digits; errors as :func:`to_int`)."""
    if value is not None and len(value) < 10 and value.isascii() and value.isdigit():
        return int(value)
    return to_int(value, source, what, E)


def _rate(value: str | None) -> float | None:
    try:
        rate = float(value) if value else None
    except ValueError:
        return None
    return rate if rate is not None and 0.0 <= rate <= 1.0 else None


class _Cobertura:
    """pyexpat handlers for Cobertura: class-level ``lines/line`` (lines under ``methods`` ignored)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.root: dict[str, str] | None = None
        self.files: list[FileCoverage] = []
        self.filename: str | None = None
        self.class_attrs: dict[str, str] = {}
        self.covered: list[int] = []
        self.missing: list[int] = []
        self.bv = self.bc = 0
        self.in_methods = 0
        self.any_line = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            if tag != "coverage":
                raise E(self.source, f"not a Cobertura report: root element is <{tag}>, expected <coverage>")
            self.root = attrs
        elif tag == "line":
            if self.filename is None or self.in_methods:
                return
            number = attrs.get("number")
            hits = attrs.get("hits", "0")
            if number is not None and _PLAIN.fullmatch(number) and _PLAIN.fullmatch(hits):  # the fast path
                n, h = int(number), int(hits)
            else:
                n = to_int(number, self.source, f"{self.filename}: line number", E)
                h = to_int(hits, self.source, f"{self.filename}:{n} hits", E, None)
            (self.covered if h > 0 else self.missing).append(n)
            if attrs.get("branch") == "true":
                m = _CONDITION.search(attrs.get("condition-coverage", ""))
                if m:
                    self.bc += int(m.group(1))
                    self.bv += int(m.group(2))
        elif tag == "class":
            filename = attrs.get("filename")
            if not filename:
                raise E(self.source, f"<class name={attrs.get('name')!r}> has no filename attribute")
            self.filename, self.class_attrs = filename, attrs
            self.covered, self.missing, self.bv, self.bc = [], [], 0, 0
        elif tag == "methods":
            self.in_methods += 1

    def end(self, tag: str) -> None:
        if tag == "methods":
            self.in_methods -= 1
        elif tag == "class" and self.filename is not None:
            name = self.filename
            dv = dc = 0
            if self.covered or self.missing:
                self.any_line = True
            else:  # no line detail: the class's own counts, when it states them
                a = self.class_attrs
                dv = _count(a.get("lines-valid", "0"), self.source, f"{name}: lines-valid")
                dc = _count(a.get("lines-covered", "0"), self.source, f"{name}: lines-covered")
            self.files.append(FileCoverage(norm_path(name), frozenset(self.covered), frozenset(self.missing),
                                           self.bv, self.bc, dv, min(dc, dv)))
            self.filename = None

    def declared(self) -> DeclaredTotals | None:
        """The root's totals when no class had line detail (``None`` otherwise)."""
        if self.any_line or self.root is None:
            return None
        a, s = self.root, self.source
        if "lines-valid" not in a:
            if any(f.declared_valid for f in self.files):
                return None  # the classes' counts add up
            return DeclaredTotals(line_rate=_rate(a.get("line-rate")))
        return DeclaredTotals(
            _count(a.get("lines-valid"), s, "coverage lines-valid"),
            _count(a.get("lines-covered", "0"), s, "coverage lines-covered"),
            _count(a.get("branches-valid", "0"), s, "coverage branches-valid"),
            _count(a.get("branches-covered", "0"), s, "coverage branches-covered"),
            _rate(a.get("line-rate")),
        )


def parse_cobertura(data: bytes, source: str) -> CoverageReportData:
    """Cobertura XML: ``class/lines/line`` with ``hits`` and ``condition-coverage="50% (1/2)"``.

    Only the class-level ``lines`` are read (method-level ``lines`` repeat them). Streamed with
    pyexpat (:func:`stream_xml`). Without any ``<line>`` element (some generators write only rates),
    each class keeps its ``lines-valid``/``lines-covered`` attributes when present and the report's
    totals come from the root's ``lines-valid``/``lines-covered``/``branches-*`` (or only its
    ``line-rate`` as the percentage); per-line data, hence changed-line coverage, is then unknown.
    """
    handler = _Cobertura(source)
    stream_xml(data, source, E, handler.start, handler.end)
    return CoverageReportData("cobertura", merge_files(handler.files), handler.declared())


def parse_jacoco(data: bytes, source: str) -> CoverageReportData:
    """JaCoCo XML: ``package[@name]/sourcefile[@name]/line[@nr,@mi,@ci,@mb,@cb]``; path = package/file."""
    root = load_xml(data, source, E)
    if root.tag != "report":
        raise E(source, f"not a JaCoCo report: root element is <{root.tag}>, expected <report>")
    files: list[FileCoverage] = []
    for package in root.iter("package"):
        prefix = (package.get("name") or "").strip("/")
        for sf in package.findall("sourcefile"):
            name = sf.get("name")
            if not name:
                raise E(source, f"package {prefix!r}: <sourcefile> without a name")
            path = f"{prefix}/{name}" if prefix else name
            covered: set[int] = set()
            missing: set[int] = set()
            bv = bc = 0
            for line in sf.findall("line"):
                nr = to_int(line.get("nr"), source, f"{path}: line nr", E)
                ci = to_int(line.get("ci", "0"), source, f"{path}:{nr} ci", E, None)
                mi = to_int(line.get("mi", "0"), source, f"{path}:{nr} mi", E, None)
                mb = to_int(line.get("mb", "0"), source, f"{path}:{nr} mb", E)
                cb = to_int(line.get("cb", "0"), source, f"{path}:{nr} cb", E)
                if ci > 0:
                    covered.add(nr)
                elif mi > 0:
                    missing.add(nr)
                bv += mb + cb
                bc += cb
            files.append(FileCoverage(norm_path(path), frozenset(covered), frozenset(missing), bv, bc))
    return CoverageReportData("jacoco", merge_files(files))


def parse_lcov(data: bytes, source: str) -> CoverageReportData:
    """LCOV tracefile: records ``SF:`` … ``end_of_record`` with ``DA:line,hits`` and ``BRDA``/``BRF``/``BRH``.

    Branch counts come from BRDA lines (a ``-`` taken count is a branch never reached); BRF/BRH are used
    only for records without BRDA lines.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise E(source, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    files: list[FileCoverage] = []
    path: str | None = None
    covered: set[int] = set()
    missing: set[int] = set()
    brda_valid = brda_hit = brf = brh = 0
    seen_brda = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("TN:") or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        where = f"line {lineno}"
        if key == "SF":
            if path is not None:
                raise E(source, f"{where}: SF before end_of_record of {path!r}")
            path, covered, missing = norm_path(value), set(), set()
            brda_valid = brda_hit = brf = brh = 0
            seen_brda = False
        elif line == "end_of_record":
            if path is None:
                raise E(source, f"{where}: end_of_record without SF")
            bv, bc = (brda_valid, brda_hit) if seen_brda else (brf, min(brh, brf))
            files.append(FileCoverage(path, frozenset(covered), frozenset(missing - covered), bv, bc))
            path = None
        elif path is None:
            raise E(source, f"{where}: {key} outside a record (expected SF:<path> first)")
        elif key == "DA":
            parts = value.split(",")
            if len(parts) < 2:
                raise E(source, f"{where}: DA expects <line>,<hits>")
            n = to_int(parts[0], source, f"{where} DA line", E)
            hits = to_int(parts[1], source, f"{where} DA hits", E, None)
            (covered if hits > 0 else missing).add(n)
        elif key == "BRDA":
            parts = value.split(",")  # the branch name may itself contain commas (coverage.py's text)
            if len(parts) < 4:
                raise E(source, f"{where}: BRDA expects <line>,<block>,<branch>,<taken>")
            seen_brda = True
            brda_valid += 1
            if parts[-1] not in ("-", "0"):
                to_int(parts[-1], source, f"{where} BRDA taken", E, None)
                brda_hit += 1
        elif key == "BRF":
            brf = to_int(value, source, f"{where} BRF", E)
        elif key == "BRH":
            brh = to_int(value, source, f"{where} BRH", E)
        # FN, FNDA, FNF, FNH, LF, LH, VER ...: function counts and summaries are not needed.
    if path is not None:
        raise E(source, f"record for {path!r} is not terminated by end_of_record (truncated file?)")
    if not files:
        raise E(source, "no LCOV records (expected SF:<path> ... end_of_record)")
    return CoverageReportData("lcov", merge_files(files))
