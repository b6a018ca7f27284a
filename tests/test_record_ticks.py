"""Tick rows: key rows and deltas read back as the parts written, and a lost row costs only its stretch."""

from __future__ import annotations

from runners.model.frames import LiveStats, Percentiles, RunState, Totals
from runners.model.run_view import FrameParts
from runners.record.ticks import DELTA, KEY, KEYFRAME_EVERY, TickEncoder, TickTimeline

T0 = 1_700_000_000.0


def _parts(i: int) -> FrameParts:
    live = LiveStats(window_s=10, rps=100.0 + i, error_rate=0.01, latency=Percentiles(p95=10.0 + i / 3),
                     iterations_per_s=50.0, data_sent_per_s=1e3, data_received_per_s=2e3, checks_rate=None,
                     vus=float(i // 7), vus_max=20.0)  # fmt: skip
    return FrameParts(state=RunState.RUNNING, status_detail="k6 is running", elapsed_s=i / 2, planned_s=60.0,
                      live=live, totals=Totals(requests=100 * i), k6_exit_code=None, parse_errors=0,
                      dropped_output_lines=0, series_end=int(T0) + i // 2, rules=("a", "b"))  # fmt: skip


def _rows(n: int) -> list[tuple[int, bytes]]:
    encoder = TickEncoder()
    return [(round((T0 + i / 2) * 1000), encoder.encode(_parts(i))) for i in range(n)]


def test_every_tick_reads_back_and_deltas_are_small() -> None:
    rows = _rows(3 * KEYFRAME_EVERY)
    assert [r[:1] for _, r in rows[: KEYFRAME_EVERY + 1]] == [KEY] + [DELTA] * (KEYFRAME_EVERY - 1) + [KEY]
    assert max(len(r) for _, r in rows[1:KEYFRAME_EVERY]) < len(rows[0][1]) / 2
    timeline = TickTimeline(rows)
    for i in reversed(range(len(rows))):  # backwards: each read decodes from its key row
        assert timeline.parts_at(T0 + i / 2) == _parts(i)
    assert timeline.parts_at(T0 - 1) is None


def test_a_lost_row_costs_the_ticks_up_to_the_next_key_row() -> None:
    rows = _rows(2 * KEYFRAME_EVERY)
    lost = 5
    timeline = TickTimeline(rows[:lost] + rows[lost + 1 :])
    before = timeline.parts_at(T0 + (lost - 1) / 2)
    assert before == _parts(lost - 1)
    stale = timeline.parts_at(T0 + (lost + 2) / 2)  # its delta cannot be read: the last good values show
    assert stale is not None and stale.elapsed_s == _parts(lost - 1).elapsed_s
    assert timeline.parts_at(T0 + KEYFRAME_EVERY / 2) == _parts(KEYFRAME_EVERY)
