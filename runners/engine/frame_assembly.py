"""The one frame assembly: a run view (live or replayed) at one instant becomes the Frame every screen draws."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from collectors.docker_model import ContainerEvent
from runners.model.frames import Frame, GaugeHistory, OutputLine, Playback
from runners.model.run_view import FrameParts, RunView
from runners.record.schema import GaugeValuesRow

GAUGE_HISTORY_S = 300
"""Seconds of gauge values a frame carries (sparklines and the gauge chart)."""
_FRAME_FIELDS = frozenset(f.name for f in dataclasses.fields(Frame))
_PART_FIELDS = tuple(f.name for f in dataclasses.fields(FrameParts) if f.name in _FRAME_FIELDS)


def assemble_frame(
    view: RunView,
    now: float,
    *,
    seq: int,
    new_output: tuple[OutputLine, ...] = (),
    container_events: tuple[ContainerEvent, ...] = (),
    bell: bool = False,
    replay: str = "",
    rewound: bool = False,
    playback: Playback | None = None,
) -> Frame:
    """The frame of a run at wall time `now`.

    Args:
        view: The run, live or replayed.
        now: The instant (unix seconds).
        seq: The frame's number.
        new_output: k6 output since the previous frame.
        container_events: Container events since the previous frame.
        bell: A rule asked for the terminal bell in this frame.
        replay: The playback line ("" for a live run).
        rewound: A replay jumped; accumulating panes start over from this frame.
        playback: Where a replay stands (None for a live run).

    Returns:
        The frame.
    """
    parts = view.parts(now)
    shown: dict[str, Any] = {name: getattr(parts, name) for name in _PART_FIELDS}
    return Frame(
        seq=seq,
        wall_t=now,
        run_name=view.run_name,
        started_at=view.started_at,
        run_dir=view.run_dir,
        series=view.series(parts),
        gauge_history=view.gauge_history(now),
        new_output=new_output,
        container_events=container_events,
        bell=bell,
        replay=replay,
        rewound=rewound,
        playback=playback,
        **shown,
    )


def gauge_history_of(rows: Iterable[GaugeValuesRow], now: float) -> GaugeHistory:
    """The gauges' values over the GAUGE_HISTORY_S seconds up to `now`, per (gauge, series).

    Args:
        rows: Per-second gauge values in time order (live: those just recorded; replay: the record's).
        now: The instant.

    Returns:
        (gauge, series) -> ((t, value), ...), oldest first.
    """
    since = now - GAUGE_HISTORY_S
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in rows:
        if since <= row.t <= now:
            for key, value in row.values.items():
                out.setdefault(key, []).append((float(row.t), value))
    return {k: tuple(v) for k, v in out.items()}
