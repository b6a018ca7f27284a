"""Rules on a real run: the demo target driven past saturation by the real k6 fires them, and abort works."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runners.demo.target import DemoTarget
from runners.engine.live import RunEngine, RunSpec
from runners.model.frames import Frame, RunState
from runners.model.rule_events import Breach
from runners.model.rule_spec import Rule, RuleActions
from runners.record.reader import RecordReader
from runners.record.schema import EventKind

pytestmark = pytest.mark.integration
RAMP = Path(__file__).resolve().parent.parent / "runners" / "demo" / "scenarios" / "demo_ramp.js"


def test_p95_rule_fires_in_time_and_abort_rule_stops_the_run(tmp_path: Path, k6_bin: str) -> None:
    rules = (
        Rule(name="p95-high", metric="k6.p95_ms", op=">", warning=150.0, for_s=3.0, source="config"),
        Rule(name="errors-abort", metric="k6.error_pct", op=">", critical=2.0, for_s=2.0,
             actions=RuleActions(abort="critical"), source="config"),
    )  # fmt: skip
    seen: dict[str, float] = {}
    shown: dict[str, Breach] = {}  # each rule's breach as the screen first showed it firing

    def on_frame(frame: Frame) -> None:
        for b in frame.firing:
            seen.setdefault(b.rule, time.time())
            shown.setdefault(b.rule, b)

    with DemoTarget() as target:
        spec = RunSpec(script=RAMP, k6_args=("-e", f"TARGET={target.url}", "-e", "DEMO_SPEED=0.5"),
                       runs_dir=tmp_path, rules=rules)  # fmt: skip
        engine = RunEngine(spec)
        engine.add_listener(on_frame)
        engine.start()
        assert engine.wait(120)
    assert engine.state == RunState.ABORTED
    assert engine.summary["status_detail"].startswith("aborted by rule errors-abort")
    meta = RecordReader(engine.run_dir).meta()
    assert meta["stopped_by"] == "rule errors-abort"
    breaches: list[dict[str, object]] = engine.summary["breaches"]
    p95 = next(b for b in breaches if b["rule"] == "p95-high")
    crossed, start = float(str(p95["crossed"])), float(str(p95["start"]))
    assert start - crossed <= 3.0 + 2.0, "fired within its duration plus 2 s of the crossing"
    assert seen["p95-high"] - start <= 1.0, "on screen within 1 s of firing"
    print(
        f"p95-high: fired {start - crossed:.2f} s after crossing (for 3 s); on screen {seen['p95-high'] - start:.3f} s later"
    )
    assert engine.summary["capacity_ceiling"]["rule"] == "errors-abort"
    events = [e for e in RecordReader(engine.run_dir).events(EventKind.BREACH) if e.transition == "firing"]
    assert {e["rule"] for e in events} >= {"p95-high", "errors-abort"}
    p95_shown, errors_shown = shown["p95-high"], shown["errors-abort"]
    assert p95_shown.level == "warning" and p95_shown.path == "k6.p95_ms" and p95_shown.worst > 150.0
    assert errors_shown.level == "critical" and errors_shown.worst > 2.0 and errors_shown.threshold == 2.0
    assert errors_shown.start >= errors_shown.crossed


def test_default_pool_rule_fires_within_its_duration_plus_2s_of_the_real_crossing(
    tmp_path: Path, k6_bin: str
) -> None:
    import threading

    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from collectors.gauge_config import demo_gauges
    from runners.rules.defaults import default_rules

    pool_rule = next(
        r for r in default_rules(demo_gauges("http://127.0.0.1:1").gauges) if r.name == "db-connections"
    )
    assert pool_rule.critical is not None
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def watch(url: str) -> None:  # ground truth: the target's own pool, read 10 times a second
        with httpx.Client(timeout=1.0) as client:
            while not stop.wait(0.1):
                try:
                    text = client.get(f"{url}/metrics").text
                except httpx.HTTPError:
                    continue
                vals = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
                samples.append((time.time(), 100 * vals["demo_db_pool_connections_in_use"]
                                / vals["demo_db_pool_connections_max"]))  # fmt: skip

    with DemoTarget() as target:
        watcher = threading.Thread(target=watch, args=(target.url,), daemon=True)
        watcher.start()
        spec = RunSpec(script=RAMP, k6_args=("-e", f"TARGET={target.url}", "-e", "DEMO_SPEED=0.6"),
                       runs_dir=tmp_path, rules=(pool_rule,), gauges=demo_gauges(target.url))  # fmt: skip
        engine = RunEngine(spec)
        engine.start()
        assert engine.wait(120)
        stop.set()
        watcher.join(5)
    fired = [
        b for b in engine.summary["breaches"] if b["rule"] == "db-connections" and b["level"] == "critical"
    ]
    assert fired, "the pool rule fired"
    # The crossing: the start of the first stretch above the level that lasted the rule's duration.
    crossed, run_start = None, None
    for t, pct in samples:
        if pct >= pool_rule.critical:
            run_start = t if run_start is None else run_start
            if t - run_start >= pool_rule.for_s:
                crossed = run_start
                break
        else:
            run_start = None
    assert crossed is not None, "the pool stayed saturated for the rule's duration"
    delay = float(fired[0]["start"]) - crossed
    print(
        f"db-connections fired {delay:.2f} s after the pool crossed {pool_rule.critical:g} % (for {pool_rule.for_s:g} s)"
    )
    assert delay <= pool_rule.for_s + 2.0
    assert engine.summary["gauges"]["db_pool"], "the gauge is in the summary"
