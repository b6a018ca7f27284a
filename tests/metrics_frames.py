"""Frames whose Metrics view comes from real recorded k6 output, folded the way the live engine folds it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from runners.k6.ingest import K6Ingest
from runners.k6.metrics_view import build_metrics_view
from runners.k6.stats import K6Stats
from runners.k6.thresholds import Threshold, declare_thresholds, known_thresholds, threshold_rows
from runners.model.frames import Frame, RunState
from tests.tui_support import build_frame

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = FIXTURES / "shop.k6.json"
"""k6 1.1.0's `--out json` of tests/fixtures/shop.js against a local nginx (two scenarios, one arrival-rate
that drops iterations, nested groups, named checks, custom metrics of all four types, a failing threshold)."""
SHOP_THRESHOLDS = (
    Threshold("http_req_duration{scenario:buy}", "p(95)<500"),
    Threshold("checks{check:paid}", "rate>0.9"),
    Threshold("item_time", "p(99)<1000"),
    Threshold("http_req_failed", "rate<0.01"),
)
"""shop.js's thresholds, as `k6 inspect` gives them (k6's Metric lines do not name those on sub-metrics)."""
WS = FIXTURES / "ws.k6.json"
"""k6 1.1.0's `--out json` of tests/fixtures/ws.js against an echo server (tests/ws_echo.py): no HTTP at all."""


def recorded_frame(
    path: Path, thresholds: tuple[Threshold, ...] = (), *, state: RunState = RunState.RUNNING, seq: int = 40
) -> Frame:
    """A frame at the end of a recorded k6 output: its Metrics view, thresholds, live window and totals.

    Args:
        path: The k6 JSON output.
        thresholds: The script's thresholds.
        state: The run's state in the frame.
        seq: Which scripted frame to start from (header, output and series come from it).

    Returns:
        The frame.
    """
    ingest = K6Ingest()
    ingest.feed(path.read_bytes())
    ingest.finish()
    stats = K6Stats(ingest.tags)
    declare_thresholds(stats.model, thresholds)
    stats.absorb(ingest.take())
    assert stats.last_t is not None, f"{path} holds no samples"
    now = stats.last_t + 1.0
    rows = threshold_rows(known_thresholds(list(thresholds), stats.model), stats.model)
    base = build_frame(seq, state=state)
    return replace(base, live=stats.live(now), totals=stats.totals(), thresholds=rows,
                   metrics=build_metrics_view(stats.model, rows, now), endpoints=(), codes=())  # fmt: skip
