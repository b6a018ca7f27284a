"""Generates docs/example-report/ and screenshots/report.png from two real demo runs: before and after a fix.

Usage: .venv/bin/python -m tools.example_report [--speed 1.0] [--keep DIR | --reuse BEFORE AFTER]

The baseline runs the bundled ramp against the demo target with its default 20-connection DB pool; the
"after" run gives the target a 40-connection pool, as a team would after finding the pool saturated. Both
use the real k6. The report of the second run against the first goes to docs/example-report/ (report.md
with charts/*.svg, report.html, report.json); headless Chromium takes screenshots/report.png of the HTML.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from collectors.gauge_config import demo_gauges
from runners.demo.process import start_demo_process
from runners.engine.live import RunEngine, RunSpec
from runners.report.writer import write_report
from tools.report_browser import chromium_binary, png_colours, visit_page

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "runners" / "demo" / "scenarios" / "demo_ramp.js"
OUT = ROOT / "docs" / "example-report"
PNG = ROOT / "screenshots" / "report.png"


def run_demo(runs_dir: Path, pool_size: int, speed: float, marks: Sequence[tuple[float, str]]) -> Path:
    """One demo run with the real k6 against a fresh demo target; marks are set at their elapsed seconds.

    Args:
        runs_dir: Where the run record goes.
        pool_size: The demo target's DB pool size.
        speed: DEMO_SPEED (1.0: the full 55 s ramp).
        marks: (seconds into the run, note) pairs, as a user would type them.

    Returns:
        The run's folder.
    """
    target = start_demo_process(pool_size=pool_size)
    try:
        spec = RunSpec(
            script=SCENARIO,
            k6_args=("-e", f"TARGET={target.url}", "-e", f"DEMO_SPEED={speed:g}"),
            name="demo",
            runs_dir=runs_dir,
            extra_meta={"demo_target": target.url},  # the engine records the rule set itself
            gauges=demo_gauges(target.url),  # the target's /metrics, read directly, as `loadwatch demo` does
        )
        engine = RunEngine(spec)
        engine.start()
        pending = sorted(marks)
        while engine.state.is_active:
            elapsed = time.time() - engine.started_at
            while pending and pending[0][0] * speed <= elapsed:
                engine.add_mark(pending.pop(0)[1])
            time.sleep(0.1)
        if not engine.wait(120):
            raise RuntimeError("the demo run did not finish")
        return engine.run_dir
    finally:
        target.stop()


def _relative_script(run: Path) -> None:
    """Record the scenario as a path inside the repository: the example is committed, this machine's paths are not."""
    import json
    import sqlite3

    db = sqlite3.connect(run / "run.sqlite")
    try:
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'script'", (json.dumps(str(SCENARIO.relative_to(ROOT))),)
        )
        db.execute("UPDATE meta SET value = ? WHERE key = 'k6_binary'", (json.dumps("k6"),))
        db.commit()
    finally:
        db.close()


def main() -> None:
    """Run the demo twice, write the report, take its screenshot."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--speed", type=float, default=1.0, help="DEMO_SPEED of both runs (1.0: 55 s each)")
    p.add_argument("--keep", type=Path, help="keep the two run records in this folder")
    p.add_argument(
        "--reuse", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), help="report two kept runs again"
    )
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="loadwatch-example-") as tmp:
        if a.reuse:
            before, after = a.reuse
        else:
            runs = a.keep or Path(tmp) / "runs"
            before = run_demo(runs, 20, a.speed, [(24.0, "503s begin: db pool 20/20, requests queue")])
            marks = [(1.0, "db pool raised from 20 to 40 connections"), (30.0, "holding at 80 VUs")]
            after = run_demo(runs, 40, a.speed, marks)
            print(f"runs: {before} (before), {after} (after)")
        if OUT.exists():
            shutil.rmtree(OUT)
        for run in (before, after):
            _relative_script(run)
        written = write_report(after, OUT, before)
        written += write_report(after, OUT, before, fmt="json")
        for path in written:  # run folders are named, not located: no path of this machine in the example
            if path.suffix in (".md", ".html", ".json"):
                text = path.read_text()
                for run in (before, after):
                    text = text.replace(str(run.parent) + "/", "").replace(str(run.parent), "runs")
                path.write_text(text)
    for path in written[:2] + written[-1:]:
        print(f"wrote {path.relative_to(ROOT)}")
    if chromium_binary() is None:
        print("no chromium: screenshots/report.png not updated")
        return
    visit = visit_page(OUT / "report.html", PNG)
    width, height, colours = png_colours(visit.png)
    problems = visit.console + visit.errors + visit.requests
    print(f"wrote {PNG.relative_to(ROOT)} ({width}x{height}, {colours} colours sampled)")
    if problems:
        raise SystemExit(f"the report misbehaved in Chromium: {problems}")


if __name__ == "__main__":
    main()
