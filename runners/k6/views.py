"""Builds the per-endpoint rows, the error breakdown and the latency distribution a frame carries."""

from __future__ import annotations

import math

from runners.k6.endpoints import EndpointTally
from runners.k6.histogram import LOG_GAMMA, ZERO_BUCKET, Histogram
from runners.k6.stats import K6Stats
from runners.model.frames import CodeCount, EndpointRow, HistogramBin

# k6's network error codes (k6 docs, "Error codes"): the families that show up in load tests.
K6_ERROR_FAMILIES = {
    "1000": "generic", "1010": "non-TCP network", "1020": "invalid URL", "1050": "request timeout",
    "1100": "DNS", "1101": "DNS: no IP", "1200": "TCP", "1201": "TCP: broken pipe",
    "1202": "TCP: unknown error", "1210": "TCP: dial", "1211": "TCP: dial timeout",
    "1212": "TCP: connection refused", "1213": "TCP: unknown dial error", "1220": "TCP: connection reset",
    "1300": "TLS", "1310": "TLS: unknown authority", "1311": "TLS: certificate name mismatch",
    "1400": "HTTP 4xx", "1500": "HTTP 5xx", "1600": "HTTP/2",
}  # fmt: skip


def endpoint_rows(stats: K6Stats, now: float) -> tuple[EndpointRow, ...]:
    """One row per endpoint, worst first (window p95, then errors); "other" always last."""
    window = stats.window_endpoints(now)
    secs = max(1, min(stats.window_s, int(now) + 1 - (stats.first_t or int(now))))
    rows = []
    for name, run in stats.endpoints.items():
        win = window.get(name, EndpointTally())
        p50, p95, p99 = win.hist.percentiles((0.5, 0.95, 0.99))
        (run_p95,) = run.hist.percentiles((0.95,))
        statuses = tuple(sorted(run.statuses.items(), key=lambda kv: -kv[1]))
        rows.append(
            EndpointRow(
                name=name,
                requests=run.requests,
                rps=win.requests / secs,
                p50=p50,
                p95=p95,
                p99=p99,
                error_pct=100.0 * win.failed / win.requests if win.requests else 0.0,
                run_p95=run_p95,
                run_error_pct=100.0 * run.failed / run.requests if run.requests else 0.0,
                statuses=statuses,
                window_requests=win.requests,
            )
        )
    rows.sort(key=lambda r: (r.name == "other", -(r.p95 or r.run_p95 or 0.0), -r.error_pct))
    return tuple(rows)


def _kind(status: str, error_code: str) -> str:
    if status in ("", "0"):
        return "network"
    return f"{status[0]}xx" if status[:1].isdigit() else "other"


def code_counts(stats: K6Stats, now: float) -> tuple[CodeCount, ...]:
    """Status codes and k6 network error codes in the window, most frequent first."""
    window = stats.window_endpoints(now)
    total = sum(t.requests for t in window.values())
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for t in window.values():
        for k, v in t.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
        for k, v in t.error_codes.items():
            errors[k] = errors.get(k, 0) + v
    out = [
        CodeCount(code=s or "0", kind=_kind(s, ""), count=n, share_pct=100.0 * n / total if total else 0.0)
        for s, n in statuses.items()
    ]
    for code, n in errors.items():
        if code.startswith(("14", "15")):  # HTTP 4xx/5xx are already counted by status
            continue
        label = K6_ERROR_FAMILIES.get(code) or K6_ERROR_FAMILIES.get(code[:3] + "0", "")
        out.append(CodeCount(code=code, kind="k6 error", count=n, share_pct=100.0 * n / total if total else 0.0,
                             label=label))  # fmt: skip
    out.sort(key=lambda c: -c.count)
    return tuple(out)


def latency_bins(hist: Histogram, n_bins: int = 16) -> tuple[HistogramBin, ...]:
    """The window's latency distribution in `n_bins` log-spaced bars between its min and max."""
    if hist.count == 0:
        return ()
    lo = max(hist.min, 0.01)
    hi = max(hist.max, lo * 1.01)
    edges = [lo * (hi / lo) ** (i / n_bins) for i in range(n_bins + 1)]
    counts = [0] * n_bins
    log_lo = math.log(lo)
    scale = n_bins / math.log(hi / lo)
    for idx, c in hist.counts.items():
        # A bucket's value is exp((idx + 0.5) * LOG_GAMMA): its bar comes from that log (no exp, log per bucket).
        log_v = (idx + 0.5) * LOG_GAMMA
        pos = 0 if idx == ZERO_BUCKET or log_v <= log_lo else int((log_v - log_lo) * scale)
        counts[min(max(pos, 0), n_bins - 1)] += c
    return tuple(HistogramBin(edges[i], edges[i + 1], counts[i]) for i in range(n_bins))
