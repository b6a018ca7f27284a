"""Beside the endpoints: the window's status and error codes, latency distribution, and k6 thresholds."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from runners.model.frames import CodeCount, HistogramBin, ThresholdRow
from runners.model.units import format_count, format_ms


class CodesView(Static):
    """Status classes and codes and k6's network error codes, with counts and share of the window."""

    def show_codes(self, codes: tuple[CodeCount, ...], *, whole_run: bool = False) -> None:
        """Redraw from a frame's codes.

        Args:
            codes: Most frequent first.
            whole_run: True once the run ended and the codes cover all of it (else the window).
        """
        title = "status codes (whole run)" if whole_run else "status codes (window)"
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False, title=title,
                      title_justify="left", title_style="bold")  # fmt: skip
        table.add_column("code", style="bold", no_wrap=True)
        table.add_column("count", justify="right", no_wrap=True)
        table.add_column("share", justify="right", no_wrap=True)
        table.add_column("kind", no_wrap=True, overflow="ellipsis", ratio=1)
        for c in codes[:8]:
            bad = c.kind in ("5xx", "network", "k6 error") or c.kind == "4xx"
            style = "red" if bad and c.share_pct >= 1 else ("yellow" if bad else "")
            label = f"{c.kind} {c.label}".strip()
            table.add_row(c.code, format_count(c.count), Text(f"{c.share_pct:.1f}%", style=style), label)
        if not codes:
            table.add_row("-", "", "", "no requests in the window")
        self.update(table)


class LatencyHistogram(Static):
    """The window's latency distribution as horizontal bars, scaled to the widget's width."""

    LABEL_WIDTH = 21

    def __init__(self, *, id: str | None = None) -> None:
        """Create the view.

        Args:
            id: The widget id.
        """
        super().__init__(id=id)
        self._bins: tuple[HistogramBin, ...] = ()

    def show_bins(self, bins: tuple[HistogramBin, ...]) -> None:
        """Keep a frame's bins and redraw.

        Args:
            bins: Log-spaced bins, lowest first.
        """
        if bins != self._bins:
            self._bins = bins
            self.update(self._draw())

    def on_resize(self) -> None:
        """Bars follow the width."""
        self.update(self._draw())

    def _draw(self) -> Text:
        if not self._bins:
            return Text("no latencies in the window", style="dim")
        peak = max(b.count for b in self._bins) or 1
        counts = [format_count(b.count) for b in self._bins]
        width = max(4, self.size.width - self.LABEL_WIDTH - max(len(c) for c in counts) - 2)
        lines = Text("latency distribution (window)\n", style="bold")
        for b, count in zip(self._bins, counts, strict=True):
            lines.append(f"{format_ms(b.lo):>9}–{format_ms(b.hi):<10}", style="dim")
            lines.append("█" * max(1 if b.count else 0, round(b.count / peak * width)), style="cyan")
            lines.append(f" {count}\n")
        lines.rstrip()
        return lines


class ThresholdsView(Static):
    """The script's thresholds: current value by loadwatch, pass/fail as k6 judges them."""

    def show_thresholds(self, rows: tuple[ThresholdRow, ...], k6_exit_code: int | None) -> None:
        """Redraw from a frame's threshold rows.

        Args:
            rows: The thresholds.
            k6_exit_code: k6's exit code once it ended (99: thresholds failed).
        """
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
        table.add_column("metric")
        table.add_column("threshold")
        table.add_column("now", justify="right")
        table.add_column("k6", justify="left")
        for r in rows:
            value = "-" if r.value is None else (f"{r.value:.4g}")
            if r.ok_by_k6 is None:
                verdict = Text("pending", style="dim")
            elif r.ok_by_k6:
                verdict = Text("✓ pass" + (" (final)" if r.final else ""), style="green")
            else:
                verdict = Text("✗ FAIL" + (" (final)" if r.final else ""), style="bold red")
            table.add_row(r.metric, r.expression, value, verdict)
        if not rows:
            table.add_row("-", "the script declares no thresholds", "", "")
        if k6_exit_code == 99:
            table.add_row("", Text("k6 exited 99: thresholds failed", style="bold red"), "", "")
        self.update(table)
