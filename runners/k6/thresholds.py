"""k6 thresholds: their definitions (`k6 inspect`), exact live values and verdicts per expression from the
metric model, and k6's own final verdict (its summary export, or its exit status and log when the user turned
the summary off)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.k6.metric_model import MetricModel
from runners.k6.selectors import parse_expression, parse_selector
from runners.model.frames import ThresholdRow

_CROSSED = re.compile(r"thresholds on metrics '([^']*)' (?:have been|were) crossed")


@dataclass(frozen=True, slots=True)
class Threshold:
    """One threshold expression on a metric (or sub-metric such as `http_reqs{name:home}`)."""

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


def declare_thresholds(model: MetricModel, thresholds: Sequence[Threshold]) -> None:
    """Have the model keep every threshold's sub-metric exactly."""
    for t in thresholds:
        try:
            base, pairs = parse_selector(t.metric)
        except ValueError:
            continue
        model.declare_selector(base, pairs)


def live_value(t: Threshold, model: MetricModel) -> float | None:
    """The threshold's aggregate over the whole run so far, as k6 computes it (None before any sample)."""
    expr = parse_expression(t.expression)
    try:
        base, pairs = parse_selector(t.metric)
    except ValueError:
        return None
    if expr is None:
        return None
    agg = model.total(base, pairs)
    return None if agg is None else agg.stat(expr.stat, model.duration_s)


def final_verdicts(summary_export: Path) -> dict[tuple[str, str], bool]:
    """(metric, expression) -> passed, from k6's `--summary-export` (where `true` means FAILED)."""
    try:
        metrics = json.loads(summary_export.read_text()).get("metrics", {})
    except (OSError, ValueError, AttributeError):
        return {}
    out: dict[tuple[str, str], bool] = {}
    for name, m in metrics.items():
        for expr, failed in ((m or {}).get("thresholds") or {}).items():
            out[(name, expr)] = not bool(failed)
    return out


def crossed_metrics(stderr_lines: Sequence[str]) -> set[str] | None:
    """The metrics k6's closing log says crossed a threshold; None when it said nothing of the kind."""
    found: set[str] | None = None
    for line in stderr_lines:
        m = _CROSSED.search(line)
        if m is not None:
            found = (found or set()) | {n.strip() for n in m.group(1).split(",") if n.strip()}
    return found


@dataclass(frozen=True, slots=True)
class K6Verdict:
    """What k6 itself said about its thresholds at the end of the run."""

    per_expression: Mapping[tuple[str, str], bool]  # from its summary export
    exit_code: int | None = None
    crossed: frozenset[str] = frozenset()  # metrics its log named as crossed (exit status 99)


def threshold_rows(
    thresholds: Sequence[Threshold], model: MetricModel, k6: K6Verdict | None = None
) -> tuple[ThresholdRow, ...]:
    """The rows a frame carries: value and live verdict by loadwatch; k6's verdict once it gave one.

    k6's verdict always wins: per expression from its summary export; when there is none (the user passed
    `--no-summary`) but k6 judged (it exited 0 or 99), a metric k6 did not name passed, and an expression on a
    metric it named keeps loadwatch's judgement, unless loadwatch found none failing there (then all failed).
    """
    rows = []
    for t in thresholds:
        expr = parse_expression(t.expression)
        value = live_value(t, model)
        ok: bool | None = None if value is None or expr is None else expr.holds(value)
        final, judged = False, "loadwatch"
        if k6 is not None and (t.metric, t.expression) in k6.per_expression:
            ok, final, judged = k6.per_expression[(t.metric, t.expression)], True, "k6"
        elif k6 is not None and k6.exit_code in (0, 99):
            final, judged = True, "k6 exit status + loadwatch"
            if k6.exit_code == 0 or t.metric not in k6.crossed:
                ok = True
            elif not any(
                _fails(o, model) for o in thresholds if o.metric == t.metric
            ):  # k6 says this metric failed, loadwatch cannot tell which expression: all of them
                ok = False
        rows.append(ThresholdRow(t.metric, t.expression, value, ok, final, judged,
                                 expr.stat if expr is not None else ""))  # fmt: skip
    return tuple(rows)


def _fails(t: Threshold, model: MetricModel) -> bool:
    expr = parse_expression(t.expression)
    value = live_value(t, model)
    return expr is not None and value is not None and not expr.holds(value)


def known_thresholds(inspected: Sequence[Threshold], model: MetricModel) -> list[Threshold]:
    """`k6 inspect`'s thresholds, plus those k6's Metric lines name that inspect did not (or not yet) give."""
    out = list(inspected)
    seen = set(out)
    for info in model.infos.values():
        for expr in info.thresholds:
            t = Threshold(info.name, expr)
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out
