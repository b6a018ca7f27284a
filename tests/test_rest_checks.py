"""Check counts from k6's REST API (for remote write, which pushes a Rate's ratio only): answers, growth, end."""

from __future__ import annotations

from typing import Any

import pytest

from runners.k6.push_model import Kind
from runners.k6.rest_checks import RestChecks, checks_of_export, checks_of_groups

# What k6 1.1.0 answers to GET /v1/groups (trimmed to the fields read): the root group and one nested group.
GROUPS: dict[str, Any] = {
    "data": [
        {
            "type": "groups",
            "id": "d41d",
            "attributes": {
                "path": "",
                "name": "",
                "checks": [{"id": "a", "path": "::is 200", "name": "is 200", "passes": 40, "fails": 2}],
            },
        },
        {
            "type": "groups",
            "id": "9ccb",
            "attributes": {
                "path": "::shop::pay",
                "name": "pay",
                "checks": [{"id": "b", "path": "::shop::pay::paid", "name": "paid", "passes": 7, "fails": 0}],
            },
        },
        {"type": "groups", "id": "77aa", "attributes": {"path": "::shop", "name": "shop", "checks": None}},
    ]
}
# The same checks as a summary export's root_group holds them (objects keyed by name, groups nested).
ROOT_GROUP: dict[str, Any] = {
    "name": "", "path": "", "id": "d41d",
    "checks": {"is 200": {"name": "is 200", "path": "::is 200", "id": "a", "passes": 45, "fails": 2}},
    "groups": {"shop": {"name": "shop", "path": "::shop", "id": "77aa", "checks": {}, "groups": {
        "pay": {"name": "pay", "path": "::shop::pay", "id": "9ccb", "groups": {},
                "checks": {"paid": {"name": "paid", "path": "::shop::pay::paid", "passes": 9, "fails": 1}}}}}},
}  # fmt: skip


def test_groups_answer_and_export_give_counts_by_group_and_name() -> None:
    assert checks_of_groups(GROUPS) == {("", "is 200"): (40, 2), ("::shop::pay", "paid"): (7, 0)}
    assert checks_of_export(ROOT_GROUP) == {("", "is 200"): (45, 2), ("::shop::pay", "paid"): (9, 1)}
    with pytest.raises(ValueError):
        checks_of_groups({"errors": [{"status": "500"}]})


def test_growth_is_handed_over_once_and_the_export_settles_the_rest() -> None:
    poll = RestChecks(api_port=1)
    poll.absorb(checks_of_groups(GROUPS), now=100.0)
    first = {d.tags: (d.value, d.total, d.t) for d in poll.inbox.take()}
    assert first == {
        (("check", "is 200"), ("group", "")): (40, 42, 99.5),
        (("check", "paid"), ("group", "::shop::pay")): (7, 7, 99.5),
    }
    poll.absorb(checks_of_groups(GROUPS), now=101.0)  # nothing new: nothing handed over
    assert poll.inbox.take() == []
    stale = {("", "is 200"): (39, 2)}  # an answer older than the last one: ignored, not a negative count
    poll.absorb(stale, now=102.0)
    assert poll.inbox.take() == []
    assert poll.hold_from(now=103.0) == 102  # the engine keeps the last poll's second open for the rest
    assert poll.hold_from(now=110.0) is None  # ... but not for ever when k6's API stops answering
    poll.settle(ROOT_GROUP, at=104.5)  # into the last poll's second, held open, not a closed one
    rest = poll.inbox.take()
    assert all(d.metric == "checks" and d.kind is Kind.RATE and d.t == 102.0 for d in rest)
    assert {d.tags[0][1]: (d.value, d.total) for d in rest} == {"is 200": (5, 5), "paid": (2, 3)}
