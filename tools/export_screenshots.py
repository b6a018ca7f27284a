"""Generates screenshots/ from a real demo run: the real k6 against the bundled demo target.

Usage: .venv/bin/python -m tools.export_screenshots [--speed 2] [--live-at 0.55] [--only demo|metrics]
Writes screenshots/{live,end,replay}-{80x24,120x40,200x60}.svg and a PNG of each (rsvg-convert): the run
while it saturates the demo's pool, its end-of-run Result tab, and a replay of the record at the same moment
as the live picture. Then the Metrics tab (k6's summary, live) at 80x24 (its top, and scrolled to the
custom metrics) and 160x48, from a real run of the shop script the tests record (two scenarios, one
arrival-rate that drops iterations, nested groups, named checks, custom metrics) against a local nginx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

from textual.pilot import Pilot

from benchmarks.local_nginx import local_nginx
from runners.demo.process import start_demo_process
from runners.engine.control import RunControl
from runners.engine.live import RunEngine, RunSpec
from runners.engine.replay import ReplayControl
from tui.app import LoadwatchApp
from tui.k6_pane import K6Pane
from tui.metrics_pane import MetricsPane

ROOT = Path(__file__).resolve().parent.parent

SIZES = ((80, 24), (120, 40), (200, 60))
"""The sizes every picture is taken at: the smallest supported, the README's, a big monitor."""
SHOP = Path("tests") / "fixtures" / "shop.js"
"""The mixed script the Metrics pictures run (relative: the pictures show no machine path)."""


async def shoot(pilot: Pilot[int], kind: str, out: Path) -> list[Path]:
    """Save one SVG per size of what the app shows now.

    Args:
        pilot: Drives the running app.
        kind: live, end or replay (the file name's first part).
        out: The folder.

    Returns:
        The SVG paths.
    """
    app = pilot.app
    paths = []
    for cols, rows in SIZES:
        await pilot.resize_terminal(cols, rows)
        await pilot.pause(0.3)
        app.query_one(K6Pane).redraw_charts()
        await pilot.pause(0.3)
        paths.append(Path(app.save_screenshot(filename=f"{kind}-{cols}x{rows}.svg", path=str(out))))
    return paths


async def _start_and_wait(pilot: Pilot[int], engine: RunEngine, live_at_s: float) -> None:
    """Start the run and let it go `live_at_s` seconds (or until it ends)."""
    engine.start()
    start = time.monotonic()
    while time.monotonic() - start < live_at_s and engine.state.is_active:
        await pilot.pause(0.5)


async def capture_run(engine: RunEngine, live_at_s: float, out: Path) -> list[Path]:
    """Run the app on the live engine: pictures while it runs, then of the Result tab once it ended."""
    app = LoadwatchApp(engine)
    paths: list[Path] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await _start_and_wait(pilot, engine, live_at_s)
        app.action_instant_mark()  # a mark, so the pictures show one on the charts
        await pilot.pause(1.5)
        paths += await shoot(pilot, "live", out)
        await pilot.resize_terminal(120, 40)
        while engine.state.is_active:
            await pilot.pause(0.5)
        await pilot.pause(1.5)  # the final frame and the Result tab
        paths += await shoot(pilot, "end", out)
    return paths


async def capture_replay(control: RunControl, at_s: float, out: Path) -> list[Path]:
    """Replay the record, paused at `at_s` seconds into the run."""
    assert isinstance(control, ReplayControl)
    app = LoadwatchApp(control, title="replay")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)  # the app listens (and so starts the playback thread) once mounted
        control.seek_to(control.t0 + at_s)
        await pilot.pause(1.0)
        return await shoot(pilot, "replay", out)


async def capture_metrics(engine: RunEngine, live_at_s: float, out: Path) -> list[Path]:
    """The Metrics tab of a live run: 160x48, then 80x24 at its top and scrolled to the custom metrics."""
    app = LoadwatchApp(engine)
    paths: list[Path] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _start_and_wait(pilot, engine, live_at_s)
        await pilot.press("7")
        await pilot.pause(1.0)
        paths.append(Path(app.save_screenshot(filename="metrics-160x48.svg", path=str(out))))
        await pilot.resize_terminal(80, 24)
        await pilot.pause(1.0)
        paths.append(Path(app.save_screenshot(filename="metrics-80x24.svg", path=str(out))))
        pane = app.query_one(MetricsPane)
        pane.scroll_to(y=pane.line_of("█ CUSTOM"), animate=False)
        await pilot.pause(0.5)
        paths.append(Path(app.save_screenshot(filename="metrics-80x24-custom.svg", path=str(out))))
        engine.request_stop(reason="pictures taken")
        while engine.state.is_active:
            await pilot.pause(0.5)
    return paths


def run_demo(a: argparse.Namespace, out: Path, runs: Path) -> list[Path]:
    """The demo's live, end and replay pictures."""
    run_s = 55.0 / a.speed
    target = start_demo_process()
    try:
        script = Path("runners") / "demo" / "scenarios" / "demo_ramp.js"
        spec = RunSpec(script=script, k6_args=("-e", f"TARGET={target.url}", "-e", f"DEMO_SPEED={1 / a.speed:g}"),
                       name="demo", runs_dir=runs)  # fmt: skip
        engine = RunEngine(spec)
        paths = asyncio.run(capture_run(engine, run_s * a.live_at, out))
        engine.wait(30)
        replay = ReplayControl(engine.run_dir, autoplay=False)
        try:
            paths += asyncio.run(capture_replay(replay, run_s * a.live_at, out))
        finally:
            replay.close()
    finally:
        target.stop()
    return paths


def run_metrics(out: Path, runs: Path) -> list[Path]:
    """The Metrics pictures, from the shop script against a local nginx."""
    with local_nginx() as base:
        spec = RunSpec(
            script=SHOP, k6_args=("-e", f"BASE={base}", "-e", "DUR=30s"), name="shop", runs_dir=runs
        )
        engine = RunEngine(spec)
        paths = asyncio.run(capture_metrics(engine, 12.0, out))
        engine.wait(30)
    return paths


def to_png(svg: Path, converter: str) -> None:
    """Convert one picture; its text keeps its spaces (rsvg drops leading no-break spaces of a text run
    unless told to preserve them, which shifts right-aligned numbers left)."""
    text = svg.read_text(encoding="utf-8")
    if 'xml:space="preserve"' not in text:
        svg.write_text(text.replace("<svg ", '<svg xml:space="preserve" ', 1), encoding="utf-8")
    subprocess.run([converter, str(svg), "-o", str(svg.with_suffix(".png"))], check=True, timeout=60)


def main() -> None:
    """Run the demo, capture, replay, capture, convert to PNG."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--speed", type=float, default=1.5, help="the demo ramp runs this many times faster")
    p.add_argument("--live-at", type=float, default=0.55, help="live pictures at this share of the run")
    p.add_argument("--only", choices=("demo", "metrics"), help="take only these pictures")
    a = p.parse_args()
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for old in out.glob("demo*"):
        old.unlink()
    os.chdir(ROOT)  # k6 prints the script as given: keep this machine's paths out of the pictures
    runs = Path(".screenshot-runs")  # relative, so the Result tab shows no machine path either
    paths: list[Path] = []
    try:
        if a.only in (None, "demo"):
            paths += run_demo(a, out, runs)
        if a.only in (None, "metrics"):
            paths += run_metrics(out, runs)
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    converter = shutil.which("rsvg-convert")
    for svg in paths:
        if converter:
            to_png(svg, converter)
        print(f"wrote {svg.relative_to(ROOT)}" + (" and .png" if converter else ""))


if __name__ == "__main__":
    main()
