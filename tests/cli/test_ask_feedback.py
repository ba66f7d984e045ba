"""``argus ask-feedback``: pairs added by hand, marked good/bad, listed; what the model is offered."""

from __future__ import annotations

import json

import pytest

from argus.cli.app import main


def _out(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_ask_feedback_cli(capsys: pytest.CaptureFixture[str], cli_env: dict[str, str]) -> None:
    from argus.analysis.query.queries import examples
    from argus.app.runtime import Runtime

    assert main(["db", "upgrade"]) == 0
    assert main(["projects", "create", "shop"]) == 0
    capsys.readouterr()
    a = _out(capsys, ["ask-feedback", "--question", "runs on main", "--sql",
                      "SELECT COUNT(*) FROM runs WHERE branch = 'main'", "-p", "shop", "--json"])
    b = _out(capsys, ["ask-feedback", "--question", "all runs", "--sql", "SELECT COUNT(*) FROM runs",
                      "-p", "shop", "--json"])
    assert isinstance(a, dict) and isinstance(b, dict)
    # SQL that the guard refuses is not remembered
    assert main(["ask-feedback", "--question", "x", "--sql", "DELETE FROM runs", "-p", "shop"]) == 6
    capsys.readouterr()
    assert _out(capsys, ["ask-feedback", str(a["id"]), "bad", "-p", "shop", "--json"]) == {"id": a["id"],
                                                                                         "feedback": "bad"}
    listed = _out(capsys, ["ask-feedback", "--list", "-p", "shop", "--json"])
    assert isinstance(listed, list)
    assert [(e["id"], e["feedback"], e["source"]) for e in listed] == [(b["id"], "good", "person"),
                                                                      (a["id"], "bad", "person")]
    rt = Runtime()
    try:
        offered = rt.in_project("shop", lambda sc: examples(sc.session))
    finally:
        rt.close()
    assert offered == [("all runs", "SELECT COUNT(*) FROM runs")]  # the bad pair is never offered
    assert main(["ask-feedback", "999999", "good", "-p", "shop"]) == 5
