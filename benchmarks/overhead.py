"""Overhead budget: what watching a full-rate k6 run costs, for each way k6 can hand samples over.

Paths: json (every sample on a pipe), rw (Prometheus remote write to loadwatch's receiver), otlp
(OpenTelemetry over HTTP to loadwatch's receiver). For each path, in interleaved rounds against k6 alone:
  sink      k6 with that output and a reader that drops everything: k6's own cost of the path
  headless  loadwatch run --headless --transport PATH
  tui       loadwatch run --transport PATH with its screen, in a 120x36 tmux terminal
Each round runs `alone` first and last and every variant in between (the order reversed every other
round); a variant's ratio is its k6 requests/s over the mean of its round's two `alone` runs.
Prints per variant the median ratio and every pair, loadwatch's CPU (per second of run and per 1,000
requests, start-up excluded: the engine's until k6 is spawned, the screen's until it first shows the run
running; the screen's share of a core from then on counts for the whole run), k6's peak RSS, loadwatch's percentile error against k6's own summary and
what it counted against k6's counts; then a Markdown table for the README. Exits 1 when loadwatch's CPU
of any variant misses the budget (0.06 core; --smoke: 0.25, for a 2 s run on a busy CI box).

Usage: python -m benchmarks.overhead [--pairs 7] [--seconds 10] [--vus 10] [--paths json,rw,otlp]
                                     [--modes sink,headless,tui] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.budget import Budget, check, exit_code
from benchmarks.local_nginx import local_nginx
from benchmarks.overhead_runs import RunResult, run_k6, run_loadwatch

BUDGET_CORE = 0.06
SMOKE_CORE = 0.25  # a 2 s smoke on a busy CI box: start-up and scheduling noise weigh far more


def _cores(results: list[RunResult]) -> float | None:
    """Median share of one core loadwatch used per second of run, None for k6-only variants."""
    lw = [r.lw_cpu_s / r.run_s for r in results if r.lw_cpu_s is not None and r.run_s]
    return statistics.median(lw) if lw else None


def _variant(name: str, base: str, work: Path, load: list[str], timeout: float) -> RunResult:
    if name == "alone":
        return run_k6(None, base, work, load, timeout)
    path, mode = name.split("-")
    if mode == "sink":
        return run_k6(path, base, work, load, timeout)
    return run_loadwatch(path, mode == "tui", base, work, load, timeout)


def _mb(v: int | None) -> str:
    return "-" if v is None else f"{v / 1e6:.0f} MB"


def _report(variant: str, ratios: list[float], results: list[RunResult]) -> str:
    med = statistics.median(ratios)
    line = f"{variant:<14} ratio {med:.3f} (pairs: {', '.join(f'{r:.3f}' for r in ratios)})"
    line += f"  k6 peak RSS {_mb(max((r.k6_peak_rss or 0) for r in results) or None)}"
    lw = [r for r in results if r.lw_cpu_s is not None and r.run_s]
    if not lw:
        return line
    cores = statistics.median(r.lw_cpu_s / r.run_s for r in lw if r.lw_cpu_s is not None and r.run_s)
    per_k = statistics.median(1000 * (r.lw_cpu_s or 0) / max(1, r.k6_requests) for r in lw)
    errs = {
        q: statistics.median(abs(r.pct_error[q]) for r in lw if r.pct_error) for q in ("p50", "p90", "p95")
    }
    counted = statistics.median((r.lw_requests or 0) / max(1, r.k6_requests) for r in lw)
    checks = [r.checks for r in lw if r.checks and r.checks[0]]
    checked = statistics.median(c[1] / c[0] for c in checks) if checks else float("nan")
    verdict = "OK" if cores <= BUDGET_CORE else "OVER"
    line += (
        f"\n{'':<14} loadwatch {cores:.3f} core ({verdict}, budget {BUDGET_CORE}), {per_k:.4f} CPU-s per 1,000"
        f" requests; percentile error p50 {errs['p50']:.1%} p90 {errs['p90']:.1%} p95 {errs['p95']:.1%};"
        f" requests counted {counted:.2%}, checks counted {checked:.2%}"
    )
    stages = lw[-1].stages or {}
    line += f"\n{'':<14} stages (last run, CPU-s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
    startups = [r.screen_startup_cpu_s for r in lw if r.screen_startup_cpu_s is not None]
    if startups:
        line += (
            f"; the screen's start-up after the engine's (left out): {statistics.median(startups):.2f} CPU-s"
        )
    return line


def main() -> int:
    """Run the rounds and print the figures; exit status 1 when loadwatch's CPU misses the bound."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pairs", type=int, default=7)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--vus", type=int, default=10)
    p.add_argument("--paths", default="json,rw,otlp")
    p.add_argument("--modes", default="sink,headless,tui")
    p.add_argument("--smoke", action="store_true", help="one short round of headless runs, for CI")
    a = p.parse_args()
    pairs, seconds = (1, 2) if a.smoke else (a.pairs, a.seconds)
    modes = ["headless"] if a.smoke else a.modes.split(",")
    variants = [f"{path}-{mode}" for path in a.paths.split(",") for mode in modes]
    load = ["--vus", str(a.vus), "--duration", f"{seconds}s"]
    timeout = seconds + 120.0
    ratios: dict[str, list[float]] = {v: [] for v in variants}
    results: dict[str, list[RunResult]] = {v: [] for v in variants}
    with local_nginx(own_session=True) as base, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        args = [*load, "-e", f"BASE={base}"]
        for i in range(pairs):
            order = variants if i % 2 == 0 else list(reversed(variants))
            first = _variant("alone", base, work, args, timeout)
            got = {v: _variant(v, base, work, args, timeout) for v in order}
            last = _variant("alone", base, work, args, timeout)
            alone = (first.rate + last.rate) / 2
            print(f"round {i + 1}: alone {first.rate:,.0f} / {last.rate:,.0f} req/s; "
                  + "  ".join(f"{v} {got[v].rate:,.0f}" for v in order), flush=True)  # fmt: skip
            for v in variants:
                ratios[v].append(got[v].rate / alone)
                results[v].append(got[v])
    print()
    for v in variants:
        print(_report(v, ratios[v], results[v]))
    print()
    print(markdown_table(variants, ratios, results))
    checks = []
    for v in variants:
        cores = _cores(results[v])
        if cores is not None:
            checks.append(
                check(Budget(f"{v} loadwatch CPU", "core", BUDGET_CORE, SMOKE_CORE), cores, a.smoke)
            )
    return exit_code(checks)


def markdown_table(
    variants: list[str], ratios: dict[str, list[float]], results: dict[str, list[RunResult]]
) -> str:
    """The README's table: one row per variant."""
    rows = ["| path | mode | k6 req/s vs alone (median) | loadwatch core | CPU-s / 1k req | k6 peak RSS | p95 error |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for v in variants:
        path, mode = v.split("-")
        rs = [r for r in results[v] if r.lw_cpu_s is not None and r.run_s]
        core = f"{statistics.median((r.lw_cpu_s or 0) / (r.run_s or 1) for r in rs):.3f}" if rs else "-"
        per_k = (
            f"{statistics.median(1000 * (r.lw_cpu_s or 0) / max(1, r.k6_requests) for r in rs):.4f}"
            if rs
            else "-"
        )
        err = f"{statistics.median(abs(r.pct_error['p95']) for r in rs if r.pct_error):.1%}" if rs else "-"
        rss = _mb(max((r.k6_peak_rss or 0) for r in results[v]) or None)
        rows.append(
            f"| {path} | {mode} | {statistics.median(ratios[v]):.3f} | {core} | {per_k} | {rss} | {err} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
