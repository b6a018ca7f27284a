"""Replay is the live run again: every frame the live engine produced is rebuilt from the record, field by field."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, TabbedContent

from collectors.docker_config import DockerConfig
from collectors.gauge_config import demo_gauges
from runners.demo.target import DemoTarget
from runners.engine.live import RunEngine, RunSpec
from runners.engine.replay import ReplayControl
from runners.model.frames import Frame
from runners.model.rule_spec import Rule
from runners.model.units import format_clock
from runners.rules.defaults import default_rules
from tui.app import LoadwatchApp
from tui.k6_charts import SeriesChart
from tui.k6_pane import K6Pane
from tui.metrics_pane import MetricsPane

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
            differ = [n for n in FIELDS if n != "wall_t" and getattr(again, n) != getattr(live, n)]
            assert not differ, f"at {live.elapsed_s:.1f}s: {differ}"
            assert again.wall_t == pytest.approx(live.wall_t, abs=0.001)  # ticks are keyed by the ms
        # The three positions users look at: the start, the first critical breach, the end.
        for live in (frames[0], critical[0], frames[-1]):
            again = replay.frame_at(live.wall_t)
            assert (again.firing, again.codes, again.latency_bins, again.gauges) == (
                live.firing, live.codes, live.latency_bins, live.gauges)  # fmt: skip
        end = replay.frame_at(replay.t_end)
        assert end == dataclasses.replace(end, **{n: getattr(frames[-1], n) for n in FIELDS if n != "wall_t"})
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


async def _until(pilot: Pilot[int], holds: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not holds():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.1)


@pytest.mark.anyio
async def test_replay_keys_seek_and_charts_follow(demo_run: tuple[RunEngine, list[Frame]]) -> None:
    engine, _ = demo_run
    replay = ReplayControl(engine.run_dir, autoplay=False)
    app = LoadwatchApp(replay, title="replay")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            pane = app.query_one(K6Pane)
            tabs = app.query_one(TabbedContent)
            chart = pane.query_one("#chart-rps", SeriesChart)

            def charted(frame: Frame | None) -> bool:  # charts redraw at most once a second
                shown = chart.shown_xs
                return (
                    frame is not None
                    and bool(shown)
                    and shown[-1] == frame.series[-1].t - (pane.origin_t or 0)
                )

            await _until(pilot, lambda: replay.last_frame is not None, "the first frame")
            assert replay.pos == replay.t_start
            await pilot.press("right")
            await _until(pilot, lambda: replay.pos == pytest.approx(replay.t_start + 10), "+10 s")
            assert tabs.active == "tab-load"
            await pilot.press("end")
            await _until(pilot, lambda: replay.pos == replay.t_end, "the end")
            end = replay.last_frame
            assert end is not None and end.state == engine.state and end.playback is not None
            await _until(pilot, lambda: charted(end), "the charts at the end")
            label, length = app.query_one("#run-replay", Label), end.playback.length_s
            await _until(pilot, lambda: str(label.render()).endswith(format_clock(length)), "the bar")
            await pilot.press("left")
            await _until(pilot, lambda: replay.pos == pytest.approx(replay.t_end - 10), "-10 s")
            back = replay.last_frame
            assert back is not None and back.series[-1].t < end.series[-1].t
            await _until(pilot, lambda: charted(back), "the charts 10 s back")
            await pilot.press("home")
            await _until(pilot, lambda: replay.pos == replay.t_start, "the start")
            assert tabs.active == "tab-load"
            await pilot.press("space")
            await _until(pilot, lambda: replay.playing and replay.pos > replay.t_start, "playing")
    finally:
        replay.close()


@pytest.mark.anyio
async def test_replay_metrics_tab_shows_the_recorded_summary(demo_run: tuple[RunEngine, list[Frame]]) -> None:
    engine, frames = demo_run
    replay = ReplayControl(engine.run_dir, autoplay=False)
    app = LoadwatchApp(replay, title="replay")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(pilot, lambda: replay.last_frame is not None, "the first frame")
            await pilot.press("end")
            await _until(pilot, lambda: replay.pos == replay.t_end, "the end")
            await pilot.press("7")
            pane = app.query_one(MetricsPane)

            def text() -> str:
                return "\n".join(line.plain for line in pane.lines)

            await _until(pilot, lambda: "█ CHECKS" in text(), "the Metrics tab drawn from the record")
            final = frames[-1].metrics
            assert final is not None and final.checks
            for check in final.checks:  # every check by name, as the live run's last frame had it
                assert f"{'✓' if check.fails == 0 else '✗'} {check.name}" in text(), check.name
            assert "k6 summary · whole run, final" in text() and "(k6)" in text()  # k6's own verdicts
    finally:
        replay.close()
