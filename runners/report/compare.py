"""Compares a run with a baseline: per metric and per endpoint, the difference and a noise-aware verdict.

The noise band (a difference inside it is "same"):
- latency (p50/p90/p95/p99, ms): ±5 % of the baseline, and never less than ±1 ms, since sub-millisecond moves
  on a fast endpoint are timer and scheduler noise, not a change;
- throughput and request counts: ±5 % of the baseline;
- error and check rates (%): ±0.1 percentage point, absolute, because a relative band is meaningless near 0 %.

Outside the band the verdict follows the metric's direction: lower latency and error rate are better, higher
throughput, request count and check rate are better.

Two runs are flagged as not comparable when their script hash, k6 version, k6 arguments or k6 plan (its
scenario lines) differ, or when their recorded load differs by more than 10 % (peak VUs, seconds under load).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

Verdict = Literal["better", "same", "worse", "n/a"]
Band = Literal["relative", "latency", "points"]

NOISE_RELATIVE = 0.05
NOISE_LATENCY_MS = 1.0
NOISE_POINTS = 0.1
PROFILE_TOLERANCE = 0.1  # peak VUs or seconds under load 10 % apart: another load profile, not noise
NOISE = {
    "relative": f"±{NOISE_RELATIVE:.0%} of the baseline (throughput, request counts)",
    "latency": f"±{NOISE_RELATIVE:.0%} of the baseline and at least ±{NOISE_LATENCY_MS:g} ms (latency)",
    "points": f"±{NOISE_POINTS:g} percentage point (error and check rates)",
}

Getter = Callable[[dict[str, Any]], Any]
# (key, label, unit, higher is better, band, how to read it from a report's totals)
METRICS: tuple[tuple[str, str, str, bool, Band, Getter], ...] = (
    ("requests", "requests", "", True, "relative", lambda t: t.get("requests")),
    ("rps_mean", "requests/s (mean)", "req/s", True, "relative", lambda t: t.get("rps_mean")),
    ("error_pct", "failed requests", "%", False, "points", lambda t: t.get("error_pct")),
    *(
        (q, f"latency {q}", "ms", False, "latency", (lambda t, q=q: (t.get("latency_ms") or {}).get(q)))
        for q in ("p50", "p90", "p95", "p99")
    ),
    ("checks_pct", "checks passed", "%", True, "points", lambda t: t.get("checks_pct")),
)
ENDPOINT_FIELDS: tuple[tuple[str, str, bool, Band, Getter], ...] = (
    ("requests", "", True, "relative", lambda e: e.get("requests")),
    ("p95", "ms", False, "latency", lambda e: (e.get("latency_ms") or {}).get("p95")),
    ("p99", "ms", False, "latency", lambda e: (e.get("latency_ms") or {}).get("p99")),
    ("error_pct", "%", False, "points", lambda e: e.get("error_pct")),
)


def within_noise(base: float, cur: float, band: Band) -> bool:
    """True when the change from base to cur is inside the noise band (see the module docstring)."""
    delta = abs(cur - base)
    if band == "points":
        return delta <= NOISE_POINTS + 1e-9
    limit = NOISE_RELATIVE * abs(base)
    if band == "latency":
        limit = max(limit, NOISE_LATENCY_MS)
    return delta <= limit + 1e-9


def compare_value(base: Any, cur: Any, higher_is_better: bool, band: Band) -> dict[str, Any]:
    """Baseline and current value, their difference (absolute and %), and the verdict.

    Args:
        base: The baseline's value (None when it has none).
        cur: This run's value.
        higher_is_better: The metric's direction.
        band: Which noise band applies.

    Returns:
        A dict: baseline, current, diff, diff_pct (None when the baseline is 0 or missing), verdict.
    """
    if not isinstance(base, int | float) or not isinstance(cur, int | float):
        return {"baseline": base, "current": cur, "diff": None, "diff_pct": None, "verdict": "n/a"}
    delta = float(cur) - float(base)
    pct = round(100.0 * delta / abs(base), 3) if base else None
    verdict: Verdict = "same"
    if not within_noise(float(base), float(cur), band):
        verdict = "better" if (delta > 0) == higher_is_better else "worse"
    return {"baseline": base, "current": cur, "diff": round(delta, 6), "diff_pct": pct, "verdict": verdict}


def compare_metrics(base_totals: dict[str, Any], cur_totals: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per headline metric (requests, rps, error %, p50...p99, checks %)."""
    rows = []
    for key, label, unit, higher, band, get in METRICS:
        rows.append(
            {
                "metric": key,
                "label": label,
                "unit": unit,
                "band": band,
                **compare_value(get(base_totals), get(cur_totals), higher, band),
            }
        )
    return rows


def _overall(verdicts: list[str]) -> Verdict:
    if "worse" in verdicts:
        return "worse"
    if "better" in verdicts:
        return "better"
    return "same" if "same" in verdicts else "n/a"


def compare_endpoints(base_eps: list[dict[str, Any]], cur_eps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per endpoint in either run: requests, p95, p99, error % side by side; new and gone ones marked."""
    base = {e["name"]: e for e in base_eps}
    cur = {e["name"]: e for e in cur_eps}
    names = [e["name"] for e in cur_eps] + [n for n in base if n not in cur]
    rows = []
    for name in names:
        b, c = base.get(name, {}), cur.get(name, {})
        fields = {
            key: {"unit": unit, **compare_value(get(b) if b else None, get(c) if c else None, higher, band)}
            for key, unit, higher, band, get in ENDPOINT_FIELDS
        }
        presence = "both" if b and c else "new" if c else "gone"
        verdict = _overall([f["verdict"] for f in fields.values()]) if presence == "both" else presence
        rows.append({"name": name, "presence": presence, "verdict": verdict, **fields})
    return rows


def _short(v: Any) -> str:
    return str(v)[:12] if v else "unknown"


def _load_differs(base: dict[str, Any], cur: dict[str, Any]) -> list[str]:
    """The load profile as recorded (peak VUs, seconds with requests): a check that needs no k6 banner."""
    out = []
    bv, cv = base.get("vus_max"), cur.get("vus_max")
    if bv and cv and abs(bv - cv) > max(1.0, PROFILE_TOLERANCE * bv):
        out.append(f"other load: up to {bv:g} VUs in the baseline, {cv:g} here")
    bs, cs = base.get("active_s"), cur.get("active_s")
    if bs and cs and abs(bs - cs) > max(2.0, PROFILE_TOLERANCE * bs):
        out.append(f"other duration: {bs:g} s with requests in the baseline, {cs:g} s here")
    return out


def comparability(
    base_run: dict[str, Any],
    cur_run: dict[str, Any],
    base_totals: dict[str, Any] | None = None,
    cur_totals: dict[str, Any] | None = None,
) -> list[str]:
    """Why two runs may not be comparable: another script, k6 version, k6 arguments, plan or load profile.

    Args:
        base_run: The baseline's run section.
        cur_run: This run's run section.
        base_totals: The baseline's totals (peak VUs and active seconds), when known.
        cur_totals: This run's totals.

    Returns:
        One sentence per difference; empty when the runs are comparable.
    """
    warnings = []
    if base_run.get("script_sha256") != cur_run.get("script_sha256"):
        warnings.append(
            f"the scripts differ (sha256 {_short(base_run.get('script_sha256'))} in the baseline, "
            f"{_short(cur_run.get('script_sha256'))} here)"
        )
    bv, cv = base_run.get("k6_version"), cur_run.get("k6_version")
    if bv != cv:
        warnings.append(f"other k6 version: {bv or 'unknown'} in the baseline, {cv or 'unknown'} here")
    if base_run.get("k6_args") != cur_run.get("k6_args"):
        warnings.append(
            f"other k6 arguments: {' '.join(base_run.get('k6_args') or []) or '(none)'} in the baseline, "
            f"{' '.join(cur_run.get('k6_args') or []) or '(none)'} here"
        )
    bp, cp = base_run.get("plan") or [], cur_run.get("plan") or []
    if bp and cp and bp != cp:
        warnings.append(f"other stages or scenarios: {'; '.join(bp)} in the baseline, {'; '.join(cp)} here")
    b_s, c_s = base_run.get("planned_s"), cur_run.get("planned_s")
    if (not bp or not cp) and b_s and c_s and abs(float(b_s) - float(c_s)) > 1.0:
        warnings.append(f"other planned duration: {b_s:g} s in the baseline, {c_s:g} s here")
    if base_totals and cur_totals:
        warnings += _load_differs(base_totals, cur_totals)
    for who, run in (("the baseline", base_run), ("this run", cur_run)):
        if run.get("status") not in ("finished", "thresholds_failed"):
            warnings.append(f"{who} ended as {run.get('status')}: {run.get('status_detail') or 'no detail'}")
    return warnings


def compare(base: dict[str, Any], cur: dict[str, Any]) -> dict[str, Any]:
    """The baseline section of the report JSON.

    Args:
        base: The baseline's report JSON (without its own baseline).
        cur: This run's report JSON.

    Returns:
        A dict: run (the baseline's run section), comparable, warnings, noise, metrics, endpoints, counts.
    """
    metrics = compare_metrics(base["totals"], cur["totals"])
    endpoints = compare_endpoints(base["endpoints"], cur["endpoints"])
    warnings = comparability(base["run"], cur["run"], base["totals"], cur["totals"])
    verdicts = [m["verdict"] for m in metrics]
    return {
        "run": base["run"],
        "comparable": not warnings,
        "warnings": warnings,
        "noise": NOISE,
        "metrics": metrics,
        "endpoints": endpoints,
        "counts": {v: verdicts.count(v) for v in ("better", "same", "worse", "n/a")},
    }
