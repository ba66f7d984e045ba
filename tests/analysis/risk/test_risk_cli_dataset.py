"""``argus risk evaluate-dataset``: the JSON shape of the issue, and (when ../shared/datasets is there) the
published LApredict AUC reproduced by our time-ordered split on Qt and OpenStack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lightgbm", reason="the ml extra (LightGBM, scikit-learn) is not installed")

from argus.cli.app import main


def _jit_dir() -> Path:
    env = os.environ.get("ARGUS_JIT_DIR")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared/datasets/jit").is_dir():
            return parent / "shared/datasets/jit"
    return Path("../shared/datasets/jit")


JIT = _jit_dir()


def _csv(path: Path, n: int = 400) -> Path:
    rng = np.random.default_rng(2)
    lines = ["_id,date,bug,ns,nd,nf,entropy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp"]
    for i in range(n):
        la = int(rng.lognormal(3, 1))
        bug = int(rng.random() < min(0.9, 0.05 + la / 400))
        lines.append(f"c{i},2024-01-01T00:00:00+00:00,{bug},1,1,{1 + i % 4},0.3,{la},2,300,0,3,5.0,2,40,3.0,9"
                     .replace("2024-01-01T00:00:00", f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:00:00"))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_shape_is_the_issue_s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["risk", "evaluate-dataset", str(_csv(tmp_path / "k.csv")), "--json", "--train-fraction", "0.75"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out) == {"model", "baselines", "train_rows", "test_rows"}
    assert set(out["baselines"]) == {"lapredict", "logistic"}
    for m in (out["model"], out["baselines"]["lapredict"], out["baselines"]["logistic"]):
        assert set(m) == {"auc", "pr_auc", "brier"}
    assert (out["train_rows"], out["test_rows"]) == (300, 100)


@pytest.mark.slow
@pytest.mark.skipif(not (JIT / "qt_k_feature.csv").is_file(),
                    reason=f"JIT data not found at {JIT} (set ARGUS_JIT_DIR): ../shared/datasets is absent")
@pytest.mark.parametrize(("project", "published_lapredict"), [("qt", 0.744), ("openstack", 0.749)])
def test_shared_jit_sets(project: str, published_lapredict: float, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "evaluate-dataset", str(JIT / f"{project}_k_feature.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert round(out["baselines"]["lapredict"]["auc"], 3) == published_lapredict  # the same split as published
    assert out["model"]["auc"] > out["baselines"]["lapredict"]["auc"]


def test_no_author_features_keeps_the_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--no-author-features`` (the model before round 4): the same split and JSON; the baselines do not
    move."""
    csv = _csv(tmp_path / "k.csv")
    assert main(["risk", "evaluate-dataset", str(csv), "--json", "--no-author-features"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["risk", "evaluate-dataset", str(csv), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == set(plain) and (out["train_rows"], out["test_rows"]) == (plain["train_rows"], plain["test_rows"])
    assert out["baselines"] == plain["baselines"]
