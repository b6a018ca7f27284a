"""The load generator's own health: the runner box and the k6 process, with the saturation warning."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from runners.model.frames import GeneratorView


def _mb(b: int | None) -> str:
    return "-" if b is None else f"{b / 1e6:.0f} MB"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}%"


class GeneratorPane(Static):
    """Box CPU and memory, k6's CPU (of one core and of the box) and RSS, peaks, and the warning."""

    def show_generator(self, g: GeneratorView | None) -> None:
        """Redraw from a frame's generator view.

        Args:
            g: The view, None before the first sample.
        """
        if g is None:
            self.update(Text("waiting for the first sample", style="dim"))
            return
        table = Table(box=None, padding=(0, 1), show_header=True, expand=True, show_edge=False)
        table.add_column("")
        table.add_column("now", justify="right")
        table.add_column("peak", justify="right")
        hot = "bold red" if (g.box_cpu_pct or 0) >= 85 else ""
        table.add_row("box CPU", Text(_pct(g.box_cpu_pct), style=hot), _pct(g.peak_box_cpu_pct))
        table.add_row("box memory", _pct(g.box_mem_pct), "")
        share = None if g.k6_cpu_pct is None else g.k6_cpu_pct / max(1, g.cores)
        table.add_row(f"k6 CPU (of {g.cores} cores)", _pct(share), _pct(g.peak_k6_cpu_pct / max(1, g.cores)))
        table.add_row("k6 RSS", _mb(g.k6_rss_bytes), _mb(g.peak_k6_rss_bytes))
        if g.warning:
            style = "bold white on red" if g.saturated else "bold yellow"
            table.add_row(Text(g.warning, style=style), "", "")
        self.update(table)
