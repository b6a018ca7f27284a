"""k6 thresholds: their definitions (`k6 inspect`), live values, and k6's own verdict (REST, summary)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from runners.k6.histogram import Histogram
from runners.k6.stats import K6Stats
from runners.model.frames import ThresholdRow

_EXPR = re.compile(
    r"^\s*(avg|min|max|med|count|rate|value|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|!=|<|>)\s*([-+0-9.eE]+)\s*$"
)
_SUB = re.compile(r"^([^{]+)\{([^:}]+):([^}]*)\}$")


@dataclass(frozen=True, slots=True)
class Threshold:
    """One threshold expression on a metric (or submetric such as `http_reqs{name:home}`)."""

    metric: str
    expression: str


def env_args(k6_args: Sequence[str]) -> list[str]:
    """The `-e NAME=VALUE` pairs of a k6 command line (what `k6 inspect` accepts of it)."""
    out: list[str] = []
    it = iter(k6_args)
    for a in it:
        if a in ("-e", "--env"):
            out += [a, next(it, "")]
        elif a.startswith("--env=") or (a.startswith("-e") and len(a) > 2):
            out.append(a)
    return out


def inspect_thresholds(binary: str, script: Path, k6_args: Sequence[str], env: Mapping[str, str],
                       timeout_s: float = 10.0) -> list[Threshold]:  # fmt: skip
    """The thresholds the script declares, read with `k6 inspect` (empty on any failure)."""
    try:
        out = subprocess.run(
            [binary, "inspect", *env_args(k6_args), str(script)],
            capture_output=True, text=True, timeout=timeout_s, env=dict(env), check=False,
        )  # fmt: skip
        data: dict[str, Any] = json.loads(out.stdout) if out.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []
    found: list[Threshold] = []
    for metric, items in (data.get("thresholds") or {}).items():
        for item in items or []:
            expr = item.get("threshold") if isinstance(item, dict) else item
            if isinstance(expr, str):
                found.append(Threshold(str(metric), expr))
    return found


def _agg(hist: Histogram, agg: str, pct: str | None) -> float | None:
    if agg == "avg":
        return hist.mean
    if agg == "min":
        return hist.min if hist.count else None
    if agg == "max":
        return hist.max if hist.count else None
    if agg == "med":
        return hist.percentiles((0.5,))[0]
    if pct is not None:
        return hist.percentiles((float(pct) / 100.0,))[0]
    return None


def live_value(t: Threshold, stats: K6Stats, elapsed_s: float) -> float | None:
    """The threshold's aggregate over the whole run so far, when loadwatch tracks that metric."""
    m = _EXPR.match(t.expression)
    if m is None:
        return None
    agg, pct = m.group(1), m.group(2)
    if agg.startswith("p("):
        agg = "p"
    base, tag, tag_value = t.metric, None, None
    sub = _SUB.match(t.metric)
    if sub is not None:
        base, tag, tag_value = sub.group(1), sub.group(2), sub.group(3)
    if tag is not None and tag != "name":
        return None
    tally = stats.endpoints.get(tag_value or "") if tag is not None else None
    if tag is not None and tally is None:
        return None
    requests = tally.requests if tally else stats.requests
    failed = tally.failed if tally else stats.failed
    hist = tally.hist if tally else stats.run_hist
    if base == "http_req_duration":
        return _agg(hist, agg, pct)
    if base == "http_req_failed" and agg == "rate":
        return failed / requests if requests else None
    if base == "http_reqs":
        return (
            float(requests)
            if agg == "count"
            else (requests / elapsed_s if agg == "rate" and elapsed_s else None)
        )
    if tag is None and base == "checks" and agg == "rate":
        total = stats.checks_pass + stats.checks_fail
        return stats.checks_pass / total if total else None
    if tag is None and base == "iterations":
        return (
            float(stats.iterations)
            if agg == "count"
            else (stats.iterations / elapsed_s if elapsed_s else None)
        )
    return None


class TaintPoller:
    """Polls k6's REST API (`/v1/metrics`) for which metrics currently fail their thresholds."""

    def __init__(self, port: int, every_s: float = 2.0) -> None:
        self.url = f"http://127.0.0.1:{port}/v1/metrics"
        self.every_s = every_s
        self.tainted: dict[str, bool | None] = {}
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="k6-rest", daemon=True)

    def start(self) -> None:
        """Start polling in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (returns within one request timeout)."""
        self._stop.set()

    def _loop(self) -> None:
        with httpx.Client(timeout=1.0) as client:
            while not self._stop.wait(self.every_s):
                try:
                    data = client.get(self.url).json().get("data", [])
                    self.tainted = {str(d["id"]): d.get("attributes", {}).get("tainted") for d in data}
                    self.error = None
                except (httpx.HTTPError, ValueError, KeyError, AttributeError, TypeError) as exc:
                    self.error = f"k6 REST API: {exc.__class__.__name__}"


def final_verdicts(summary_export: Path) -> dict[tuple[str, str], bool]:
    """(metric, expression) -> passed, from k6's `--summary-export` (where `true` means FAILED)."""
    try:
        metrics = json.loads(summary_export.read_text()).get("metrics", {})
    except (OSError, ValueError):
        return {}
    out: dict[tuple[str, str], bool] = {}
    for name, m in metrics.items():
        for expr, failed in (m.get("thresholds") or {}).items():
            out[(name, expr)] = not bool(failed)
    return out


def threshold_rows(
    thresholds: Sequence[Threshold],
    stats: K6Stats,
    elapsed_s: float,
    tainted: Mapping[str, bool | None],
    final: Mapping[tuple[str, str], bool] | None = None,
) -> tuple[ThresholdRow, ...]:
    """The rows a frame carries: value by loadwatch, verdict by k6 (final when the summary exists)."""
    rows = []
    for t in thresholds:
        if final is not None and (t.metric, t.expression) in final:
            ok: bool | None = final[(t.metric, t.expression)]
        else:
            taint = tainted.get(t.metric)
            ok = None if taint is None else not taint
        rows.append(
            ThresholdRow(t.metric, t.expression, live_value(t, stats, elapsed_s), ok, final is not None)
        )
    return tuple(rows)
