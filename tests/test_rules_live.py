"""Rules on a real run: the demo target driven past saturation by the real k6 fires them, and abort works."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runners.demo_target import DemoTarget
from runners.engine import RunEngine, RunSpec
from runners.frames import Frame, RunState
from runners.rule_events import Breach
from runners.rules import Rule, RuleActions
from runners.run_record import RunReader

pytestmark = pytest.mark.integration
RAMP = Path(__file__).resolve().parent.parent / "runners" / "scenarios" / "demo_ramp.js"


def test_p95_rule_fires_in_time_and_abort_rule_stops_the_run(tmp_path: Path, k6_bin: str) -> None:
    rules = (
        Rule(name="p95-high", metric="k6.p95_ms", op=">", warning=150.0, for_s=3.0, source="config"),
        Rule(name="errors-abort", metric="k6.error_pct", op=">", critical=2.0, for_s=2.0,
             actions=RuleActions(abort="critical"), source="config"),
    )  # fmt: skip
    seen: dict[str, float] = {}

    def on_frame(frame: Frame) -> None:
        for b in frame.firing:
            seen.setdefault(b.rule, time.time())

    with DemoTarget() as target:
        spec = RunSpec(script=RAMP, k6_args=("-e", f"TARGET={target.url}", "-e", "DEMO_SPEED=0.5"),
                       runs_dir=tmp_path, rules=rules)  # fmt: skip
        engine = RunEngine(spec)
        engine.add_listener(on_frame)
        engine.start()
        assert engine.wait(120)
    assert engine.state == RunState.ABORTED
    assert engine.summary["status_detail"].startswith("aborted by rule errors-abort")
    meta = RunReader(engine.run_dir).meta()
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
    events = [e for e in RunReader(engine.run_dir).events("breach") if e.get("transition") == "firing"]
    assert {e["rule"] for e in events} >= {"p95-high", "errors-abort"}
    assert isinstance(engine.rules.firing(), tuple) and all(
        isinstance(b, Breach) for b in engine.rules.firing()
    )
