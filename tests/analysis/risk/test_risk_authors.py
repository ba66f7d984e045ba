"""Author chains recovered from exp / rexp, and author features: causal, and no unknown label is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from argus.analysis.risk.authors import (
    AUTHOR,
    DAY,
    author_chains,
    author_defect_rate,
    author_features,
    known_bug_rate,
)
from argus.analysis.risk.dataset import chains_of, read_dataset, with_author_rate


def _authors(n: int = 600, k: int = 6, seed: int = 3) -> tuple[np.ndarray, ...]:
    """A stream of ``k`` authors' changes (a random subset of their full history, so exp has gaps);
    rexp decays 1 % a day and grows by one per change. Returns times, exp, rexp, author, la, ld, fix."""
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0, 400 * DAY, n))
    who = rng.integers(0, k, n)
    start = rng.integers(0, 5000, k).astype(float) * np.arange(1, k + 1)  # distinct experience levels
    exp, rexp = np.zeros(n), np.zeros(n)
    state = {a: (start[a], 5.0 + 40.0 * a, 0.0) for a in range(k)}  # exp, rexp, time of the last change
    for i in range(n):
        e, r, t = state[who[i]]
        d = int(rng.integers(1, 4))  # changes of this author the subset does not hold
        r = r * np.exp(-0.01 * (times[i] - t) / DAY) + d
        e = e + d
        exp[i], rexp[i] = e, r
        state[who[i]] = (e, r, times[i])
    la, ld = rng.lognormal(3, 1, n).round(), rng.lognormal(2, 1, n).round()
    fix = rng.integers(0, 2, n).astype(float)
    return times, exp, rexp, who, la, ld, fix


def test_chains_recover_well_separated_authors() -> None:
    times, exp, rexp, who, *_ = _authors()
    ch = author_chains(times, exp, rexp)
    linked = ch.prev >= 0
    assert linked.mean() > 0.95
    assert np.mean(who[ch.prev[linked]] == who[linked]) > 0.95  # a link joins two changes of one author
    s = ch.summary()
    assert s["rows"] == 600 and 0.0 <= s["unambiguous_share_of_links"] <= 1.0
    assert np.all(ch.prev < np.arange(len(times)))  # a change links only to an earlier row
    with pytest.raises(ValueError):
        author_chains(np.array([2.0, 1.0]), np.array([1.0, 2.0]), np.array([1.0, 2.0]))


def test_chains_and_author_features_read_only_earlier_rows() -> None:
    """Each prefix of the stream gives the same links and features; changing every later row too."""
    times, exp, rexp, _, la, ld, fix = _authors()
    ch = author_chains(times, exp, rexp)
    full = author_features(times, ch, exp, la, ld, fix)
    assert set(full) == set(AUTHOR)
    rng = np.random.default_rng(4)
    for i in (0, 1, 57, 300, 599):
        p = slice(0, i + 1)
        pch = author_chains(times[p], exp[p], rexp[p])
        assert pch.prev.tolist() == ch.prev[p].tolist()
        e2, r2, la2 = exp.copy(), rexp.copy(), la.copy()
        e2[i + 1:] = rng.integers(0, 20000, len(e2) - i - 1)
        r2[i + 1:] = rng.uniform(0, 500, len(r2) - i - 1)
        la2[i + 1:] = 10**6
        cch = author_chains(times, e2, r2)
        assert cch.prev[: i + 1].tolist() == ch.prev[p].tolist()
        changed = author_features(times, cch, e2, la2, ld, fix)
        prefix = author_features(times[p], pch, exp[p], la[p], ld[p], fix[p])
        for name in AUTHOR:
            np.testing.assert_array_equal(prefix[name][i], full[name][i], err_msg=f"{name}, row {i}")
            np.testing.assert_array_equal(changed[name][i], full[name][i], err_msg=f"{name}, row {i}")


def test_author_defect_rate_reads_only_known_labels_older_than_the_lag() -> None:
    times, exp, rexp, *_ = _authors()
    ch = author_chains(times, exp, rexp)
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, len(times))
    known = np.arange(len(times)) < 400  # the training part; rows 400.. are the test part
    lag = 30 * DAY
    r = author_defect_rate(times, ch, y, known, lag=lag)
    # every test label flipped: no row's feature moves (a test row never reads a test label)
    y2 = y.copy()
    y2[~known] = 1 - y2[~known]
    r2 = author_defect_rate(times, ch, y2, known, lag=lag)
    for k in r:
        np.testing.assert_array_equal(r[k], r2[k])
    # for each row, flipping the labels of rows younger than the lag (and of later rows) changes nothing
    for i in (10, 200, 399, 450, 599):
        y3 = y.copy()
        recent = times > times[i] - lag
        y3[recent] = 1 - y3[recent]
        r3 = author_defect_rate(times, ch, y3, known, lag=lag)
        assert r3["author_bug_rate"][i] == r["author_bug_rate"][i]
        assert r3["author_bug_known"][i] == r["author_bug_known"][i]
    # the count is the number of known rows of the chain older than the lag; the prior is the base rate
    # of every known row older than the lag
    i = 550
    old = known & (times <= times[i] - lag)
    members = [j for j in range(i) if ch.chain[j] == ch.chain[i] and old[j]]
    assert r["author_bug_known"][i] == len(members)
    expect = (y[members].sum() + 5.0 * y[old].mean()) / (len(members) + 5.0)
    assert r["author_bug_rate"][i] == pytest.approx(expect)


def test_known_bug_rate_reads_a_label_only_once_its_fix_exists() -> None:
    #         0    1    2    3    4    5
    times = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    authors = ["a", "a", "b", "a", "a", "b"]
    fixed_at = [3.5, None, 2.5, None, None, None]  # change 0 (a) fixed at 3.5, change 2 (b) at 2.5
    r = known_bug_rate(times, authors, fixed_at, prior_weight=0.0)
    assert r["author_bug_known"].tolist() == [0, 1, 0, 2, 3, 1]
    assert np.isnan(r["author_bug_rate"][0])  # no history and no prior: missing
    assert r["author_bug_rate"][1] == 0.0  # change 0's bug is found at 3.5: unknown at 1.0
    assert r["author_bug_rate"][3] == 0.0  # still unknown at 3.0
    assert r["author_bug_rate"][4] == pytest.approx(1 / 3)  # known at 4.0: one of a's three earlier changes
    assert r["author_bug_rate"][5] == 1.0  # b's change 2, fixed at 2.5
    # smoothed towards the project's rate known at the time
    s = known_bug_rate(times, authors, fixed_at, prior_weight=5.0)
    assert s["author_bug_rate"][4] == pytest.approx((1 + 5 * 2 / 4) / (3 + 5))
    # a later fix, or a later change's label, never moves an earlier value
    later = known_bug_rate(times, authors, [3.5, 4.2, 2.5, 9.0, 4.5, 6.0], prior_weight=5.0)
    np.testing.assert_array_equal(later["author_bug_rate"][:5], s["author_bug_rate"][:5])
    with pytest.raises(ValueError):
        known_bug_rate([1.0, 0.0], ["a", "a"], [None, None])


def test_dataset_author_rate_never_reads_a_test_label(tmp_path: Path) -> None:
    times, exp, rexp, who, la, ld, fix = _authors(300)
    y = np.random.default_rng(1).integers(0, 2, len(times))
    head = "_id,date,bug,ns,nd,nf,entropy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp"

    def write(name: str, labels: np.ndarray, author: bool) -> Path:
        lines = [head + (",author" if author else "")]
        for i in range(len(times)):
            lines.append(f"c{i},{times[i]:.0f},{labels[i]},1,1,2,0.5,{la[i]:.0f},{ld[i]:.0f},100,{fix[i]:.0f},2,3.0,"
                         f"2,{exp[i]:.0f},{rexp[i]:.6f},5" + (f",dev{who[i]}" if author else ""))
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    for author in (False, True):
        ds = read_dataset(write(f"a{author}.csv", y, author))
        assert (ds.authors is not None) == author
        X, names = with_author_rate(ds, 0.75)
        assert names[-2:] == ("author_bug_rate", "author_bug_known")
        y2 = y.copy()
        y2[225:] = 1 - y2[225:]  # every test label flipped (the rows are already in time order)
        X2, _ = with_author_rate(read_dataset(write(f"b{author}.csv", y2, author)), 0.75)
        np.testing.assert_array_equal(X, X2)
    ch = chains_of(read_dataset(write("c.csv", y, True)))
    assert np.all(who[ch.prev[ch.prev >= 0]] == who[ch.prev >= 0])  # an author column is taken as given


def test_blank_authors_are_not_pooled(tmp_path: Path) -> None:
    head = "_id,date,bug,ns,nd,nf,entropy,la,ld,lt,fix,ndev,age,nuc,exp,rexp,sexp,author"
    lines = [head] + [f"c{i},{1000 + i},{i % 2},1,1,1,0,5,1,10,0,1,1,1,{i},{i},1,{'' if i % 3 else 'x'}"
                      for i in range(12)]
    (tmp_path / "b.csv").write_text("\n".join(lines) + "\n")
    ch = chains_of(read_dataset(tmp_path / "b.csv"))
    blank = [i for i in range(12) if i % 3]
    assert len({int(ch.chain[i]) for i in blank}) == len(blank)  # each blank row is its own author
    assert len({int(ch.chain[i]) for i in range(0, 12, 3)}) == 1  # author x: one chain
