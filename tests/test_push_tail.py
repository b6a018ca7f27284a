"""Settling what k6 counted but never pushed (k6 1.1.0's OTLP output drops its last buffered samples)."""

from __future__ import annotations

from runners.k6.push_model import Kind, PushInbox, SeriesDelta, Tags
from runners.k6.push_tail import PushTally, apportion, spread_over

BUY: Tags = (("scenario", "buy"),)
BROWSE: Tags = (("scenario", "browse"),)


def counter(name: str, tags: Tags, t: float, v: float) -> SeriesDelta:
    return SeriesDelta(name, tags, Kind.COUNTER, t, value=v)


def by_tags(deltas: list[SeriesDelta]) -> dict[Tags, tuple[float, int]]:
    return {d.tags: (d.value, d.total) for d in deltas}


def test_a_counters_tail_splits_over_its_newest_seconds_tag_sets_in_whole_numbers() -> None:
    tally = PushTally()
    tally.see([counter("orders", BUY, 100.5, 50), counter("orders", BROWSE, 100.5, 50)])
    tally.see([counter("orders", BUY, 101.5, 30), counter("orders", BROWSE, 101.5, 10)])  # newest: 3 to 1
    tail = tally.settle({"orders": {"count": 147, "rate": 14.7}}, {}, at=101.5)
    assert by_tags(tail) == {BUY: (5.0, 0), BROWSE: (2.0, 0)}  # 7 missing: 5.25 and 1.75, rounded to sum 7
    assert all(d.kind is Kind.COUNTER and d.t == 101.5 for d in tail)
    assert tally.seen("orders") == (147.0, 0.0)
    assert tally.settle({"orders": {"count": 147, "rate": 14.7}}, {}, at=102.5) == []  # settled once


def test_an_otlp_rates_passes_and_fails_are_settled_and_a_ratio_only_rate_is_not() -> None:
    tally = PushTally()
    tally.see([counter("paid_ok.occurred", BUY, 10.5, 8), counter("paid_ok.total", BUY, 10.5, 10)])
    tally.see([SeriesDelta("ratio_rate", (), Kind.RATE, 10.5, value=0.5, total=-1)])  # remote write
    export = {
        "paid_ok": {"passes": 11, "fails": 3, "value": 11 / 14},
        "ratio_rate": {"passes": 5, "fails": 5},
    }
    tail = tally.settle(export, {}, at=10.5)
    assert [(d.metric, d.kind, d.tags, d.value, d.total) for d in tail] == [
        ("paid_ok", Kind.RATE, BUY, 3.0, 4)
    ]


def test_checks_settle_by_group_and_name_even_one_never_pushed() -> None:
    tally = PushTally()
    tags: Tags = (("check", "paid"), ("group", "::shop"), ("scenario", "buy"))
    tally.see([counter("checks.occurred", tags, 5.5, 9), counter("checks.total", tags, 5.5, 10)])
    root = {"path": "", "checks": [{"name": "teardown ok", "passes": 1, "fails": 0}],
            "groups": [{"path": "::shop", "checks": [{"name": "paid", "passes": 11, "fails": 1}]}]}  # fmt: skip
    # checks in the metrics are skipped: root_group counts them by group and name
    tail = tally.settle({"checks": {"passes": 12, "fails": 1}}, root, at=5.5)
    assert by_tags(tail) == {
        (("check", "teardown ok"), ("group", "")): (1.0, 1),  # only in k6's last batch: its own tags
        tags: (2.0, 2),
    }


def test_checks_pushed_as_a_ratio_are_left_to_the_rest_poll() -> None:
    tally = PushTally()
    tally.see([SeriesDelta("checks", (("check", "a"),), Kind.RATE, 1.5, value=1.0, total=-1)])
    root = {"path": "", "checks": [{"name": "a", "passes": 4, "fails": 0}]}
    assert tally.settle({}, root, at=1.5) == []


def test_the_requests_tail_keeps_k6s_failed_count() -> None:
    ok: Tags = (("expected_response", "true"), ("status", "200"))
    bad: Tags = (("expected_response", "false"), ("status", "404"))
    tally = PushTally()
    tally.see([counter("http_reqs", ok, 1.5, 90), counter("http_reqs", bad, 1.5, 10)])
    tally.see(
        [counter("http_req_failed.occurred", ok, 1.5, 0), counter("http_req_failed.total", ok, 1.5, 90)]
    )
    tally.see(
        [counter("http_req_failed.occurred", bad, 1.5, 10), counter("http_req_failed.total", bad, 1.5, 10)]
    )
    tally.see([counter("http_reqs", ok, 2.5, 50)])  # the newest second had no failure
    export = {"http_reqs": {"count": 160, "rate": 80.0}, "http_req_failed": {"passes": 13, "fails": 147}}
    tail = tally.settle(export, {}, at=2.5)
    assert by_tags(tail) == {ok: (7.0, 0), bad: (3.0, 0)}  # 10 missing, 3 of them failed as k6 counts


def test_an_export_with_less_than_was_pushed_settles_nothing() -> None:
    tally = PushTally()
    tally.see([counter("iterations", (), 3.5, 100)])
    tally.see([counter("r.occurred", (), 3.5, 5), counter("r.total", (), 3.5, 10)])
    export = {"iterations": {"count": 90, "rate": 9.0}, "r": {"passes": 4, "fails": 4}}
    assert tally.settle(export, {}, at=3.5) == []


def test_apportion_sums_exactly() -> None:
    assert apportion(10, [1, 1, 1]) == [4.0, 3.0, 3.0]
    assert sum(apportion(7, [0.2, 0.3, 0.5])) == 7
    assert apportion(3, [0, 0]) == [2.0, 1.0]
    assert apportion(1.5, [1, 2]) == [0.5, 1.0]
    assert apportion(4, []) == []


def test_pushes_that_fell_behind_during_the_run_are_told_apart_from_a_lost_last_batch() -> None:
    tally = PushTally()
    tally.see([counter("http_reqs", (), 1.5, 1000), counter("teardown_only", (), 1.5, 0)])
    # 150 missing at 1,000/s: k6's last batch, settled
    assert tally.behind({"http_reqs": {"count": 1150, "rate": 1000.0}}) is None
    # 6,000 missing at 1,000/s: 6 s of the run were never pushed
    tally.see([counter("iterations", (), 1.5, 1)])
    behind = tally.behind(
        {"iterations": {"count": 90, "rate": 9.0}, "http_reqs": {"count": 7000, "rate": 1000.0}}
    )
    assert behind == ("http_reqs", 1000.0, 7000.0)
    # a Counter never pushed is itself the tail (teardown), not a sign of falling behind
    assert tally.behind({"late": {"count": 500, "rate": 5.0}}) is None


def test_a_tail_spread_over_the_seconds_since_the_newest_push_keeps_its_counts() -> None:
    tail = [counter("http_reqs", BUY, 9.5, 7), SeriesDelta("checks", BUY, Kind.RATE, 9.5, value=4, total=5)]
    spread = spread_over(tail, [8.5, 9.5])
    assert [(d.metric, d.t, d.value, d.total) for d in spread] == [
        ("http_reqs", 8.5, 4.0, 0),
        ("http_reqs", 9.5, 3.0, 0),
        ("checks", 8.5, 2.0, 3),
        ("checks", 9.5, 2.0, 2),
    ]


def test_a_missing_push_is_told_by_the_pushes_times() -> None:
    inbox = PushInbox()
    assert inbox.unpushed_span(100.0, 1.0) is None and inbox.hold_from(100.0, 3.0, 1.0) is None
    inbox.prev_put, inbox.last_put = 100.2, 101.2  # pushes a second apart: nothing missing
    assert inbox.unpushed_span(101.5, 1.0) is None
    assert inbox.hold_from(101.5, 3.0, 1.0) == 101
    assert inbox.unpushed_span(102.4, 1.0) == (101.2, 102.4)  # no push for a second: k6 stopped first
    inbox.prev_put, inbox.last_put = 100.2, 102.3  # the export between them never came
    assert inbox.unpushed_span(102.5, 1.0) == (100.2, 102.3)
    assert inbox.hold_from(102.5, 3.0, 1.0) == 100  # what it carried may be settled there
    assert inbox.hold_from(105.4, 3.0, 1.0) is None  # pushes stopped: hold no longer


def test_passes_pushed_an_export_after_their_totals_are_made_good() -> None:
    # k6's reader collected two samples' `.total` in its last export and their `.occurred` never left k6:
    # the pushes say 8 of 10 passed; k6 says all 12 did.
    tags: Tags = (("check", "paid"), ("group", ""), ("scenario", "buy"))
    tally = PushTally()
    tally.see([counter("checks.occurred", tags, 4.5, 8), counter("checks.total", tags, 4.5, 10)])
    root = {"path": "", "checks": [{"name": "paid", "passes": 12, "fails": 0}]}
    tail = tally.settle({}, root, at=4.5)
    assert [(d.tags, d.value, d.total) for d in tail] == [(tags, 4.0, 2)]
    assert tally.seen("checks", "paid", "") == (12.0, 12.0)
