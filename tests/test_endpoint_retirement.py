"""Rows under 0.1 % of the requests are retired into `other` every ~10 s, so a busy late-comer gets a row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runners.engine.live import RunEngine, RunSpec
from runners.k6.ingest import SecondBucket
from runners.k6.stats import K6Stats
from runners.k6.tags import TagCache
from tests import k6_scripts


def tags(name: str) -> bytes:
    return json.dumps({"expected_response": "true", "method": "GET", "name": name, "status": "200",
                       "url": f"http://127.0.0.1/{name}"}, separators=(",", ":")).encode()  # fmt: skip


def bucket(t: int, counts: dict[str, int]) -> dict[int, SecondBucket]:
    b = SecondBucket(t)
    for name, n in counts.items():
        b.paired[tags(name)] = [1.0] * n
    return {t: b}


def test_rare_rows_retire_and_a_late_busy_endpoint_gets_a_row() -> None:
    stats = K6Stats(TagCache(), max_endpoints=5)
    stats.absorb(bucket(100, {f"rare-{i}": 1 for i in range(8)}))  # 5 rows, 3 names fold into other
    stats.absorb(bucket(101, {"late": 10_000}))  # the table is full: the late-comer counts under other
    assert set(stats.endpoints) == {*(f"rare-{i}" for i in range(5)), "other"}
    for t in range(102, 120):  # the 20th absorb reviews the rows (the engine absorbs every 0.5 s tick)
        stats.absorb(bucket(t, {}))
    assert set(stats.endpoints) == {"other"}, "every rare row (1 of 10,008 requests) was retired"
    stats.absorb(bucket(120, {"late": 500}))
    assert stats.endpoints["late"].requests == 500, "the busy late-comer has its own row now"
    assert stats.endpoints["other"].requests == 8 + 10_000, "what came before stays in other"
    assert sum(t.requests for t in stats.endpoints.values()) == stats.requests == 10_508
    window = stats.window_endpoints(120.5)
    assert "rare-0" not in window and window["late"].requests == 500


LATE = """
import http from 'k6/http';
export default function () {
  if (__ITER < 60) { http.get(__ENV.BASE + '/rare/' + __ITER, { tags: { name: 'rare-' + __ITER } }); }
  else { http.get(__ENV.BASE + '/late', { tags: { name: 'late' } }); }
}
"""


@pytest.mark.integration
def test_a_real_run_gives_the_late_comer_a_row(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "late.js", LATE)
    engine = RunEngine(RunSpec(script=script, runs_dir=tmp_path / "runs", rules=[],
                               k6_args=("-e", f"BASE={nginx_url}", "--vus", "1", "--duration", "15s")))  # fmt: skip
    engine.start()
    try:
        assert engine.wait(120)
    finally:
        engine.request_stop(hard=True, reason="test cleanup")
    rows = {e["name"]: e for e in engine.summary["endpoints"]}
    assert rows["late"]["requests"] > 0, "the late-comer got a row after rare rows were retired"
    assert not any(name.startswith("rare-") for name in rows), "60 rare rows retired into other"
    assert rows["other"]["requests"] >= 60
    assert sum(e["requests"] for e in rows.values()) == engine.summary["requests"]
