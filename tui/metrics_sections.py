"""k6's end-of-test summary, live, as renderables: thresholds, checks, scenarios, metric sections, groups."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from runners.k6.metrics_view import SECTION_ORDER
from runners.model.frames import CheckStat, GroupStat, MetricsView, ScenarioStat, ThresholdRow
from runners.model.units import format_count, format_duration_ms, format_rate, format_seconds
from tui.fitted_table import Column, fitted_lines
from tui.metric_cells import format_stat, format_threshold_value, verdict_mark
from tui.metric_tables import base_name, display_name, section_block, section_title, type_tables

_CONSOLE = Console(width=80, color_system=None, legacy_windows=False, file=None, force_terminal=False)
"""Only its settings are read (tab size), to wrap a heading: nothing is printed to it."""


def summary(view: MetricsView, thresholds: Sequence[ThresholdRow], width: int, *, ended: bool) -> list[Text]:
    """The whole Metrics view, top to bottom.

    Thresholds come first, as in k6's summary; then checks and scenarios (where arrival-rate saturation
    shows as dropped iterations), the metric sections, and the group tree.

    Args:
        view: The frame's Metrics view.
        thresholds: The frame's thresholds (their live values and verdicts).
        width: The room, in cells.
        ended: True once k6 ended (the figures are then the whole run's, final).

    Returns:
        The lines, none wider than `width` (free text wraps, table cells are shortened).
    """
    out: list[Text] = [heading(view, ended=ended)]
    if not view.metrics:
        return wrapped([*out, Text("no k6 samples yet", style="dim")], width)
    if thresholds:
        out += threshold_block(view, thresholds, width)
    if view.checks:
        out += check_block(view, width)
    if view.scenarios:
        out += scenario_block(view.scenarios, width)
    shown = [m for m in view.metrics if base_name(m.name) != "checks"]  # checks have their own section
    name_width = max((display_name(m, in_group=False).cell_len for m in shown), default=0)
    for section in SECTION_ORDER:
        stats = [m for m in shown if m.section == section]
        if stats:
            out += section_block(section, stats, width, name_width)
    if view.groups:
        out += group_block(view.groups, view.checks, width, name_width)
    return wrapped(out, width)


def wrapped(lines: list[Text], width: int) -> list[Text]:
    """The lines, with those wider than `width` (headings, notes) wrapped at words.

    Args:
        lines: The lines (a heading may hold a newline).
        width: The room, in cells.

    Returns:
        One line per screen row.
    """
    out: list[Text] = []
    for line in lines:
        if line.cell_len <= width and "\n" not in line.plain:
            out.append(line)
        else:
            out += line.wrap(_CONSOLE, width)
    return out


def heading(view: MetricsView, *, ended: bool) -> Text:
    """What the view shows and over how long; the cardinality bound when it folded tag sets.

    Args:
        view: The Metrics view.
        ended: True once k6 ended.

    Returns:
        One or two lines.
    """
    span = format_seconds(view.duration_s)
    text = Text("k6 summary · whole run, final " if ended else "k6 summary, live ", style="bold")
    text.append(f"· {span} of samples · {len(view.metrics)} metrics", style="dim")
    if view.folded_tagsets:
        text.append(f"\n⚠ {format_count(view.folded_tagsets)} rare tag sets folded into coarser keys or "
                    "\"other\" (cardinality bound): their sub-metrics are approximate", style="yellow")  # fmt: skip
    return text


def threshold_block(view: MetricsView, rows: Sequence[ThresholdRow], width: int) -> list[Text]:
    """THRESHOLDS: each metric, its expressions under it with their live value and verdict."""
    stats = {m.name: m for m in view.metrics}
    failing = sum(1 for r in rows if r.ok_by_k6 is False)
    note = f"{failing} of {len(rows)} failing" if failing else f"{len(rows)}, none failing"
    columns = [Column("", justify="left", flex=True), Column("value"), Column("verdict", 1, "left")]
    cells: list[list[str | Text]] = []
    for metric in dict.fromkeys(r.metric for r in rows):
        cells.append([Text(metric, style="bold"), "", ""])
        for r in (r for r in rows if r.metric == metric):
            value = format_threshold_value(stats.get(metric), r.stat, r.value)
            by = "k6" if r.final and r.judged_by == "k6" else ("final" if r.final else "live")
            word = "pending" if r.ok_by_k6 is None else ("pass" if r.ok_by_k6 else "FAIL")
            style = "dim" if r.ok_by_k6 is None else ("green" if r.ok_by_k6 else "bold red")
            cells.append([Text("  ") + verdict_mark(r.ok_by_k6) + Text(" ", style="dim") + Text(r.expression),
                          f"{r.stat}={value}" if r.stat else value, Text(f"{word} ({by})", style=style)])  # fmt: skip
    # The metric's whole name (its selector says which sub-metric) before the verdict word: ✓/✗ say it too.
    longest = max(len(r.metric) for r in rows)
    return [
        Text(""),
        section_title("THRESHOLDS", note),
        *fitted_lines(columns, cells, width, flex_min=longest),
    ]


def check_rows(checks: Sequence[CheckStat], *, group: bool, indent: int = 0) -> list[list[str | Text]]:
    """One row per check: ✓ when it never failed, its pass %, passes and fails (and its group)."""
    rows: list[list[str | Text]] = []
    for c in checks:
        pct = c.pass_pct
        name = Text(" " * indent) + verdict_mark(c.fails == 0) + Text(" ", style="dim") + Text(c.name)
        fails = Text(format_count(c.fails), style="bold red" if c.fails else "")
        pct_text = "—" if pct is None else f"{pct:.2f} %"
        row: list[str | Text] = [name, pct_text, format_count(c.passes), fails]
        if group:
            row.append(Text(c.group.removeprefix("::").replace("::", " › ") or "(root)", style="dim"))
        rows.append(row)
    return rows


def check_block(view: MetricsView, width: int) -> list[Text]:
    """CHECKS: the total as k6 counts it, then every check by name."""
    total = next((m for m in view.metrics if m.name == "checks"), None)
    note = ""
    if total is not None:
        fails = total.value("fails") or 0
        note = (f"{format_stat(total, 'value')} passed · {format_stat(total, 'passes')} ✓ · "
                f"{format_count(fails)} ✗")  # fmt: skip
    columns = [Column("check", justify="left", flex=True), Column("pass"), Column("passes", 2),
               Column("fails", 1), Column("group", 3, "left")]  # fmt: skip
    rows = check_rows(view.checks, group=True)
    return [Text(""), section_title("CHECKS", note), *fitted_lines(columns, rows, width, flex_min=16)]


def scenario_block(scenarios: Sequence[ScenarioStat], width: int) -> list[Text]:
    """SCENARIOS: iterations, their rate, drops (highlighted: the executor could not keep up), requests."""
    with_vus = any(s.vus is not None for s in scenarios)
    columns = [Column("scenario", justify="left", flex=True), Column("iterations", 2), Column("iter/s", 3),
               Column("dropped"), Column("requests", 4), Column("p95", 1), Column("checks", 5)]  # fmt: skip
    if with_vus:
        columns.insert(1, Column("VUs", 6))
    rows: list[list[str | Text]] = []
    for s in scenarios:
        dropped = Text(format_count(s.dropped_iterations),
                       style="bold yellow reverse" if s.dropped_iterations else "dim")  # fmt: skip
        checks = "—" if s.checks_pass_pct is None else f"{s.checks_pass_pct:.2f} %"
        rate = "—" if s.iterations_per_s is None else f"{format_rate(s.iterations_per_s)}/s"
        row: list[str | Text] = [s.name, format_count(s.iterations), rate, dropped, format_count(s.requests),
                                 format_duration_ms(s.p95_ms), checks]  # fmt: skip
        if with_vus:
            row.insert(1, "—" if s.vus is None else format_count(s.vus))
        rows.append(row)
    dropping = [s.name for s in scenarios if s.dropped_iterations]
    note = f"dropping iterations: {', '.join(dropping)}" if dropping else ""
    return [Text(""), section_title("SCENARIOS", note), *fitted_lines(columns, rows, width, flex_min=12)]


def group_block(
    groups: Sequence[GroupStat], checks: Sequence[CheckStat], width: int, name_width: int = 0
) -> list[Text]:
    """GROUPS: the group tree, each group with its checks and its metrics, indented by depth."""
    out: list[Text] = [Text(""), section_title("GROUPS", f"{len(groups)}")]
    for g in groups:
        indent = 2 * (g.depth - 1)
        out.append(Text.assemble(" " * indent, ("▾ ", "dim"), (g.name, "bold"), (f"  {g.path}", "dim")))
        mine = [c for c in checks if c.group == g.path]
        if mine:
            columns = [Column(Text(" " * (indent + 2) + "checks", style="bold dim"), justify="left", flex=True),
                       Column("pass"), Column("passes", 2), Column("fails", 1)]  # fmt: skip
            out += fitted_lines(columns, check_rows(mine, group=False, indent=indent + 2), width)
        out += type_tables(g.metrics, width, in_group=True, indent=indent + 2, name_width=name_width)
    return out
