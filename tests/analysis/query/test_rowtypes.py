"""Result rows checked against the semantic layer's declared column types."""

from __future__ import annotations

import datetime as dt

import pytest

from argus.analysis.query.rowtypes import RowTypeError, declared_types, types_by_name, validate_rows


def test_declared_types_of_plain_view_columns_only() -> None:
    assert declared_types("SELECT run_id, branch, COUNT(*) AS n, r.duration_s AS d FROM runs AS r "
                          "GROUP BY run_id, branch, r.duration_s", "sqlite") == ("integer", "text", None, "number")
    assert declared_types("SELECT * FROM runs", "sqlite") is None
    # a CTE's columns have no declared type (it may compute anything under a view column's name)
    assert declared_types("WITH x AS (SELECT COUNT(*) AS branch FROM runs) SELECT branch FROM x",
                          "sqlite") == (None,)
    assert declared_types("SELECT c.sha, f.nf FROM commits AS c JOIN commit_features AS f ON f.sha = c.sha",
                          "postgres") == ("text", "number")
    assert types_by_name(("sha", "is_merge", "x"), ("commits",)) == ("text", "boolean", None)


def test_rows_are_validated_and_booleans_normalised() -> None:
    rows = ((1, "main", 0, "2026-01-01 10:00:00"), (2, None, 1, dt.datetime(2026, 1, 1)))
    out = validate_rows(("run_id", "branch", "is_merge", "at"), rows, ("integer", "text", "boolean", "timestamp"))
    assert out[0] == (1, "main", False, "2026-01-01 10:00:00") and out[1][2] is True


@pytest.mark.parametrize(("row", "column"), [
    (("x", "main"), "run_id"), ((1, 5), "branch"), ((1.5, "main"), "run_id"),
])
def test_a_mismatch_is_a_clear_error(row: tuple[object, ...], column: str) -> None:
    with pytest.raises(RowTypeError, match=f"row 2, column {column}: declared"):
        validate_rows(("run_id", "branch"), ((1, "ok"), row), ("integer", "text"))
