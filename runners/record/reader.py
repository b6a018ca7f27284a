"""Reads one run record whole (metadata, seconds, histograms, events, summaries) for the report."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.record.index import read_summary
from runners.record.store import DB_NAME, RunReader

K6_SUMMARY_NAME = "k6-summary.json"
MAX_MESSAGES = 12
# k6's stderr log lines: `time="..." level=warning msg="Request Failed" error="..."`
_LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
_PLAN_LINE = re.compile(r"^\s*(scenarios:|\* \S+:)")


class ReportError(RuntimeError):
    """The run folder cannot be read as a run record."""


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything a report needs from one run folder, read once.

    `points` are the k6 seconds (dicts shaped like `runners.model.frames.SecondPoint`), `hist` the whole run's
    latency histogram (bucket index -> count), `gauges`/`containers` the per-second rows of those sources.
    """

    run_dir: Path
    meta: dict[str, Any]
    summary: dict[str, Any] | None
    k6_summary: dict[str, Any] | None
    points: tuple[dict[str, Any], ...]
    hist: dict[int, int]
    gauges: tuple[tuple[int, dict[str, Any]], ...]
    containers: tuple[tuple[int, dict[str, Any]], ...]
    events: tuple[dict[str, Any], ...]
    plan: tuple[str, ...]
    messages: tuple[
        tuple[str, str, int], ...
    ]  # (level, message, count) from k6's stderr, most frequent first

    @property
    def t0(self) -> float:
        """Wall time the run started (the origin of every chart)."""
        started = self.meta.get("started_at")
        if isinstance(started, int | float):
            return float(started)
        return float(self.points[0]["t"]) if self.points else 0.0

    @property
    def t_end(self) -> float:
        """Wall time the run ended (or its last recorded second, for a run cut short)."""
        ended = self.meta.get("ended_at")
        last = float(self.points[-1]["t"] + 1) if self.points else self.t0
        return float(ended) if isinstance(ended, int | float) else last

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        """Events of one kind, in record order."""
        return [e for e in self.events if e.get("kind") == kind]


def _rows(reader: RunReader, source: str) -> tuple[tuple[int, dict[str, Any]], ...]:
    rows = reader.db.execute("SELECT t, data FROM series WHERE source = ? ORDER BY t", (source,))
    return tuple((int(t), json.loads(d)) for t, d in rows)


def _events(reader: RunReader) -> tuple[dict[str, Any], ...]:
    """Events with their record kind kept: a breach's own `kind` (its transition) would shadow it otherwise."""
    out = []
    for t, kind, d in reader.db.execute("SELECT t, kind, data FROM events ORDER BY id"):
        data = json.loads(d)
        if "kind" in data:
            data.setdefault("transition", data["kind"])
        out.append({**data, "t": data.get("t", t), "kind": kind, "recorded_t": t})
    return tuple(out)


def _merged_hist(reader: RunReader) -> dict[int, int]:
    merged: dict[int, int] = {}
    for _, counts in _rows(reader, "k6_hist"):
        for k, v in counts.items():
            merged[int(k)] = merged.get(int(k), 0) + int(v)
    return merged


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _plan_and_messages(
    output: list[tuple[float, str, str]],
) -> tuple[tuple[str, ...], tuple[tuple[str, str, int], ...]]:
    """k6's scenario lines (its plan: VUs, stages, durations) and its stderr warnings and errors, counted."""
    plan: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    for _, stream, text in output:
        if stream == "stdout" and _PLAN_LINE.match(text) and len(plan) < 20:
            plan.append(text.strip())
        elif stream == "stderr" and "level=" in text:
            fields = {k: v.strip('"') for k, v in _LOGFMT.findall(text)}
            level = fields.get("level", "")
            if level in ("warning", "error", "fatal"):
                msg = fields.get("msg", text)
                if fields.get("error"):
                    msg = f"{msg}: {fields['error']}"
                counts[(level, re.sub(r"\d+\.\d+\.\d+\.\d+:\d+", "<addr>", msg)[:300])] += 1
    messages = tuple((lvl, msg, n) for (lvl, msg), n in counts.most_common(MAX_MESSAGES))
    return tuple(plan), messages


def load_report(run_dir: Path) -> ReportData:
    """Read a run folder (finished, or cut short by a crash) for a report.

    Args:
        run_dir: The run's folder (holding `run.sqlite`, and `summary.json` once it finished).

    Returns:
        The run's data, read once.

    Raises:
        ReportError: when the folder holds no readable run record.
    """
    if not (run_dir / DB_NAME).is_file():
        raise ReportError(f"{run_dir} is not a run folder (no {DB_NAME})")
    try:
        reader = RunReader(run_dir)
        try:
            meta = reader.meta()
            points = tuple(reader.seconds("k6"))
            hist = _merged_hist(reader)
            gauges = _rows(reader, "gauges")
            containers = _rows(reader, "containers")
            events = _events(reader)
            plan, messages = _plan_and_messages(reader.output())
        finally:
            reader.close()
    except sqlite3.Error as exc:
        raise ReportError(f"cannot read the run record in {run_dir}: {exc}") from exc
    return ReportData(
        run_dir=run_dir,
        meta=meta,
        summary=read_summary(run_dir),
        k6_summary=_read_json(run_dir / K6_SUMMARY_NAME),
        points=points,
        hist=hist,
        gauges=gauges,
        containers=containers,
        events=events,
        plan=plan,
        messages=messages,
    )
