"""Golden tests of template mining and incremental assignment."""

from __future__ import annotations

import json

from argus.analysis.failures.miner import MinerConfig, TemplateMiner, render, template_of

SSH = [
    "Failed password for root from 10.0.0.1 port 22 ssh2",
    "Failed password for root from 10.0.0.2 port 2200 ssh2",
    "Failed password for admin from 10.0.0.3 port 22 ssh2",
    "Failed password for guest from 10.0.0.4 port 23 ssh2",
    "Failed password for oracle from 10.0.0.5 port 24 ssh2",
    "Failed password for test from 10.0.0.6 port 25 ssh2",
    "Failed password for ftp from 10.0.0.7 port 26 ssh2",
]
STATES = [
    "task_1 Transitioned from NEW to RUNNING",
    "task_2 Transitioned from NEW to RUNNING",
    "task_3 Transitioned from RUNNING to SUCCEEDED",
    "task_4 Transitioned from RUNNING to SUCCEEDED",
    "task_5 Transitioned from RUNNING to FAILED",
    "task_6 Transitioned from RUNNING to FAILED",
]


def templates(miner: TemplateMiner, labels: list[int]) -> list[str]:
    return [miner.templates[label].text for label in labels]


def test_word_variable_with_many_values_becomes_a_wildcard() -> None:
    m = TemplateMiner()
    labels = m.add_messages(SSH)
    assert len(set(labels)) == 1
    assert templates(m, labels)[0] == "Failed password for <*> from <*> port <*> ssh2"


def test_upper_case_states_name_different_events() -> None:
    m = TemplateMiner()
    labels = m.add_messages(STATES)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[4] == labels[5]
    assert len(set(labels)) == 3
    assert templates(m, labels)[4] == "<*> Transitioned from RUNNING to FAILED"


def test_first_word_is_never_a_variable() -> None:
    msgs = [
        f"{verb} (command {n})" for n, verb in enumerate(["boot", "halt", "wait", "reboot", "kill", "sync"])
    ]
    labels = TemplateMiner().add_messages(msgs * 2)
    assert len(set(labels)) == 6


def test_few_distinct_words_in_a_small_group_split_only_when_repeated() -> None:
    m = TemplateMiner()
    # a column with two values each seen many times: two events
    labels = m.add_messages(["Changing view acls"] * 5 + ["Changing modify acls"] * 5)
    assert len(set(labels)) == 2
    # a column whose values are mostly one-offs: one event
    labels = TemplateMiner().add_messages(
        ["login failed for alice", "login failed for bob", "login failed for carol"]
    )
    assert len(set(labels)) == 1


def test_different_lengths_are_different_templates() -> None:
    labels = TemplateMiner().add_messages(["disk full", "disk full on node-3", "disk full on node-4"])
    assert labels[0] != labels[1] and labels[1] == labels[2]


def test_incremental_assignment_reuses_templates_without_remining() -> None:
    m = TemplateMiner()
    first = m.add_messages(SSH)
    before = {t.id: t.tokens for t in m.templates.values()}
    second = m.add_messages(["Failed password for nobody from 10.9.9.9 port 1 ssh2", "Disk quota exceeded"])
    assert second[0] == first[0]  # a new user name fits the existing wildcard
    assert second[1] not in first
    assert {t.id: t.tokens for t in m.templates.values() if t.id in before} == before  # history unchanged
    assert m.templates[first[0]].count == len(SSH) + 1


def test_most_specific_template_wins() -> None:
    m = TemplateMiner()
    m.add_template(("error", "in", "<*>"))
    specific = m.add_template(("error", "in", "parser"))
    assert m.add_messages(["error in parser"]) == [specific.id]


def test_state_round_trips_through_json() -> None:
    m = TemplateMiner(MinerConfig(variable_min_distinct=4))
    labels = m.add_messages(SSH + STATES)
    restored = TemplateMiner.from_state(json.loads(json.dumps(m.state())))
    assert restored.config == m.config
    assert restored.add_messages(SSH + STATES) == labels


def test_render_and_template_of() -> None:
    assert template_of([("a", "1", "c"), ("a", "2", "c")]) == ("a", "<*>", "c")
    assert render(("f", "(", "x", "=", "<*>", ",", "y", ")", ":", "z")) == "f (x=<*>, y): z"
    assert render(("<*>", "!=", "<*>")) == "<*> != <*>"


def test_empty_messages_get_a_label() -> None:
    m = TemplateMiner()
    labels = m.add_messages(["", "  ", "boom"])
    assert labels[0] == labels[1] != labels[2]


def test_templates_from_separate_batches_merge_when_a_column_proves_variable() -> None:
    m = TemplateMiner(MinerConfig(variable_min_distinct=5))
    labels = [m.add_messages([f"permission denied for {u}"])[0] for u in ("ann", "bob", "cid", "dan")]
    assert len(set(labels)) == 4 and m.take_merges() == []  # four values: not yet a variable
    fifth = m.add_messages(["permission denied for eve"])[0]
    merges = m.take_merges()
    assert {old for old, _ in merges} >= set(labels)
    assert {m.resolve(label) for label in labels} == {fifth}
    assert m.templates[fifth].text == "permission denied for <*>" and m.templates[fifth].count == 5
    assert m.add_messages(["permission denied for ann"]) == [fifth]  # the narrow template is gone


def test_a_general_template_absorbs_the_narrow_ones_it_covers() -> None:
    m = TemplateMiner()
    (root,) = set(m.add_messages(SSH[:2]))
    assert m.templates[root].text == "Failed password for root from <*> port <*> ssh2"
    general = m.add_messages(SSH[2:])[0]
    assert m.resolve(root) == general and (root, general) in m.take_merges()
    assert m.templates[general].count == len(SSH)


def test_enum_and_first_columns_never_merge_across_batches() -> None:
    m = TemplateMiner()
    states = [
        m.add_messages([f"job moved to {s}"])[0]
        for s in ("NEW", "RUNNING", "DONE", "FAILED", "KILLED", "LOST")
    ]
    verbs = [
        m.add_messages([f"{v} the cache"])[0] for v in ("flush", "clear", "warm", "drop", "load", "scan")
    ]
    assert len({m.resolve(x) for x in states}) == 6 and len({m.resolve(x) for x in verbs}) == 6


def test_merged_templates_survive_the_state_round_trip() -> None:
    m = TemplateMiner()
    for u in ("ann", "bob", "cid", "dan", "eve"):
        m.add_messages([f"permission denied for {u}"])
    restored = TemplateMiner.from_state(json.loads(json.dumps(m.state())))
    assert restored.add_messages(
        ["permission denied for ann", "permission denied for zed"]
    ) == m.add_messages(["permission denied for ann", "permission denied for zed"])
