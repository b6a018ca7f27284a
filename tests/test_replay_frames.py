"""Replay is the live run again: every frame the live engine produced is rebuilt from the record, field by field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from textual.widgets import Label, TabbedContent

from collectors.docker_config import DockerConfig
from collectors.gauge_config import demo_gauges
from runners.demo.target import DemoTarget
from runners.engine.live import RunEngine, RunSpec
from runners.engine.replay import ReplayControl
from runners.model.frames import Frame
from runners.model.rule_spec import Rule
from runners.rules.defaults import default_rules
from tui.app import LoadwatchApp
from tui.k6_charts import SeriesChart
from tui.k6_pane import K6Pane
from tui.units import format_clock

pytestmark = pytest.mark.integration
RAMP = Path(__file__).resolve().parent.parent / "runners" / "demo" / "scenarios" / "demo_ramp.js"
# What a frame carries about its delivery rather than the run: each is checked on its own below.
DELIVERY = {"seq", "new_output", "container_events", "bell", "replay", "rewound", "playback"}
FIELDS = [f.name for f in dataclasses.fields(Frame) if f.name not in DELIVERY]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, k6_bin: str) -> tuple[RunEngine, list[Frame]]:
    """The demo ramp at double speed with its gauges, Docker on, and a critical rule sure to fire."""
    tmp_path = tmp_path_factory.mktemp("replay-frames")
    frames: list[Frame] = []
    rules = [*default_rules(), Rule(name="p95-critical", metric="k6.p95_ms", op=">", critical=150.0, for_s=2.0,
                                    source="config")]  # fmt: skip
    with DemoTarget() as target:
        spec = RunSpec(script=RAMP, k6_args=("-e", f"TARGET={target.url}", "-e", "DEMO_SPEED=0.5"),
                       runs_dir=tmp_path, rules=rules, gauges=demo_gauges(target.url),
                       docker=DockerConfig(cpu_warning=1.0, cpu_critical=2.0))  # fmt: skip
        engine = RunEngine(spec)
        engine.add_listener(frames.append)
        engine.start()
        assert engine.wait(120)
    return engine, frames


def test_replay_rebuilds_every_live_frame(demo_run: tuple[RunEngine, list[Frame]]) -> None:
    engine, frames = demo_run
    critical = [f for f in frames if any(b.level == "critical" for b in f.firing)]
    assert critical, "the critical rule fired during the run"
    assert any(f.gauges and f.gauges.readings for f in frames), "the demo's gauges were read"
    replay = ReplayControl(engine.run_dir, autoplay=False)
    try:
        for live in frames:
            again = replay.frame_at(live.wall_t)
            differ = [n for n in FIELDS if getattr(again, n) != getattr(live, n)]
            assert not differ, f"at {live.elapsed_s:.1f}s: {differ}"
        # The three positions users look at: the start, the first critical breach, the end.
        for live in (frames[0], critical[0], frames[-1]):
            again = replay.frame_at(live.wall_t)
            assert (again.firing, again.codes, again.latency_bins, again.gauges) == (
                live.firing, live.codes, live.latency_bins, live.gauges)  # fmt: skip
        end = replay.frame_at(replay.t_end)
        assert end == dataclasses.replace(end, **{n: getattr(frames[-1], n) for n in FIELDS})
        assert engine.recorder.error is None
    finally:
        replay.close()


def test_replay_snapshot_writes_the_shown_frame_as_json(demo_run: tuple[RunEngine, list[Frame]]) -> None:
    engine, frames = demo_run
    replay = ReplayControl(engine.run_dir, autoplay=False, start_s=frames[len(frames) // 2].elapsed_s)
    try:
        shown = replay.emit()
        svg = replay.snapshot_dir() / "screen-001.svg"
        svg.write_text("<svg/>")
        first, second = replay.save_snapshot(svg), replay.save_snapshot(svg)
        assert first != second and first.suffix == ".json" and first.parent == svg.parent
        body = json.loads(first.read_text())
        assert body["svg"] == str(svg) and body["frame"]["totals"]["requests"] == shown.totals.requests
        assert body["t"] == shown.wall_t
    finally:
        replay.close()


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio."""
    return "asyncio"


@pytest.mark.anyio
async def test_replay_keys_seek_and_charts_follow(demo_run: tuple[RunEngine, list[Frame]]) -> None:
    engine, _ = demo_run
    replay = ReplayControl(engine.run_dir, autoplay=False)
    app = LoadwatchApp(replay, title="replay")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            tabs = app.query_one(TabbedContent)
            assert replay.pos == replay.t_start
            await pilot.press("right")
            await pilot.pause(0.2)
            assert replay.pos == pytest.approx(replay.t_start + 10) and tabs.active == "tab-load"
            await pilot.press("end")
            await pilot.pause(1.3)  # charts redraw at most once a second
            end = replay.last_frame
            assert end is not None and replay.pos == replay.t_end and end.state == engine.state
            pane = app.query_one(K6Pane)
            assert pane.query_one("#chart-rps", SeriesChart).shown_xs[-1] == end.series[-1].t - (
                pane.origin_t or 0
            )
            assert str(app.query_one("#run-replay", Label).render()).endswith(
                f"{format_clock(end.playback.length_s if end.playback else 0)}"
            )
            await pilot.press("left")
            await pilot.pause(1.3)
            back = replay.last_frame
            assert back is not None and replay.pos == pytest.approx(replay.t_end - 10)
            assert back.series[-1].t < end.series[-1].t
            assert pane.query_one("#chart-rps", SeriesChart).shown_xs[-1] == back.series[-1].t - (
                pane.origin_t or 0
            )
            await pilot.press("home")
            await pilot.pause(0.3)
            assert replay.pos == replay.t_start and tabs.active == "tab-load"
            await pilot.press("space")
            await pilot.pause(1.2)
            assert replay.playing and replay.pos > replay.t_start
    finally:
        replay.close()
