"""Comparing `--json-summary`'s `metrics` with k6's own `--summary-export`, within the documented bounds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LOADWATCH = [sys.executable, "-m", "runners.cli"]
NO_RULES = "[rules_settings]\ndefaults = false\n"


def run_headless(tmp_path: Path, script: Path, k6_args: Sequence[str], env: dict[str, str] | None = None,
                 timeout_s: float = 120.0, lw_args: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """`loadwatch run --headless --json-summary lw.json -- --summary-export k6.json ...` in tmp_path."""
    cfg = tmp_path / "loadwatch.toml"
    cfg.write_text(NO_RULES)
    return subprocess.run(
        [*LOADWATCH, "run", str(script), "--headless", "--config", str(cfg), "--runs-dir", str(tmp_path / "runs"),
         "--json-summary", str(tmp_path / "lw.json"), *lw_args, "--", "--summary-export", str(tmp_path / "k6.json"),
         *k6_args],
        capture_output=True, text=True, timeout=timeout_s, check=False, cwd=tmp_path,
        env=dict(os.environ, K6_NO_USAGE_REPORT="true", **(env or {})),
    )  # fmt: skip


def _tolerance(metric: dict[str, Any], key: str, expected: float) -> float:
    if key in ("count", "passes", "fails"):
        return 0.0  # exact
    if key == "value" and "passes" in metric:
        return 0.001  # a Rate: 0.1 percentage point
    if key == "rate":
        return 0.01 * abs(expected)  # a Counter per second: k6 divides by its own run time
    if "avg" not in metric:
        return 1e-9 * abs(expected)  # a Gauge: the last, smallest and largest values, exact
    if key in ("avg", "min", "max"):
        return 0.01 * abs(expected)
    return 0.02 * abs(expected)  # med, p(N): histogram percentiles


def metric_differences(ours: dict[str, Any], k6: dict[str, Any]) -> list[str]:
    """Every way `ours` (`--json-summary`'s `metrics`) misses or differs from k6's export's `metrics`."""
    problems = []
    for name, stats in sorted(k6.items()):
        mine = ours.get(name)
        if mine is None:
            problems.append(f"{name}: missing")
            continue
        for key, expected in stats.items():
            got = mine.get(key)
            if key == "thresholds":
                if got != expected:
                    problems.append(f"{name} thresholds: k6 {expected}, loadwatch {got}")
            elif got is None or abs(got - expected) > _tolerance(stats, key, expected) + 1e-9:
                problems.append(f"{name} {key}: k6 {expected!r}, loadwatch {got!r}")
    return problems


def k6_checks(
    group: dict[str, Any], out: dict[str, tuple[int, int]] | None = None
) -> dict[str, tuple[int, int]]:
    """Check path -> (passes, fails) in a k6 `root_group` tree (or loadwatch's `groups`, the same shape)."""
    out = {} if out is None else out
    for check in group.get("checks", {}).values():
        out[check["path"]] = (check["passes"], check["fails"])
    for sub in group.get("groups", {}).values():
        k6_checks(sub, out)
    return out


def load(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(loadwatch's JSON summary, k6's export) of a run in tmp_path."""
    ours = json.loads((tmp_path / "lw.json").read_text())
    k6 = json.loads((tmp_path / "k6.json").read_text())
    return ours, k6
