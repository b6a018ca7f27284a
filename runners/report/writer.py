"""`loadwatch report RUN [--baseline RUN] [--out DIR] [--format md+html|json]`: writes the report files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, TextIO

from runners.record.index import RunNotFoundError, resolve_run
from runners.report.data import ReportError, build_report_json
from runners.report.render import chart_files, render_html, render_markdown

ReportFormat = Literal["md+html", "json"]
FORMATS: tuple[ReportFormat, ...] = ("md+html", "json")
CHART_DIR = "charts"


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def write_report(
    run_dir: Path, out_dir: Path, baseline_dir: Path | None = None, fmt: ReportFormat = "md+html"
) -> list[Path]:
    """Write a run's report files.

    Args:
        run_dir: The run's folder.
        out_dir: Where the files go (created if needed).
        baseline_dir: A baseline run's folder to compare with, or None.
        fmt: `md+html` writes report.md (with its charts as SVG files in `charts/`) and a self-contained
            report.html; `json` writes report.json.

    Returns:
        The files written, main documents first.

    Raises:
        ReportError: when a folder is not a readable run record.
        ValueError: for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
    report = build_report_json(run_dir, baseline_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        return [_write(out_dir / "report.json", json.dumps(report, indent=1) + "\n")]
    written = [
        _write(out_dir / "report.md", render_markdown(report, chart_dir=CHART_DIR)),
        _write(out_dir / "report.html", render_html(report)),
    ]
    charts = out_dir / CHART_DIR
    charts.mkdir(exist_ok=True)
    for name, svg in chart_files(report).items():
        written.append(_write(charts / name, svg))
    return written


def report_command(
    run: str,
    runs_dir: Path,
    *,
    baseline: str | None = None,
    out: Path | None = None,
    fmt: ReportFormat = "md+html",
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """What `loadwatch report` does: resolve the runs, write the files, print where they are.

    Args:
        run: The run: a path, a folder name, a unique prefix or suffix, or `last`.
        runs_dir: Where runs are looked up by name.
        baseline: The baseline run, named the same ways, or None.
        out: Output folder; default the run's own folder. With `fmt="json"` and no `out`, the JSON goes
            to stdout instead of a file (for scripts).
        fmt: `md+html` or `json`.
        stdout: Stream for the paths (or the JSON); default sys.stdout.
        stderr: Stream for errors; default sys.stderr.

    Returns:
        The exit status: 0 when written, 2 when a run was not found or could not be read.
    """
    so, se = stdout or sys.stdout, stderr or sys.stderr
    try:
        run_dir = resolve_run(runs_dir, run)
        base_dir = resolve_run(runs_dir, baseline) if baseline else None
        if fmt == "json" and out is None:
            so.write(json.dumps(build_report_json(run_dir, base_dir), indent=1) + "\n")
            return 0
        paths = write_report(run_dir, out or run_dir, base_dir, fmt)
    except (RunNotFoundError, ReportError, ValueError) as exc:
        se.write(f"loadwatch report: {exc}\n")
        return 2
    for p in paths[:2] if fmt == "md+html" else paths:
        so.write(f"{p}\n")
    return 0
