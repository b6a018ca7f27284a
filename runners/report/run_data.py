"""One run record read whole (metadata, seconds, histograms, events, summaries) for the report."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.model.frames import MetricsView, OutputLine, SecondPoint, ThresholdRow
from runners.record.index import read_summary
from runners.record.reader import RecordReader, RecordReadError
from runners.record.schema import (
    ContainerValuesRow,
    EventKind,
    EventRow,
    GaugeValuesRow,
    MetricSecondRow,
    RunMeta,
)

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

    `points` are the k6 seconds, `hist` the whole run's latency histogram (bucket index -> count),
    `gauges`/`containers` the per-second rows of those sources.
    """

    run_dir: Path
    meta: RunMeta
    summary: dict[str, Any] | None
    k6_summary: dict[str, Any] | None
    points: tuple[SecondPoint, ...]
    hist: dict[int, int]
    gauges: tuple[GaugeValuesRow, ...]
    containers: tuple[ContainerValuesRow, ...]
    events: tuple[EventRow, ...]
    plan: tuple[str, ...]
    messages: tuple[
        tuple[str, str, int], ...
    ]  # (level, message, count) from k6's stderr, most frequent first
    damage: tuple[str, ...] = ()  # what of the record could not be read (the report covers the rest)
    metric_seconds: tuple[MetricSecondRow, ...] = ()  # every k6 metric series per second (newer records)
    view: MetricsView | None = None  # the Metrics view of the last recorded tick (newer records)
    thresholds: tuple[ThresholdRow, ...] = ()  # the thresholds as the last recorded tick showed them

    @property
    def t0(self) -> float:
        """Wall time the run started (the origin of every chart)."""
        started = self.meta.started_at
        if started is not None:
            return started
        return float(self.points[0].t) if self.points else 0.0

    @property
    def t_end(self) -> float:
        """Wall time the run ended (or its last recorded second, for a run cut short)."""
        ended = self.meta.ended_at
        return ended if ended is not None else float(self.points[-1].t + 1) if self.points else self.t0

    def events_of(self, kind: EventKind) -> list[EventRow]:
        """Events of one kind, in record order."""
        return [e for e in self.events if e.kind is kind]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _plan_and_messages(
    output: list[OutputLine],
) -> tuple[tuple[str, ...], tuple[tuple[str, str, int], ...]]:
    """k6's scenario lines (its plan: VUs, stages, durations) and its stderr warnings and errors, counted."""
    plan: list[str] = []
    counts: Counter[tuple[str, str]] = Counter()
    for line in output:
        stream, text = line.stream, line.text
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
    try:
        with RecordReader(run_dir) as reader:
            meta = reader.meta()
            points = tuple(reader.seconds())
            hist = reader.merged_histogram()
            gauges = tuple(reader.gauge_values())
            containers = tuple(reader.container_values())
            events = tuple(reader.events())
            plan, messages = _plan_and_messages(reader.output())
            metric_seconds = tuple(reader.metric_seconds())
            ticks = reader.ticks()
            last = ticks.parts_at(ticks.last_s) if ticks.last_s is not None else None
            damage = tuple(reader.check())
    except RecordReadError as exc:
        raise ReportError(str(exc)) from exc
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
        damage=damage,
        metric_seconds=metric_seconds,
        view=last.metrics if last is not None else None,
        thresholds=last.thresholds if last is not None else (),
    )
