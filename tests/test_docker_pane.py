"""Pilot tests of the containers pane: diffed rows, sorting by key, level colours, source states, events, speed."""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from typing import ClassVar
from unittest import mock

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label, RichLog

from collectors.docker_collector import DockerCollector
from collectors.docker_config import DockerConfig
from collectors.docker_model import ContainerEvent, ContainerStats, DockerSnapshot
from tests.docker_support import wait_for
from tui.containers_pane import COLUMNS, ContainersPane

pytestmark = pytest.mark.anyio
T = 1_767_225_600.0
GIB = 1024**3


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio."""
    return "asyncio"


def container(name: str, cpu: float | None, mem_pct: float | None, **changes: object) -> ContainerStats:
    base = ContainerStats(
        id=f"id-{name}",
        name=name,
        image="bbx",
        state="running",
        status_text="Up 3 minutes",
        exit_code=None,
        restarts=0,
        oom_killed=False,
        cpu_pct=cpu,
        mem_used=None if mem_pct is None else int(mem_pct / 100 * GIB),
        mem_limit=None if mem_pct is None else GIB,
        mem_pct=mem_pct,
        net_rx_bps=1500.0,
        net_tx_bps=300.0,
        blk_read_bps=0.0,
        blk_write_bps=4096.0,
        pids=3,
        health=None,
        t=T,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def snapshot(*containers: ContainerStats, state: str = "ok", detail: str = "connected") -> DockerSnapshot:
    return DockerSnapshot(T, state, detail, tuple(containers))  # type: ignore[arg-type]


class PaneApp(App[None]):
    """The pane alone, with the app's sort key; with a collector it polls it like the app does, four times a second."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("o", "sort_next", "Sort")]

    def __init__(self, collector: DockerCollector | None = None) -> None:
        super().__init__()
        self.collector = collector

    def compose(self) -> ComposeResult:
        yield ContainersPane(DockerConfig(), id="containers")

    def on_mount(self) -> None:
        self.query_one("#containers-table").focus()
        if self.collector is not None:
            self.set_interval(0.25, self.poll)

    def action_sort_next(self) -> None:
        self.query_one(ContainersPane).action_cycle_sort()

    def poll(self) -> None:
        assert self.collector is not None
        pane = self.query_one(ContainersPane)
        pane.update_snapshot(self.collector.latest())
        pane.add_events(self.collector.drain_events())


def order(app: PaneApp) -> list[str]:
    table = app.query_one("#containers-table", DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def cell(app: PaneApp, name: str, column: str) -> Text:
    value = app.query_one("#containers-table", DataTable).get_cell(f"id-{name}", column)
    assert isinstance(value, Text)
    return value


def source(app: PaneApp) -> Label:
    return app.query_one("#docker-source", Label)


async def test_rows_are_diffed_by_container_and_dead_ones_stay() -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ContainersPane)
        table = app.query_one("#containers-table", DataTable)
        pane.update_snapshot(snapshot(container("api", 20.0, 30.0), container("db", 5.0, 60.0)))
        await pilot.pause()
        assert order(app) == ["id-api", "id-db"]
        spy = mock.patch.object(table, "update_cell", wraps=table.update_cell)
        update_cell = spy.start()
        pane.update_snapshot(snapshot(container("api", 20.0, 30.0), container("db", 5.0, 60.0)))
        assert update_cell.call_count == 0  # nothing changed, nothing touched
        oomed = container("db", None, None, state="exited", exit_code=137, oom_killed=True, pids=None)
        pane.update_snapshot(snapshot(container("api", 25.0, 30.0), oomed, container("web", 1.0, 2.0)))
        await pilot.pause()
        calls = [c.args[:2] for c in update_cell.call_args_list]
        spy.stop()
        assert ("id-api", "cpu") in calls and ("id-api", "name") not in calls
        assert set(order(app)) == {"id-api", "id-db", "id-web"}  # web joined mid-run
        assert cell(app, "db", "state").plain == "exited 137 OOM"
        assert cell(app, "db", "cpu").plain == "—"
        assert table.row_count == 3


async def test_o_cycles_the_sort_column() -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ContainersPane)
        pane.update_snapshot(
            snapshot(container("a", 10.0, 90.0), container("b", 80.0, 10.0), container("c", 40.0, 50.0))
        )
        await pilot.pause()
        assert pane.sort_by == "cpu" and order(app) == ["id-b", "id-c", "id-a"]
        await pilot.press("o")
        assert pane.sort_by == "mem" and order(app) == ["id-a", "id-c", "id-b"]
        await pilot.press("o")
        assert pane.sort_by == "name" and order(app) == ["id-a", "id-b", "id-c"]
        assert "sort: name" in str(source(app).content)
        await pilot.press("o")
        assert pane.sort_by == "cpu"


async def test_levels_colour_cpu_and_memory() -> None:
    app = PaneApp()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ContainersPane)
        warning = pane.get_component_rich_style("containers-pane--warning", partial=True)
        critical = pane.get_component_rich_style("containers-pane--critical", partial=True)
        limited = container("capped", 45.0, 85.0, cpu_limit=0.5)  # 90 % of its half core
        pane.update_snapshot(snapshot(container("calm", 10.0, 10.0), container("hot", 97.0, 95.0), limited))
        await pilot.pause()
        assert cell(app, "calm", "cpu").style == "" and cell(app, "calm", "mem_pct").style == ""
        assert cell(app, "hot", "cpu").style == critical and cell(app, "hot", "mem_pct").style == critical
        assert cell(app, "capped", "cpu").style == warning and cell(app, "capped", "mem_pct").style == warning
        assert critical.bold  # still told apart without colour (NO_COLOR)


@pytest.mark.parametrize(
    ("state", "text", "css"),
    [
        ("connecting", "Docker connecting", "-connecting"),
        ("socket_missing", "Docker socket missing · no Docker socket at /x", "-problem"),
        ("permission_denied", "Docker permission denied", "-problem"),
        ("daemon_down", "Docker daemon DOWN", "-problem"),
        ("disabled", "Docker off", "-disabled"),
        ("ok", "Docker · 0 containers, 0 running · sort: cpu · connected", "-ok"),
    ],
)
async def test_each_source_state_is_shown(state: str, text: str, css: str) -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        detail = (
            "no Docker socket at /x" if state == "socket_missing" else "connected" if state == "ok" else "x"
        )
        app.query_one(ContainersPane).update_snapshot(snapshot(state=state, detail=detail))
        await pilot.pause()
        assert str(source(app).content).startswith(text)
        assert source(app).has_class(css)


async def test_daemon_back_is_shown_after_it_was_down() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(ContainersPane)
        pane.update_snapshot(snapshot(container("api", 5.0, 5.0)))
        pane.update_snapshot(snapshot(container("api", None, None), state="daemon_down", detail="gone"))
        pane.update_snapshot(snapshot(container("api", 5.0, 5.0), detail="connected; back after 4 s down"))
        await pilot.pause()
        text = str(source(app).content)
        assert text.startswith("Docker back · 1 containers, 1 running")
        assert text.endswith("connected; back after 4 s down")
        assert source(app).has_class("-back")


async def test_events_list_is_bounded() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(ContainersPane)
        events = [ContainerEvent(T + i, "id-x", "x", "die", i % 3, "") for i in range(250)]
        pane.add_events(events)
        await pilot.pause()
        log = app.query_one("#container-events", RichLog)
        assert len(log.lines) == ContainersPane.MAX_EVENT_LINES
        assert "x died (exit 0)" in log.lines[-1].text


async def test_main_columns_fit_in_80_columns() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#containers-table", DataTable)
        app.query_one(ContainersPane).update_snapshot(snapshot(container("checkout-service-1", 99.5, 12.5)))
        await pilot.pause()
        widths = [table.columns[key].get_render_width(table) for key, _, _ in COLUMNS]  # type: ignore[index]
        assert sum(widths[:5]) <= 78  # name, state, CPU, memory and memory % without scrolling
        assert cell(app, "checkout-service-1", "cpu").plain == "99.5"


@pytest.fixture
def dead_socket() -> Iterator[str]:
    """A socket file nothing listens on: the collector stays in daemon_down and keeps retrying."""
    folder = tempfile.mkdtemp(prefix="lw-dead-")
    path = os.path.join(folder, "docker.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()
    yield f"unix://{path}"
    os.unlink(path)
    os.rmdir(folder)


async def test_keys_answer_within_100_ms_while_the_daemon_is_down(dead_socket: str) -> None:
    collector = DockerCollector(DockerConfig(host=dead_socket))
    collector.start()
    try:
        app = PaneApp(collector)
        async with app.run_test(size=(80, 24)) as pilot:
            pane = app.query_one(ContainersPane)
            wait_for(lambda: collector.latest().state == "daemon_down", 5, "daemon_down")
            await pilot.pause(0.6)
            assert source(app).has_class("-problem") and "DOWN" in str(source(app).content)
            answered: list[float] = []
            pane.watch(pane, "sort_by", lambda _value: answered.append(time.perf_counter()), init=False)
            for _ in range(3):
                before, answered[:] = pane.sort_by, []
                sent = time.perf_counter()
                await pilot.press("o")
                # Pilot itself idles ~50 ms after a key; what counts is when the pane had re-sorted.
                assert pane.sort_by != before and answered
                assert answered[0] - sent < 0.1, f"the key took {(answered[0] - sent) * 1000:.0f} ms"
                await pilot.pause(0.3)
    finally:
        collector.stop(2.0)
