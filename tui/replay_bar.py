"""The replay's position bar: play state, speed, and where the position is on the run's time axis."""

from __future__ import annotations

from runners.model.frames import Playback
from runners.model.units import format_clock

BAR_WIDTH = 20


def position_bar(position_s: float, length_s: float, width: int = BAR_WIDTH) -> str:
    """A bar with a knob at the position: `━━━━━●──────────`.

    Args:
        position_s: Seconds from the run's start.
        length_s: The run's length in seconds.
        width: Characters of the bar.

    Returns:
        The bar.
    """
    share = min(1.0, max(0.0, position_s / length_s)) if length_s > 0 else 1.0
    knob = min(width - 1, int(share * (width - 1) + 0.5))
    return "━" * knob + "●" + "─" * (width - 1 - knob)


def playback_text(playback: Playback) -> str:
    """The header's replay label: `▶ 2x 00:23 ━━━━━●────── 00:46`.

    Args:
        playback: Where the replay stands.

    Returns:
        The text.
    """
    state = "▶" if playback.playing else "⏸"
    bar = position_bar(playback.position_s, playback.length_s)
    clock = f"{format_clock(playback.position_s)} {bar} {format_clock(playback.length_s)}"
    return f"{state} {playback.speed:g}x {clock}"
