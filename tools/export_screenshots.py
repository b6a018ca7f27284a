"""Generates screenshots/ from a real demo run: the real k6 against the bundled demo target.

Usage: .venv/bin/python -m tools.export_screenshots [--seconds 40]
Writes screenshots/demo.svg (120x36), demo-80x24.svg, demo-160x48.svg and a PNG of each (rsvg-convert).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from runners.demo.process import start_demo_process
from runners.engine.live import RunEngine, RunSpec
from tui.app import LoadwatchApp

ROOT = Path(__file__).resolve().parent.parent

SIZES = {"demo": (120, 36), "demo-80x24": (80, 24), "demo-160x48": (160, 48)}


async def capture(engine: RunEngine, seconds: float, out: Path) -> list[Path]:
    """Run the app on the live engine, wait, then save one SVG per size."""
    app = LoadwatchApp(engine)
    paths = []
    async with app.run_test(size=SIZES["demo"]) as pilot:
        engine.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and engine.state.is_active:
            await pilot.pause(0.5)
        for name, size in SIZES.items():
            await pilot.resize_terminal(*size)
            await pilot.pause(1.2)  # charts redraw at most once a second
            paths.append(Path(app.save_screenshot(filename=f"{name}.svg", path=str(out))))
        engine.request_stop(reason="screenshot taken")
        await pilot.pause(0.2)
    return paths


def main() -> None:
    """Run the demo, capture, convert to PNG."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=40.0, help="how far into the ramp to capture")
    a = p.parse_args()
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    target = start_demo_process()
    try:
        with tempfile.TemporaryDirectory() as runs:
            os.chdir(ROOT)  # k6 prints the script as given: keep this machine's paths out of the pictures
            script = Path("runners") / "demo" / "scenarios" / "demo_ramp.js"
            spec = RunSpec(
                script=script, k6_args=("-e", f"TARGET={target.url}"), name="demo", runs_dir=Path(runs)
            )
            engine = RunEngine(spec)
            paths = asyncio.run(capture(engine, a.seconds, out))
            engine.request_stop(hard=True, reason="screenshot taken")
            engine.wait(30)
    finally:
        target.stop()
    converter = shutil.which("rsvg-convert")
    for svg in paths:
        if converter:
            subprocess.run([converter, str(svg), "-o", str(svg.with_suffix(".png"))], check=True, timeout=60)
        print(f"wrote {svg.relative_to(ROOT)}" + (" and .png" if converter else ""))


if __name__ == "__main__":
    main()
