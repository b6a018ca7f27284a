"""The end-of-run view: the verdict, every threshold and rule with pass/fail, whole-run status codes, what next."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from runners.model.frames import EndpointRow, Frame
from runners.model.rule_events import Breach
from runners.model.units import format_clock, format_count, format_ms, format_percent, format_rate
from runners.report.run_card import verdict_word
from tui.k6_numbers import active_seconds

_VERDICT_STYLE = {
    "PASS": "bold green",
    "FAIL": "bold red reverse",
    "ABORTED": "bold yellow",
    "ERROR": "bold red",
}


def run_codes(rows: Sequence[EndpointRow]) -> list[tuple[str, int]]:
    """Status codes over the whole run (every endpoint row, `other` included), most frequent first.

    Args:
        rows: A frame's endpoint rows (their `statuses` count the whole run).

    Returns:
        (code, count) pairs; status 0 is shown as "0 (network)".
    """
    codes: dict[str, int] = {}
    for r in rows:
        for code, n in r.statuses:
            key = code if code not in ("", "0") else "0"
            codes[key] = codes.get(key, 0) + n
    return sorted(codes.items(), key=lambda kv: -kv[1])


def rule_outcomes(rules: Sequence[str], breaches: Sequence[Breach]) -> list[tuple[str, str, int, str]]:
    """Every rule in force with the highest level it reached.

    Args:
        rules: The names of the rules in force (rules only seen in breaches are added).
        breaches: Breaches firing at the end and past ones.

    Returns:
        (rule, "critical" / "warning" / "pass", how many breaches, the metrics they were on).
    """
    out = []
    for name in dict.fromkeys([*rules, *(b.rule for b in breaches)]):
        own = [b for b in breaches if b.rule == name]
        level = "critical" if any(b.max_level == "critical" for b in own) else ("warning" if own else "pass")
        out.append((name, level, len(own), ", ".join(dict.fromkeys(b.path for b in own))))
    return out


class ResultPane(Static):
    """Drawn from the final frame; the app shows it on its own tab when k6 has ended."""

    plain = ""
    """The block as plain text (for tests and the snapshot's JSON)."""

    def show_result(self, frame: Frame, report: str = "", *, replay: bool = False) -> None:
        """Draw the verdict block.

        Args:
            frame: The final frame.
            report: Where the report was written ("" while not written).
            replay: True for a replayed run (it cannot be replayed from here again).
        """
        failed = sum(1 for t in frame.thresholds if t.ok_by_k6 is False)
        breaches = list(
            {(b.rule, b.path, b.start): b for b in (*frame.firing, *frame.breach_history)}.values()
        )
        outcomes = rule_outcomes(frame.rules, breaches)
        critical = sum(1 for _, level, _, _ in outcomes if level == "critical")
        word = verdict_word(frame.state.value, failed, critical)
        head = Text.assemble(
            (f" {word} ", _VERDICT_STYLE.get(word, "bold")),
            f"  {frame.state.value.replace('_', ' ')} · {frame.status_detail}",
        )
        summary = Text(
            f"{failed} of {len(frame.thresholds)} thresholds failed · "
            f"{critical} of {len(outcomes)} rules reached critical · whole run, {format_clock(frame.elapsed_s)}",
            style="dim",
        )
        # Status codes before the rules: at 80x24 the 503s stay in view above a long list of rules.
        group = Group(head, summary, "", self._thresholds(frame), "", self._codes(frame), "",
                          self._rules(outcomes), "", self._totals(frame), "", self._where(frame, report, replay))  # fmt: skip
        console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
        console.print(group)
        self.plain = console.export_text()
        self.update(group)

    @staticmethod
    def _thresholds(frame: Frame) -> Table:
        table = Table(box=None, padding=(0, 1), show_edge=False, title="THRESHOLDS (k6's verdict)",
                      title_justify="left", title_style="bold", show_header=False, min_width=40)  # fmt: skip
        table.add_column("", width=6)
        table.add_column("metric", overflow="fold")
        table.add_column("value", justify="right")
        for t in frame.thresholds:
            verdict = Text("✓ pass", "green") if t.ok_by_k6 else Text("✗ FAIL", "bold red")
            if t.ok_by_k6 is None:
                verdict = Text("? n/a", "dim")
            value = "-" if t.value is None else f"{t.value:.4g}"
            table.add_row(verdict, f"{t.metric} {t.expression}", value)
        if not frame.thresholds:
            table.add_row("", Text("the script declares no thresholds", "dim"), "")
        return table

    @staticmethod
    def _rules(outcomes: list[tuple[str, str, int, str]]) -> Table:
        table = Table(box=None, padding=(0, 1), show_edge=False, title="RULES (loadwatch)",
                      title_justify="left", title_style="bold", show_header=False, min_width=40)  # fmt: skip
        table.add_column("", width=6)
        table.add_column("rule", overflow="fold")
        table.add_column("breaches", overflow="fold")
        passed = [name for name, level, _, _ in outcomes if level == "pass"]
        for name, level, count, paths in outcomes:
            if level != "pass":
                mark = Text("✗ CRIT", "bold red") if level == "critical" else Text("! warn", "yellow")
                table.add_row(mark, name, f"{count}× on {paths}")
        if passed:  # one line for the rules that never fired, so the ones that did stay in view
            table.add_row(Text("✓ pass", "green"), ", ".join(passed), Text("never fired", "dim"))
        if not outcomes:
            table.add_row("", Text("no rules in force", "dim"), "")
        return table

    @staticmethod
    def _codes(frame: Frame) -> Table:
        table = Table(box=None, padding=(0, 1), show_edge=False, title="STATUS CODES (whole run)",
                      title_justify="left", title_style="bold", show_header=False, min_width=40)  # fmt: skip
        table.add_column("code")
        table.add_column("count", justify="right")
        table.add_column("share", justify="right")
        codes = run_codes(frame.endpoints)
        total = sum(n for _, n in codes) or 1
        for code, n in codes[:8]:
            style = "red" if code[:1] in ("5", "0") else ("yellow" if code[:1] == "4" else "")
            label = "0 (network)" if code == "0" else code
            table.add_row(Text(label, style), format_count(n), Text(f"{100 * n / total:.1f} %", style))
        if not codes:
            table.add_row(Text("no requests", "dim"), "", "")
        return table

    @staticmethod
    def _totals(frame: Frame) -> Text:
        t = frame.totals
        return Text.assemble(
            ("WHOLE RUN  ", "bold"),
            f"{format_count(t.requests)} requests · {format_rate(t.requests / active_seconds(frame))} req/s avg · "
            f"failed {format_percent(t.failed_rate)} · p95 {format_ms(t.latency.p95)} · "
            f"p99 {format_ms(t.latency.p99)} · checks {format_percent(t.checks_rate)}",
            ("" if not frame.capacity_ceiling else f"\n{frame.capacity_ceiling}"),
        )

    @staticmethod
    def _where(frame: Frame, report: str, replay: bool) -> Text:
        lines = Text()
        if frame.run_dir:
            lines.append(f"record  {frame.run_dir}\n", "dim")
        lines.append(f"report  {report}\n" if report else "report  not written yet: R writes it\n", "dim")
        replay_key = "" if replay else "P replay this run · "
        lines.append(f"keys    R report · {replay_key}1 charts and k6's summary · q quit", "bold")
        return lines
