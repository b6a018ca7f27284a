"""Exact check counts for a push transport that sends a Rate as its ratio only (Prometheus remote write).

k6's remote write output pushes `checks` as one cumulative ratio per series, so how many checks passed or
failed cannot be told from it. k6's REST API counts them as they happen: `GET /v1/groups` lists every
group with each of its checks' passes and fails (by group path and check name). Its answer costs k6 a walk
over the groups, whatever the length of the run (unlike `GET /v1/metrics`, which sorts every Trend sample
kept so far). This module polls it once a second and turns the counts' growth into Rate deltas for the
`checks` metric, tagged `check` and `group` as k6's JSON output tags a check's sample; at the end, the
summary export's `root_group` settles what the last poll did not see.

Lost against the JSON path: the other tags of a check's sample (scenario, custom tags), and a custom
Rate's counts (k6's REST API gives a Rate's ratio only).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx

from runners.k6.push_model import Kind, PushInbox, SeriesDelta, Tags, interval_middle

POLL_S = 1.0
TIMEOUT_S = 0.5
HOLD_S = 3.0  # seconds after the last poll are held open this long at most (k6's API may stop answering)
MAX_CHECKS = 10_000  # distinct (group, check) pairs followed; k6 keeps checks per group path, not per sample

CheckKey = tuple[str, str]  # (group path, check name)


def checks_of_groups(body: Mapping[str, Any]) -> dict[CheckKey, tuple[int, int]]:
    """(passes, fails) by (group path, check name) from a `GET /v1/groups` answer."""
    out: dict[CheckKey, tuple[int, int]] = {}
    data = body.get("data")
    if not isinstance(data, list):
        raise ValueError("no data list in the groups answer")
    for group in data:
        attrs = group.get("attributes") if isinstance(group, dict) else None
        if not isinstance(attrs, dict):
            continue
        _add_checks(out, str(attrs.get("path") or ""), attrs.get("checks") or ())
    return out


def checks_of_export(root_group: Mapping[str, Any]) -> dict[CheckKey, tuple[int, int]]:
    """(passes, fails) by (group path, check name) from a summary export's `root_group`."""
    out: dict[CheckKey, tuple[int, int]] = {}
    for group in _groups(root_group, depth=0):
        checks = group.get("checks") or {}
        _add_checks(
            out, str(group.get("path") or ""), checks.values() if isinstance(checks, dict) else checks
        )
    return out


def _add_checks(out: dict[CheckKey, tuple[int, int]], path: str, checks: Iterable[Any]) -> None:
    for check in checks:
        if isinstance(check, dict) and "name" in check:
            out[(path, str(check["name"]))] = (int(check.get("passes", 0)), int(check.get("fails", 0)))


def _groups(group: Mapping[str, Any], depth: int) -> Iterator[Mapping[str, Any]]:
    yield group
    children = group.get("groups") or {}
    if depth < 64:  # k6 nests groups as the script does; a bound against a malformed file
        for child in children.values() if isinstance(children, dict) else children:
            if isinstance(child, dict):
                yield from _groups(child, depth + 1)


class RestChecks:
    """Polls k6's check counts and hands their growth over as `checks` Rate deltas."""

    def __init__(self, api_port: int, poll_s: float = POLL_S) -> None:
        self.inbox = PushInbox()
        self.polls = 0
        self.failed_polls = 0
        self.last_error = ""
        self._url = f"http://127.0.0.1:{api_port}/v1/groups"
        self._poll_s = poll_s
        self._seen: dict[CheckKey, tuple[int, int]] = {}
        self._last_t: float | None = None
        self.settled = False  # the summary export's rest has been handed over
        self._lock = threading.Lock()  # the poll thread and the final settle both update `_seen`
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="k6-checks", daemon=True)

    def start(self) -> None:
        """Poll in a thread of its own until stop()."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (k6 has exited: its REST API is gone)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(TIMEOUT_S + 1.0)

    def _run(self) -> None:
        with httpx.Client(timeout=TIMEOUT_S) as client:
            while not self._stop.wait(self._poll_s):
                try:
                    resp = client.get(self._url)
                    resp.raise_for_status()
                    counts = checks_of_groups(resp.json())
                except (httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
                    # k6 not listening yet, or gone: the next poll or settle() covers it
                    self.failed_polls += 1
                    self.last_error = f"{type(exc).__name__}: {exc}"[:200]
                    continue
                self.polls += 1
                self.absorb(counts, time.time())

    def absorb(self, counts: Mapping[CheckKey, tuple[int, int]], now: float, at: float | None = None) -> None:
        """Hand over how far each check's counts grew since the last call, as of `now` (unix seconds).

        Like a push, the growth is put at its interval's middle (the first at the half second before
        `now`), or at `at` when given.
        """
        with self._lock:
            prev_t, self._last_t = self._last_t, now
            t = at if at is not None else interval_middle(prev_t, now)
            deltas: list[SeriesDelta] = []
            for key, (passes, fails) in counts.items():
                old = self._seen.get(key)
                if old is None and len(self._seen) >= MAX_CHECKS:
                    continue
                old_p, old_f = old or (0, 0)
                grew_p, grew_f = passes - old_p, fails - old_f
                if grew_p < 0 or grew_f < 0 or grew_p + grew_f == 0:
                    continue  # counts only grow; a smaller answer is stale
                self._seen[key] = (passes, fails)
                tags: Tags = (("check", key[1]), ("group", key[0]))
                deltas.append(SeriesDelta("checks", tags, Kind.RATE, t, value=grew_p, total=grew_p + grew_f))
            if deltas:
                self.inbox.put(deltas, 0)

    def hold_from(self, now: float) -> int | None:
        """The second of the last poll while polls come: later seconds may still get counts, keep them open."""
        last = self._last_t
        return int(last) if last is not None and now - last < HOLD_S else None

    def settle(self, root_group: Mapping[str, Any], at: float | None = None) -> None:
        """At the end: what k6's summary export counts beyond the last poll, in the last poll's second (held
        open since), or at `at` when no poll was made."""
        self.stop()
        last = self._last_t
        self.absorb(checks_of_export(root_group), time.time(), at=last if last is not None else at)
        self.settled = True
