"""k6's metrics as tables: one per metric type within a summary section, sub-metrics under their metric."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from runners.model.frames import MetricStat
from tui.fitted_table import Column, fitted_lines
from tui.metric_cells import TYPE_COLUMNS, TYPE_TITLES, format_stat, thresholds_mark


def base_name(name: str) -> str:
    """The metric a (sub-)metric name belongs to: `http_req_duration{scenario:buy}` -> `http_req_duration`.

    Args:
        name: k6's name.

    Returns:
        The part before the tag selector.
    """
    return name.split("{", 1)[0]


def display_name(stat: MetricStat, *, in_group: bool, indent: int = 0) -> Text:
    """The name cell: a metric by name, a sub-metric as its selector under it (k6's `{ scenario:buy }`).

    Args:
        stat: The row's metric.
        in_group: True in a group's table, where the group selector goes without saying.
        indent: Cells to indent by.

    Returns:
        The name, with the mark of its thresholds.
    """
    pad = " " * indent
    if in_group or "{" not in stat.name:
        text = Text(pad + base_name(stat.name))
    else:
        text = Text(pad + "  ") + Text("{" + stat.name.split("{", 1)[1], style="dim")
    return text + thresholds_mark(stat)


def type_tables(
    stats: Sequence[MetricStat], width: int, *, in_group: bool = False, indent: int = 0, name_width: int = 0
) -> list[Text]:
    """One table per metric type, in the order the types first appear, each with its type's columns.

    Args:
        stats: The metrics of one section (each metric followed by its sub-metrics).
        width: The room, in cells.
        in_group: True for a group's metrics (their names lose the group selector).
        indent: Cells to indent the names by.
        name_width: The names' column width when there is room (so every table's columns align).

    Returns:
        The tables' lines.
    """
    by_type: dict[str, list[MetricStat]] = {}
    for s in stats:
        by_type.setdefault(s.type if s.type in TYPE_COLUMNS else "gauge", []).append(s)
    lines: list[Text] = []
    for kind, rows in by_type.items():
        stat_columns = TYPE_COLUMNS[kind]
        title = Text(" " * indent + TYPE_TITLES[kind], style="bold dim")
        columns = [Column(title, justify="left", flex=True)]
        columns += [Column(c.header, c.priority) for c in stat_columns]
        cells: list[list[str | Text]] = []
        for s in rows:
            cells.append([display_name(s, in_group=in_group, indent=indent)])
            values = dict(s.values)
            cells[-1] += [format_stat(s, c.key, values) for c in stat_columns]
        lines += fitted_lines(columns, cells, width, flex_min=24 + indent, flex_width=name_width)
    return lines


def section_title(title: str, note: str = "") -> Text:
    """A section's heading, k6 v1's `█ TITLE` style, with a dim note after it.

    Args:
        title: The section's name.
        note: Said after it, dim.

    Returns:
        The heading.
    """
    # Spaces end the span before them: an SVG span that starts with spaces is drawn squeezed (rsvg).
    text = Text.assemble(("█ ", "bold"), (f"{title}  ", "bold"))
    if note:
        text.append(note, style="dim")
    return text


def section_block(title: str, stats: Sequence[MetricStat], width: int, name_width: int = 0) -> list[Text]:
    """A summary section (HTTP, EXECUTION, NETWORK, CUSTOM...): its heading and its type tables.

    Args:
        title: The section's name.
        stats: Its metrics.
        width: The room, in cells.
        name_width: The names' column width when there is room.

    Returns:
        The lines, after a blank one.
    """
    return [Text(""), section_title(title), *type_tables(stats, width, name_width=name_width)]
