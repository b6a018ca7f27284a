"""Fixed endpoint, code, threshold and generator data for UI tests (no clock, no k6)."""

from __future__ import annotations

import dataclasses

from runners.model.frames import (
    CodeCount,
    EndpointRow,
    Frame,
    GeneratorView,
    HistogramBin,
    Mark,
    RunEvent,
    RunState,
    ThresholdRow,
)
from runners.model.rule_events import Breach
from tests.tui_support import T0, build_frame, final_frame

ENDPOINTS = (
    EndpointRow("GET /api/products", 12_400, 210.0, 35.0, 80.0, 120.0, 0.2, 70.0, 0.1, (("200", 12_380), ("503", 20)), 2100),
    EndpointRow("GET /api/search", 3_100, 52.0, 220.0, 640.0, 910.0, 6.5, 560.0, 3.0, (("200", 3_000), ("503", 100)), 520),
    EndpointRow("POST /api/orders", 900, 15.0, 150.0, 300.0, 420.0, 1.2, 280.0, 0.9, (("200", 890), ("503", 10)), 150),
    EndpointRow("health", 6_000, 100.0, 1.0, 2.0, 3.0, 0.0, 2.0, 0.0, (("200", 6_000),), 1000),
    EndpointRow("other", 40, 0.5, 12.0, 30.0, 31.0, 0.0, 30.0, 0.0, (("200", 40),), 5),
)  # fmt: skip
CODES = (
    CodeCount("200", "2xx", 3640, 96.5),
    CodeCount("503", "5xx", 120, 3.2),
    CodeCount("1212", "k6 error", 11, 0.3, "TCP: connection refused"),
)
BINS = tuple(
    HistogramBin(2.0 * 1.6**i, 2.0 * 1.6 ** (i + 1), c)
    for i, c in enumerate([5, 40, 300, 900, 400, 120, 60, 20])
)
THRESHOLDS = (
    ThresholdRow("http_req_duration", "p(95)<500", 452.0, True),
    ThresholdRow("http_req_failed", "rate<0.01", 0.031, False),
    ThresholdRow("checks", "rate>0.99", None, None),
)


def generator(box: float, saturated: bool, warning: str = "") -> GeneratorView:
    """A generator view with the given box CPU."""
    return GeneratorView(box, 40.0, box * 1.6, 80_000_000, 2, saturated, 12.0 if saturated else 0.0,
                         box, box * 1.6, 90_000_000, warning)  # fmt: skip


def endpoint_frame(i: int = 151, gen: GeneratorView | None = None) -> Frame:
    """The scripted frame i with endpoints, codes, bins, thresholds and a generator view."""
    return dataclasses.replace(
        build_frame(i), endpoints=ENDPOINTS, codes=CODES, latency_bins=BINS, thresholds=THRESHOLDS,
        generator=gen or generator(35.0, False),
    )  # fmt: skip


RULES = ("api-latency-p95", "error-rate", "db-connections", "generator-cpu")
"""Rules in force in the ended run."""
FINAL_THRESHOLDS = tuple(
    dataclasses.replace(t, ok_by_k6=t.ok_by_k6 is not False, final=True) for t in THRESHOLDS
)
FINAL_THRESHOLDS = (
    *FINAL_THRESHOLDS[:1],
    dataclasses.replace(FINAL_THRESHOLDS[1], ok_by_k6=False),
    FINAL_THRESHOLDS[2],
)


def error_breach(start_s: float, end_s: float | None) -> Breach:
    """The error-rate rule firing at critical from `start_s` (seconds into the scripted run)."""
    return Breach("error-rate", "k6.error_pct", "k6.error_pct", ">", "critical", "critical", T0 + start_s - 4,
                  T0 + start_s, None if end_s is None else T0 + end_s, 3.4, 2.8, 1.0, False, ())  # fmt: skip


def ended_frame(i: int = 239, state: RunState = RunState.THRESHOLDS_FAILED) -> Frame:
    """A run that ended: endpoints with 503s over the whole run, thresholds judged, a rule that fired, a mark."""
    live = endpoint_frame(i)
    with_rules = dataclasses.replace(
        live, rules=RULES, thresholds=FINAL_THRESHOLDS, breach_history=(error_breach(62, 80),),
        marks=(Mark(T0 + 30.0, 30.0, "pool at 20/20"),), run_dir="/runs/checkout-ramp-20260101-000000",
        events=(RunEvent(T0 + 58, "breach", "error-rate PENDING: k6.error_pct 1.4 % > 1 %"),
                RunEvent(T0 + 62, "breach", "error-rate CRITICAL: k6.error_pct 2.8 % > 1 %")),
    )  # fmt: skip
    return final_frame(with_rules, state, exit_code=99, detail="k6 exited 99: thresholds crossed")
