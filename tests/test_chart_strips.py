"""A chart's cells read straight from plotext's matrix look exactly as plotext's own ANSI text would."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual_plotext import Plot

from tui.k6_charts import MARKER, matrix_strips

BASE = Style(color="#e0e0e0", bgcolor="#1e1e1e")
CONSOLE = Console(width=200, color_system="truecolor")


def _plot(theme: str) -> Any:
    plt: Any = Plot()
    plt.plot([0, 1, 2, 3, 4, 5, 6], [1.0, 4.0, 2.0, 8.0, 5.0, 3.0, 7.0], color=(200, 40, 40), marker=MARKER)
    plt.scatter([0, 2, 4, 6], [2.0, 3.0, 6.0, 1.0], color=(40, 200, 40), marker=MARKER)
    plt.hline(6.0, color=(240, 160, 0))
    plt.vline(3, color=(0, 120, 240))
    plt.text("M1", 3, 8.0, color=(0, 120, 240), alignment="left")
    plt.text("hi", 5, 6.0, color=(240, 160, 0), style="bold")  # on the line of its colour: only bold differs
    plt.xticks([0.0, 3.0, 6.0], ["00:00", "00:03", "00:06"])
    plt.plotsize(44, 12)
    plt._set_size(44, 12)
    plt.theme(theme.removesuffix("+backgrounds"))
    if theme.endswith("+backgrounds"):  # the plot area and the axes around it on different backgrounds
        plt.canvas_color((12, 12, 40))
        plt.axes_color((40, 12, 12))
    return plt


def _cells(segments: Any) -> list[tuple[str, Style]]:
    return [(ch, seg.style) for seg in segments for ch in seg.text]


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "clear", "clear+backgrounds"])
def test_matrix_strips_match_plotexts_ansi_text_cell_by_cell(theme: str) -> None:
    plt = _plot(theme)
    ansi = plt.build()  # builds the matrix too, so both readings are of the same cells
    expected = [line for line in Text.from_ansi(ansi).split("\n") if line.plain or line.spans]
    got = matrix_strips(plt.monitor.matrix, BASE)
    assert [s.text for s in got] == [t.plain for t in expected]
    assert any(
        s.style and s.style.color and s.style.color.triplet == (200, 40, 40) for line in got for s in line
    )
    for strip, text in zip(got, expected, strict=True):
        # What the screen drew before: Rich's segments of the parsed text, each on the widget's base style.
        want = [(ch, BASE + style) for ch, style in _cells(text.render(CONSOLE))]
        assert _cells(strip) == want
