"""Golden regression tests: one log statement is one template, whatever its values look like.

Fixtures are made up for these tests (no third-party log text). Each case once split one event into
several templates: dates with weekday/month names, values with spaces (``<1 sec``), host:port,
paths, numbers inside words, and values that take a varying number of tokens.
"""

from __future__ import annotations

import pytest

from argus.analysis.failures.align import absorbs, skeleton
from argus.analysis.failures.miner import MinerConfig, TemplateMiner
from argus.analysis.failures.normalise import Masker, normalise

WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def one_template(lines: list[str], config: MinerConfig | None = None) -> str:
    """The single template the miner gives ``lines`` (the test fails if there are several)."""
    miner = TemplateMiner(config or MinerConfig())
    labels = {miner.resolve(t) for t in miner.add_messages(lines)}
    assert len(labels) == 1, sorted(miner.templates[t].text for t in labels)
    return miner.templates[labels.pop()].text


def test_weekday_and_month_names_never_split_a_template() -> None:
    lines = [
        f"connection from 10.1.{i}.7 at {WEEKDAYS[i % 7]} {m} {i + 1:2d} 0{i % 10}:12:33 2019"
        for i, m in enumerate(["Dec", "Jan", "Dec", "Feb", "Dec", "Mar", "Dec"] * 4)
    ]
    assert one_template(lines) == "connection from <*> at <*>"


@pytest.mark.parametrize(
    "date",
    ["Sun Dec 16 04:12:33 2018", "Sat Jan  5 04:12:33 2019", "Monday, Mar 4, 2024", "4 March 2024"],
)
def test_date_shapes_with_names_are_masked(date: str) -> None:
    assert normalise(f"report dated {date} is stale") == ["report", "dated", "<*>", "is", "stale"]
    java = normalise(f"report dated {date.replace('2', '3')} is stale")
    assert java == ["report", "dated", "<*>", "is", "stale"]


def test_java_dates_keep_only_their_zone() -> None:
    assert normalise("at Mon Mar 04 10:12:33 UTC 2024") == normalise("at Sun Dec 29 23:59:01 UTC 2019")


def test_values_with_spaces_and_comparison_signs_are_one_value() -> None:
    short = normalise("app.exe - h.example.org:443 close, 0 bytes sent, 12 bytes received, lifetime <1 sec")
    long = normalise(
        "app.exe - h.example.org:443 close, 1403 bytes (1.37 KB) sent, 6845 bytes (6.68 KB) received, "
        "lifetime 00:01"
    )
    assert short == long
    assert short[-2:] == ["lifetime", "<*>"]


def test_host_and_port_are_one_value_but_file_and_line_is_not() -> None:
    assert normalise("open proxy.example.org:5070 failed") == ["open", "<*>", "failed"]
    assert normalise("open localhost.localdomain:8080 failed") == ["open", "<*>", "failed"]
    # a source location is part of the failure's identity
    assert normalise("handler_test.go:42: got 3") == ["handler_test.go", ":", "<*>", ":", "got", "<*>"]


def test_paths_of_any_depth_are_one_value() -> None:
    lines = [f"cannot read /srv/{'/'.join(['d'] * (i % 4 + 1))}/f{i}.json" for i in range(8)]
    lines += [f"cannot read C:\\build\\out{i}\\x.dll" for i in range(3)]
    assert one_template(lines) == "cannot read <*>"


def test_words_that_differ_only_in_their_digits_are_a_variable() -> None:
    lines = [f"DHCPACK on 10.0.0.{i} via eth{i % 2}" for i in range(20)]
    assert one_template(lines) == "DHCPACK on <*> via <*>"
    lines = [f"ThunderType{i % 3 + 1}::wake - power up complete - took {i} us" for i in range(30)]
    assert one_template(lines).startswith("<*>::")
    # ...unless told otherwise (the switch the cross-validation toggles)
    miner = TemplateMiner(MinerConfig(digit_shapes=False))
    assert len(set(miner.add_messages([f"link up on eth{i % 2}" for i in range(20)]))) == 2


def test_identifiers_with_one_digit_stay_constant_when_they_do_not_vary() -> None:
    assert one_template([f"Accepted key for u{i} port 22 ssh2" for i in range(9)]) == (
        "Accepted key for <*> port <*> ssh2"
    )


def test_one_template_with_varying_token_counts() -> None:
    lines = [f"{p} - www{i}.example.com:443 open through proxy px.example.org:5070 HTTPS"
             for i, p in enumerate(["a.exe", "b.exe *64", "c.exe", "d.exe", "e.exe *64", "f.exe", "g.exe", "h.exe"] * 3)]  # fmt: skip
    assert one_template(lines) == "<*> - <*> open through proxy <*> HTTPS"
    lines = [f"reverse lookup for {h} [10.0.{i}.1] failed - POSSIBLE ATTACK" for i, h in enumerate(
        ["10.0.9.9", "10.0.8.8", "10.0.7.7", "10.0.6.6", "ns.example.com"] * 2)]  # fmt: skip
    assert one_template(lines) == "reverse lookup for <*> failed - POSSIBLE ATTACK"
    values = ["1", "'a b'", "<x y z>", "[1, 2]", "Mon Dec 16 04:12:33 UTC 2024", "3 sec"]
    lines = [f"expected: {a} but was: {b}" for a in values for b in values]
    assert one_template(lines) == "expected: <*> but was: <*>"


def test_extra_words_or_key_values_are_other_events() -> None:
    miner = TemplateMiner()
    base = [f"auth failure; uid=0 rhost=10.0.0.{i}" for i in range(6)]
    extra = [f"auth failure; uid=0 rhost=10.0.0.{i} user=u{i}" for i in range(6)]
    invalid = [f"Failed password for invalid user u{i} from 10.0.0.{i}" for i in range(6)]
    valid = [f"Failed password for u{i} from 10.0.0.{i}" for i in range(6)]
    labels = miner.add_messages(base + extra + invalid + valid)
    assert len({miner.resolve(x) for x in labels}) == 4
    assert not absorbs(tuple(normalise(base[0])), tuple(normalise(extra[0])))
    assert not absorbs(("for", "<*>", "from", "<*>"), ("for", "invalid", "user", "<*>", "from", "<*>"))


def test_first_word_varies_only_before_a_long_constant_message() -> None:
    short = [
        f"{verb} (command {n})" for n, verb in enumerate(["boot", "halt", "wait", "kill", "sync", "run"])
    ]
    miner = TemplateMiner()
    assert len(set(miner.add_messages(short * 2))) == 6
    types = [f"{t}Error: Connection refused" for t in ("A", "B", "C", "D", "E", "F")]
    assert len(set(TemplateMiner().add_messages(types * 2))) == 6


def test_booleans_and_mac_addresses_are_values() -> None:
    assert normalise("mScreenOn=true") == normalise("mScreenOn=false") == ["mScreenOn", "=", "<*>"]
    assert normalise("BSSID changed to 5c:50:15:36:bc:03") == ["BSSID", "changed", "to", "<*>"]


def test_skeleton_collapses_runs_of_variables() -> None:
    assert skeleton(("a", "<*>", "(", "<*>", ")", "b", "/<*>", "*<*>", "c")) == ("a", "<*>", "b", "<*>", "c")


def test_merges_across_lengths_are_reported_when_mined_incrementally() -> None:
    miner = TemplateMiner()
    first = miner.add_messages([f"lookup for 10.0.0.{i} failed - possible attack" for i in range(6)])
    second = miner.add_messages(
        [f"lookup for ns{i}.example.com [10.0.0.{i}] failed - possible attack" for i in range(2)]
    )
    assert miner.resolve(first[0]) == miner.resolve(second[0])
    assert miner.take_merges()


def test_state_round_trip_keeps_the_new_switches() -> None:
    cfg = MinerConfig(lead_min_words=0, merge_skeletons=False, mask_off=("date",))
    miner = TemplateMiner(cfg)
    miner.add_messages(["x at Mon Dec 16"])
    again = TemplateMiner.from_state(miner.state())
    assert again.config == cfg


def test_unknown_masking_rule_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown masking rule.*'dates'"):
        Masker(frozenset({"dates"}))


def test_upper_case_columns_vary_when_the_enum_rule_is_off() -> None:
    states = ["NEW", "RUNNING", "LOOKING", "FOLLOWING", "LEADING", "DONE"] * 2
    lines = [f"peer {i} moved to state {s} after {i} ms" for i, s in enumerate(states)]
    assert len(set(TemplateMiner().add_messages(lines))) == 6
    assert one_template(lines, MinerConfig(enum_constants=False)) == "peer <*> moved to state <*> after <*>"


def test_words_differing_only_in_digits_merge_across_batches() -> None:
    miner = TemplateMiner()
    first = miner.add_messages([f"DHCPACK on 10.0.0.{i} via eth0" for i in range(5)])
    second = miner.add_messages([f"DHCPACK on 10.0.1.{i} via eth1" for i in range(5)])
    assert miner.resolve(first[0]) == miner.resolve(second[0])
    assert miner.templates[miner.resolve(first[0])].text == "DHCPACK on <*> via <*>"
