"""The containers pane: the Docker source's state, a table of containers diffed by id, and recent container events."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import DataTable, Label, RichLog

from collectors.docker_config import DockerConfig
from collectors.docker_model import ContainerEvent, ContainerStats, DockerSnapshot

SORTS = ("cpu", "mem", "name")
"""The orders `s` cycles through: CPU and memory highest first, then by name."""
COLUMNS = (
    ("name", "Container", 18),
    ("state", "State", 14),
    ("cpu", "CPU%", 5),
    ("mem", "Mem/limit", 11),
    ("mem_pct", "Mem%", 5),
    ("net", "Net rx/tx", 11),
    ("blk", "Blk r/w", 11),
    ("pids", "PIDs", 4),
    ("restarts", "Rst", 3),
)
SOURCE_TEXT = {
    "ok": "Docker",
    "connecting": "Docker connecting",
    "socket_missing": "Docker socket missing",
    "permission_denied": "Docker permission denied",
    "daemon_down": "Docker daemon DOWN",
    "disabled": "Docker off",
}
_DASH = "—"


def _size(n: float | None) -> str:
    """Bytes in binary units with 3 significant digits, as `docker stats` shows them (`12.3M`)."""
    if n is None:
        return _DASH
    for unit in ("B", "K", "M", "G", "T"):
        if abs(n) < 1024 or unit == "T":
            return f"{n:.0f}{unit}" if unit == "B" or n >= 100 else f"{n:.1f}{unit}"
        n /= 1024
    return _DASH


def _pair(a: float | None, b: float | None) -> str:
    return _DASH if a is None and b is None else f"{_size(a)}/{_size(b)}"


def _pct(value: float | None) -> str:
    return _DASH if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def state_text(c: ContainerStats) -> str:
    """The state cell: `running`, `unhealthy`, `exited 3`, `exited 137 OOM`, `removed`."""
    text = c.state
    if c.health and c.health != "healthy" and c.state == "running":
        text = c.health  # unhealthy or starting: only a running container has a health
    if c.exit_code is not None and c.state not in ("running", "paused"):
        text += f" {c.exit_code}"
    if c.oom_killed:
        text += " OOM"
    return text


class _Cell(Text):
    """A table cell that knows how it sorts (its shown text is rounded and has units)."""

    def __init__(
        self, text: str, style: Style | str = "", sort_key: Any = None, *, left: bool = False
    ) -> None:
        super().__init__(
            text, style=style, justify="left" if left else "right", no_wrap=True, overflow="ellipsis"
        )
        self.sort_key = sort_key


class ContainersPane(Vertical):
    """Shows `DockerSnapshot`s and `ContainerEvent`s; containers that die stay with their state and exit code."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"containers-pane--warning", "containers-pane--critical"}
    DEFAULT_CSS = """
    ContainersPane { height: 1fr; }
    ContainersPane > #docker-source { width: 1fr; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    ContainersPane > #docker-source.-ok { color: $text; }
    ContainersPane > #docker-source.-back { color: $success; text-style: bold; }
    ContainersPane > #docker-source.-connecting, ContainersPane > #docker-source.-disabled { color: $text-muted; }
    ContainersPane > #docker-source.-problem { background: $error; color: $text; text-style: bold; }
    ContainersPane > #docker-source:nocolor.-problem { text-style: bold reverse; }
    ContainersPane > #containers-table { height: 1fr; }
    ContainersPane > #container-events { height: 4; border-top: solid $panel; }
    ContainersPane > .containers-pane--warning { color: $warning; }
    ContainersPane > .containers-pane--critical { color: $error; text-style: bold; }
    """
    MAX_EVENT_LINES: ClassVar[int] = 100
    """Container events kept under the table."""

    sort_by: reactive[str] = reactive("cpu")
    """The column the table is sorted by: cpu, mem or name."""

    def __init__(self, config: DockerConfig | None = None, *, id: str | None = None) -> None:
        """Create the pane.

        Args:
            config: Where the CPU and memory levels come from (defaults when None).
            id: The widget id.
        """
        super().__init__(id=id)
        self.config = config or DockerConfig()
        self._shown: dict[str, tuple[str, ...]] = {}
        self._ever_ok = False
        self._was_down = False
        self.snapshot: DockerSnapshot | None = None
        """The last snapshot shown."""

    def compose(self) -> ComposeResult:
        """Create the source line, the table and the events list.

        Returns:
            The children.
        """
        yield Label(SOURCE_TEXT["connecting"], id="docker-source", classes="-connecting")
        table: DataTable[Text] = DataTable(id="containers-table", cursor_type="none", header_height=1)
        for key, label, width in COLUMNS:
            table.add_column(
                Text(label, justify="left" if key in ("name", "state") else "right"), width=width, key=key
            )
        yield table
        yield RichLog(id="container-events", max_lines=self.MAX_EVENT_LINES, wrap=False, markup=False)

    @property
    def table(self) -> DataTable[Text]:
        """The containers table."""
        return self.query_one("#containers-table", DataTable)

    def _style(self, kind: str) -> Style:
        return self.get_component_rich_style(f"containers-pane--{kind}", partial=True)

    def _level_style(self, value: float | None, warning: float, critical: float) -> Style | str:
        if value is None or value < warning:
            return ""
        return self._style("critical" if value >= critical else "warning")

    def _cells(self, c: ContainerStats) -> dict[str, _Cell]:
        cfg = self.config
        alive = c.state in ("running", "paused")
        clean = c.exit_code in (0, None) and not c.oom_killed
        state_style: Style | str = "" if alive or clean else self._style("critical")
        cpu = c.cpu_pct if c.cpu_pct is not None else -1.0
        mem = c.mem_pct if c.mem_pct is not None else -1.0
        name_key = c.name.lower()
        return {
            "name": _Cell(c.name, sort_key=name_key, left=True),
            "state": _Cell(state_text(c), state_style, c.state, left=True),
            "cpu": _Cell(
                _pct(c.cpu_pct),
                self._level_style(c.cpu_level_pct, cfg.cpu_warning, cfg.cpu_critical),
                (cpu, name_key),
            ),
            "mem": _Cell(_pair(c.mem_used, c.mem_limit), "", c.mem_used or 0),
            "mem_pct": _Cell(
                _pct(c.mem_pct),
                self._level_style(c.mem_pct, cfg.mem_warning, cfg.mem_critical),
                (mem, name_key),
            ),
            "net": _Cell(_pair(c.net_rx_bps, c.net_tx_bps), "", (c.net_rx_bps or 0) + (c.net_tx_bps or 0)),
            "blk": _Cell(
                _pair(c.blk_read_bps, c.blk_write_bps), "", (c.blk_read_bps or 0) + (c.blk_write_bps or 0)
            ),
            "pids": _Cell(_DASH if c.pids is None else str(c.pids), "", c.pids or 0),
            "restarts": _Cell(str(c.restarts), self._level_style(c.restarts, 1, 3), c.restarts),
        }

    def update_snapshot(self, snapshot: DockerSnapshot) -> None:
        """Show a snapshot: the source line, then only the rows and cells that changed.

        Args:
            snapshot: The collector's latest snapshot.
        """
        self.snapshot = snapshot
        self._show_source(snapshot)
        table = self.table
        changed = False
        with self.app.batch_update():
            seen: set[str] = set()
            for c in snapshot.containers:
                seen.add(c.id)
                cells = self._cells(c)
                shown = tuple(f"{cell.plain}|{cell.style}" for cell in cells.values())
                before = self._shown.get(c.id)
                if before is None:
                    table.add_row(*cells.values(), key=c.id)
                    changed = True
                elif before != shown:
                    for (key, cell), old in zip(cells.items(), before, strict=True):
                        if f"{cell.plain}|{cell.style}" != old:
                            table.update_cell(c.id, key, cell)
                    changed = True
                self._shown[c.id] = shown
            for gone in [cid for cid in self._shown if cid not in seen]:
                table.remove_row(gone)
                del self._shown[gone]
            if changed:
                self._sort()

    def _show_source(self, snapshot: DockerSnapshot) -> None:
        label = self.query_one("#docker-source", Label)
        state = snapshot.state
        if state == "ok":
            self._ever_ok = True
        elif state in ("daemon_down", "socket_missing", "permission_denied") and self._ever_ok:
            self._was_down = True
        back = state == "ok" and self._was_down
        title = "Docker back" if back else SOURCE_TEXT.get(state, state)
        if state == "ok":
            # Counts first: at 80 columns the end of the line (the daemon's address) is what gets cut.
            running = sum(1 for c in snapshot.containers if c.state == "running")
            title += f" · {len(snapshot.containers)} containers, {running} running · sort: {self.sort_by}"
        # Plain content: the detail holds text such as "[docker] host" that markup would swallow.
        label.update(Content(f"{title} · {snapshot.detail}" if snapshot.detail else title))
        if back:
            kind = "-back"
        elif state == "ok":
            kind = "-ok"
        else:
            kind = f"-{state}" if state in ("connecting", "disabled") else "-problem"
        for cls in ("-ok", "-back", "-connecting", "-disabled", "-problem"):
            label.set_class(cls == kind, cls)

    def add_events(self, events: Iterable[ContainerEvent]) -> None:
        """Append container events to the list under the table (bounded).

        Args:
            events: New events, oldest first.
        """
        log = self.query_one("#container-events", RichLog)
        for event in events:
            clock = time.strftime("%H:%M:%S", time.localtime(event.t))
            bad = event.action == "oom" or (event.action == "die" and event.exit_code not in (0, None))
            bad = bad or (event.action == "health_status" and event.detail == "unhealthy")
            style: Style | str = self._style("critical") if bad else ""
            log.write(Text(f"{clock} {event.describe()}", style=style, no_wrap=True, overflow="ellipsis"))

    def clear_events(self) -> None:
        """Forget the events shown (a replay jumped to another position)."""
        self.query_one("#container-events", RichLog).clear()

    def action_cycle_sort(self) -> None:
        """Sort by the next column: CPU, memory, name."""
        self.sort_by = SORTS[(SORTS.index(self.sort_by) + 1) % len(SORTS)]

    def watch_sort_by(self) -> None:
        """Re-sort when the sort column changes."""
        if self.is_mounted:
            self._sort()
            if self.snapshot is not None:
                self._show_source(self.snapshot)

    def _sort(self) -> None:
        column = {"cpu": "cpu", "mem": "mem_pct", "name": "name"}[self.sort_by]
        self.table.sort(column, key=lambda cell: cell.sort_key, reverse=self.sort_by != "name")
