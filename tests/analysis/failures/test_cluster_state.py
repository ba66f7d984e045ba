"""FailureCluster.state: a typed, versioned codec instead of a free JSON dict."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from argus.core.errors import SchemaOutOfDateError
from argus.store.models import FailureCluster
from argus.store.models.ops import CLUSTER_STATE_VERSION, ClusterState, ClusterStateError
from argus.store.session import current_project_id


def test_round_trip_of_a_live_and_a_merged_state() -> None:
    live = ClusterState(tokens=("x", "<*>"), frames=("app/db.py:connect",))
    assert live.to_json() == {"version": CLUSTER_STATE_VERSION, "tokens": ["x", "<*>"],
                              "frames": ["app/db.py:connect"]}
    assert ClusterState.from_json(live.to_json()) == live and not live.merged
    dead = live.merge(7, ["<*>", "<*>"])
    assert dead.merged and dead.merged_into == 7 and dead.merged_tokens == ("<*>", "<*>")
    assert dead.tokens == live.tokens and dead.frames == live.frames
    assert ClusterState.from_json(dead.to_json()) == dead
    assert ClusterState.from_json(live.merge(None, ["y"]).to_json()).merged_into is None


def test_documents_written_before_the_version_field_still_read() -> None:
    assert ClusterState.from_json(None) == ClusterState() == ClusterState.from_json({})
    old = {"tokens": ["a", "<*>"], "frames": [], "merged_into": 3, "merged_tokens": ["<*>", "<*>"]}
    assert ClusterState.from_json(old) == ClusterState(("a", "<*>"), (), 3, ("<*>", "<*>"))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": 2, "tokens": []}, "unknown version 2"),
        ({"tokens": [], "colour": "red"}, "unknown field(s) 'colour'"),
        ({"tokens": "a b"}, "'tokens' must be a list of strings"),
        ({"tokens": [1, 2]}, "'tokens' must be a list of strings"),
        ({"tokens": [], "merged_into": "7", "merged_tokens": []}, "'merged_into' must be a cluster id"),
        (["a"], "expected a JSON object, not list"),
    ],
)
def test_an_unknown_shape_is_one_clear_error(doc: object, message: str) -> None:
    with pytest.raises(ClusterStateError) as err:
        ClusterState.from_json(doc)
    assert message in str(err.value) and str(err.value).startswith("failure cluster state: ")
    assert isinstance(err.value, SchemaOutOfDateError) and err.value.exit_code == 4


def test_the_model_stores_the_typed_state(project_session: Session) -> None:
    s = project_session
    state = ClusterState(tokens=("boom", "<*>"), frames=("app/x.py:f",))
    s.add(FailureCluster(project_id=current_project_id(s), fingerprint="fp", template="boom <*>", state=state))
    s.flush()
    s.expire_all()
    (row,) = s.query(FailureCluster).all()
    assert row.state == state
    stored = s.execute(text("SELECT state FROM failure_cluster")).scalar_one()
    assert (stored if isinstance(stored, dict) else json.loads(stored)) == state.to_json()
    row.state = row.state.merge(None, ["boom", "<*>", "<*>"])
    s.flush()
    s.expire_all()
    assert s.query(FailureCluster).one().state.merged_tokens == ("boom", "<*>", "<*>")
    with pytest.raises(TypeError, match="takes a ClusterState"):
        row.state = {"tokens": []}  # type: ignore[assignment]
