"""The Load tab's numbers for a run without HTTP requests: its own protocol's headline (WebSocket, gRPC)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Label

from runners.model.frames import Frame
from runners.model.units import format_bytes_rate, format_percent, format_rate, format_vus
from tui.k6_numbers import MetricTile

TILES = 12
"""Tiles kept ready: the longest headline (six figures) and the five every protocol shares."""
TITLES = {"websockets": "WEBSOCKETS", "grpc": "GRPC", "none": "NO HTTP REQUESTS"}


def headline_protocol(frame: Frame) -> str | None:
    """The protocol the Load tab headlines instead of HTTP, or None for an HTTP run.

    A run that has sampled nothing yet stays on the HTTP numbers, so a starting HTTP run does not flicker.

    Args:
        frame: A frame.

    Returns:
        `websockets`, `grpc`, `none` (no protocol metrics, only iterations) or None.
    """
    view = frame.metrics
    if view is None or view.protocol == "http" or not view.headline:
        return None
    if view.protocol == "none" and not any(m.name == "iterations" for m in view.metrics):
        return None
    return view.protocol


def shared_figures(frame: Frame) -> list[tuple[str, str]]:
    """The figures every protocol has: VUs, iterations/s, checks, data sent and received (window).

    Args:
        frame: A frame.

    Returns:
        (label, value) pairs.
    """
    live = frame.live
    return [("VUs", format_vus(live.vus, live.vus_max)), ("iter/s", format_rate(live.iterations_per_s)),
            ("checks", format_percent(live.checks_rate)), ("sent", format_bytes_rate(live.data_sent_per_s)),
            ("recv", format_bytes_rate(live.data_received_per_s))]  # fmt: skip


class ProtocolNumbers(Grid):
    """Labelled tiles like the HTTP numbers, filled from the frame's Metrics headline."""

    _heading = ""

    def compose(self) -> ComposeResult:
        """Create the heading and the tiles (unused ones stay hidden).

        Returns:
            The children.
        """
        yield Label("", id="protocol-heading", classes="heading")
        for i in range(TILES):
            yield MetricTile("", id=f"protocol-{i}")

    def show_frame(self, frame: Frame, protocol: str) -> None:
        """Show the protocol's headline figures, then the shared ones.

        Args:
            frame: The latest frame (its Metrics view carries the headline).
            protocol: What `headline_protocol` said.
        """
        headline = frame.metrics.headline if frame.metrics is not None else ()
        figures = [*headline, *shared_figures(frame)][:TILES]
        text = f"{TITLES.get(protocol, protocol.upper())} ({frame.live.window_s} s window)"
        if text != self._heading:  # Label.update lays the screen out again: only on a change
            self._heading = text
            self.query_one("#protocol-heading", Label).update(text)
        for i, tile in enumerate(self.query(MetricTile)):
            shown = i < len(figures)
            if tile.display != shown:
                tile.display = shown
            if shown:
                tile.label, tile.value = figures[i]
