"""The screen a user lives in: keys wherever focus is, the palette, output that follows, the end of a run."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from textual.command import CommandList, CommandPalette

from runners.model.frames import Frame, OutputLine, RunEvent, RunState
from tests.endpoint_frames import FINAL_THRESHOLDS, ended_frame, endpoint_frame, error_breach
from tests.tui_support import T0, ScriptedRunControl, build_frame
from tui.app import LoadwatchApp
from tui.endpoints_table import EndpointsTable, visible_columns
from tui.events_pane import EventsPane
from tui.k6_pane import threshold_limits
from tui.output_pane import OutputPane, wrap_cuts
from tui.result_pane import ResultPane

pytestmark = pytest.mark.anyio
SIZE = (120, 36)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def lines_frame(i: int, count: int, start: int = 0) -> Frame:
    """Frame `i` carrying `count` numbered k6 output lines."""
    out = tuple(OutputLine(T0 + i / 2, "stdout", f"k6 line {start + n}") for n in range(count))
    return dataclasses.replace(build_frame(i), new_output=out)


async def test_2_then_o_sorts_the_endpoints_without_clicking() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(endpoint_frame())
        await pilot.press("2")
        await pilot.pause()
        table = app.query_one(EndpointsTable)
        assert not table.has_focus
        assert table.sort_column == "p95"
        await pilot.press("o")
        assert table.sort_column == "p99"
        await pilot.press("r")
        assert table.sort_reverse
        assert app.check_action("sort_next", ()) is True
        await pilot.press("1")  # the endpoints' keys leave the footer with their tab
        assert app.check_action("sort_next", ()) is False


async def test_palette_search_finds_mark_and_abort() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(40))
        await pilot.pause()
        for query, wanted in (("mark", "Mark"), ("abort", "Abort"), ("sort", "Sort")):
            await pilot.press("ctrl+p")
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*query)
            await pilot.pause(0.5)
            found = app.screen.query_one(CommandList)
            prompts = [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]
            assert any(wanted in p for p in prompts), prompts
            await pilot.press("escape")
            await pilot.pause()


async def test_palette_runs_a_tab_action_from_another_tab() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(endpoint_frame())
        await pilot.pause()
        await pilot.press("ctrl+p", *"sort", "enter")
        await pilot.pause(0.3)
        assert app.active_tab == "tab-endpoints"
        assert app.query_one(EndpointsTable).sort_column == "p99"


async def test_output_stays_at_the_bottom_after_a_tab_switch_a_resize_and_a_banner() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(OutputPane)
        control.emit(lines_frame(10, 200))
        await pilot.pause()

        def at_bottom() -> bool:
            return pane.max_scroll_y > 0 and pane.scroll_y == pane.max_scroll_y and pane.following

        assert at_bottom()
        await pilot.press("2")
        control.emit(lines_frame(11, 50, 200))  # lines arrive while the pane is hidden
        await pilot.press("1")
        await pilot.pause()
        assert at_bottom() and pane.lines[-1] == "k6 line 249"
        await pilot.resize_terminal(80, 24)
        control.emit(lines_frame(12, 5, 250))
        await pilot.pause()
        assert at_bottom()
        breach = dataclasses.replace(error_breach(5, None), start=T0 + 5)
        control.emit(dataclasses.replace(lines_frame(13, 5, 255), firing=(breach,)))
        await pilot.pause()
        assert app.query_one("#breach-banner").display
        await pilot.pause()
        assert at_bottom(), (pane.scroll_y, pane.max_scroll_y)


async def test_scrolling_up_stops_following_and_end_follows_again() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(OutputPane)
        control.emit(lines_frame(10, 200))
        await pilot.pause()
        await pilot.press("pageup")
        assert not pane.following
        control.emit(lines_frame(11, 7, 200))
        await pilot.pause()
        assert pane.scroll_y < pane.max_scroll_y
        assert pane.border_subtitle == "7 new lines · End to follow"
        await pilot.press("end")
        assert pane.following and pane.scroll_y == pane.max_scroll_y and pane.border_subtitle == ""


def test_long_lines_wrap_at_the_width_with_an_indent() -> None:
    line = "http_req_duration..........: avg=104.12ms min=1.2ms med=99.49ms max=2.1s p(90)=180ms p(95)=250ms"
    cuts = wrap_cuts(line, 40)
    assert cuts[0] == 0 and cuts[1] == 40 and all(b - a == 38 for a, b in itertools.pairwise(cuts[1:]))
    assert wrap_cuts("short", 40) == [0]


async def test_the_end_of_a_run_shows_the_result_and_only_the_keys_that_apply() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(endpoint_frame(200))
        await pilot.pause()
        assert app.check_action("abort_run", ()) is True and app.check_action("write_report", ()) is False
        control.emit(ended_frame(239))
        await pilot.pause()
        assert app.active_tab == "tab-result"
        text = app.query_one(ResultPane).plain
        for wanted in ("FAIL", "http_req_failed rate<0.01", "error-rate", "503", "whole run", "never fired"):
            assert wanted in text, wanted
        assert app.check_action("abort_run", ()) is False  # hidden, not just greyed
        assert app.check_action("mark", ()) is False
        assert app.check_action("write_report", ()) is True
        assert app.check_action("replay_run", ()) is True
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"R", "P", "q"} <= footer_keys and "a" not in footer_keys
        await pilot.press("1")
        heading = str(app.query_one("#live-heading").render())
        assert heading.startswith("WHOLE RUN")


def test_flapping_rule_events_fold_into_one_line_with_a_count() -> None:
    pane = EventsPane()
    events = []
    for i in range(10):
        kind = "PENDING" if i % 2 == 0 else "CANCELLED"
        events.append(RunEvent(T0 + i, "breach", f"generator-cpu {kind}: host.cpu_pct 9{i} % > 90 %"))
    events.append(RunEvent(T0 + 20, "container", "container api died (exit 137)"))
    pane.add_events(tuple(events), (), float(T0))
    pane.add_events(tuple(events[-3:]), (), float(T0))  # frames repeat the recent events
    assert [(g.kind, g.count) for g in pane.groups] == [("breach", 10), ("container", 1)]


def test_thresholds_become_lines_on_their_charts() -> None:
    limits = threshold_limits(FINAL_THRESHOLDS)
    assert [(r.at, r.label) for r in limits["latency"]] == [(500.0, "p(95)<500")]
    assert [(r.at, r.label) for r in limits["errors"]] == [(1.0, "<1 %")]


def test_endpoint_columns_give_way_by_priority() -> None:
    assert visible_columns(200) == ("name", "requests", "rps", "p50", "p95", "p99", "errors", "codes")
    narrow = visible_columns(60)
    assert narrow[0] == "name" and "p95" in narrow and "errors" in narrow and "p50" not in narrow


async def test_no_gauges_says_how_to_add_them() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(10))
        await pilot.press("3")
        await pilot.pause()
        hint = app.query_one("#server-hint")
        assert hint.display and "[[gauges]]" in str(hint.render())


async def test_aborted_run_is_not_a_pass() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(ended_frame(100, RunState.ABORTED))
        await pilot.pause()
        assert "ABORTED" in app.query_one(ResultPane).plain


async def test_each_g_on_the_server_tab_charts_the_next_gauge() -> None:
    from collectors.gauges import GaugeReading, GaugeSnapshot
    from tui.gauge_chart import GaugeChart

    names = ("cpu", "memory", "db_pool")
    t = float(T0 + 60)
    readings = tuple(
        GaugeReading(n, "", 50.0, "%", "ok", "", 1.0, t, 80.0, 95.0, None, "above") for n in names
    )
    snap = GaugeSnapshot(t, "prometheus", readings, "ok", "Prometheus http://127.0.0.1:9090")
    history = {(n, ""): ((t - 2, 40.0), (t - 1, 45.0), (t, 50.0)) for n in names}
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(dataclasses.replace(build_frame(120), gauges=snap, gauge_history=history))
        await pilot.press("3")
        await pilot.pause()
        chart = app.query_one(GaugeChart)
        assert chart.gauge_name == "cpu" and not app.query_one("#server-hint").display
        await pilot.press("g", "g")
        await pilot.pause()
        assert chart.gauge_name == "db_pool"


async def test_palette_snapshot_saves_into_the_run_record() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit(build_frame(40))
        await pilot.pause()
        await pilot.press("ctrl+p", *"snapshot", "enter")
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        ((svg, values),) = control.snapshots
        assert svg is not None and svg.read_text().startswith("<svg") and values.is_file()
