"""Pilot tests of the live-run app: frames reach the panes, and every quit path stops k6 properly."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.geometry import Size
from textual.pilot import Pilot
from textual.widgets import Label, Static

from runners.engine.exit_status import exit_status_for
from runners.model.frames import GeneratorView, OutputLine, RunState
from tests.tui_support import T0, ScriptedRunControl, StopCall, build_frame, final_frame, scripted_run
from tui.app import LoadwatchApp
from tui.confirm_screen import ConfirmScreen
from tui.frame_feed import FrameFeed
from tui.k6_charts import PAINT_WAIT_S, SeriesChart
from tui.k6_numbers import MetricTile
from tui.k6_pane import K6Pane
from tui.output_pane import OutputPane, line_kind
from tui.run_header import RunHeader

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
GRACEFUL = StopCall(hard=False, reason="quit")
HARD = StopCall(hard=True, reason="quit")


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio."""
    return "asyncio"


def label_text(app: LoadwatchApp, selector: str) -> str:
    """The text a label in the app shows."""
    return str(app.query_one(selector, Label).content)


def tile(app: LoadwatchApp, tile_id: str) -> str:
    """The value a metric tile shows."""
    return app.query_one(f"#{tile_id}", MetricTile).value


async def test_frames_update_header_numbers_and_charts() -> None:
    control = scripted_run()
    app = LoadwatchApp(control, title="lw-test")
    async with app.run_test(size=SIZE) as pilot:
        assert label_text(app, "#run-name") == "checkout-ramp"
        assert label_text(app, "#run-clock") == "00:00 / --:--"
        control.emit_next(150)
        # The last frame comes from another thread, as the engine sends it.
        control.emit_from_thread(build_frame(150))
        await pilot.pause()
        header = app.query_one(RunHeader)
        assert header.state is RunState.RUNNING
        assert label_text(app, "#run-title") == "lw-test"
        assert label_text(app, "#run-state") == "RUNNING"
        assert app.query_one("#run-state").has_class("-running")
        assert label_text(app, "#run-clock") == "01:15 / 02:00"
        assert label_text(app, "#run-vus") == "VUs 50/50"
        assert not app.query_one("#run-stopping").display
        assert tile(app, "live-rps") == "484.0"
        assert tile(app, "live-errors") == "2.38 %"
        assert tile(app, "live-p95") == "138.5 ms"
        assert tile(app, "live-received") == "2.8 MB/s"
        assert tile(app, "live-checks") == "97.6 %"
        assert tile(app, "total-requests") == "29,647"
        assert app.query_one("#live-errors", MetricTile).has_class("-bad")
        output = app.query_one(OutputPane)
        assert output.lines[-1].startswith('time="2026-01-01T00:01:12Z" level=error')
        assert output.scroll_y == output.max_scroll_y > 0, "the newest output is in view"
        pane = app.query_one(K6Pane)
        assert pane.origin_t == T0
        app.query_one(K6Pane).redraw_charts()
        xs = app.query_one("#chart-latency", SeriesChart).shown_xs
        assert xs[0] == 0 and xs[-1] == 74


async def test_charts_redraw_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(K6Pane, "MIN_REDRAW_INTERVAL_S", 3600.0)
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(5)  # seconds 0 and 1 are complete by frame 4
        await pilot.pause()
        chart = app.query_one("#chart-rps", SeriesChart)
        drawn = list(chart.shown_xs)
        control.emit_next(10)
        await pilot.pause()
        assert list(chart.shown_xs) == drawn, "a new second within the interval waits for the timer"
        app.query_one(K6Pane).redraw_charts()
        assert len(chart.shown_xs) > len(drawn)


@contextlib.asynccontextmanager
async def _charts_plotted() -> AsyncIterator[tuple[LoadwatchApp, ScriptedRunControl, Pilot[int]]]:
    """An app showing nine frames of a scripted run, its charts' first pictures plotted and painted."""
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(9)
        app.query_one(K6Pane).redraw_charts()
        await app.workers.wait_for_complete()
        await pilot.pause()
        yield app, control, pilot


def _paints_of(monkeypatch: pytest.MonkeyPatch, charts: tuple[SeriesChart, ...]) -> list[str]:
    """The ids of these charts, in the order they are painted (refreshed) from now on."""
    painted: list[str] = []
    for chart in charts:

        def refresh(*_args: object, _chart: SeriesChart = chart, **_kwargs: object) -> SeriesChart:
            painted.append(str(_chart.id))
            return _chart

        monkeypatch.setattr(chart, "refresh", refresh)
    return painted


async def test_new_chart_data_paints_once_with_the_next_frame_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with _charts_plotted() as (app, control, pilot):
        refreshed = _paints_of(monkeypatch, (app.query_one("#chart-rps", SeriesChart),))
        control.emit_next(4)
        app.query_one(K6Pane).redraw_charts()
        assert refreshed == [], "the picture on screen is not painted again while the new one is plotted"
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert refreshed == [], "the new picture waits for the next frame's pass"
        control.emit_next(1)
        await pilot.pause()
        assert refreshed == ["chart-rps"], "the next frame paints the new picture, once"


async def test_plotted_charts_paint_together_in_the_next_frames_pass_or_alone_when_none_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with _charts_plotted() as (app, control, pilot):
        rps, errors = app.query_one("#chart-rps", SeriesChart), app.query_one("#chart-errors", SeriesChart)
        painted = _paints_of(monkeypatch, (rps, errors))
        picture = rps._cache[1] if rps._cache else []
        rps._plotted(("rps", 1), picture)
        errors._plotted(("errors", 1), picture)
        assert painted == [], "a plotted chart waits for the next frame"
        control.emit_next(1)
        await pilot.pause()
        assert sorted(painted[:2]) == ["chart-errors", "chart-rps"], "both paint while the frame is shown"
        # With no frame coming (a replay paused at its end, a stalled engine) a picture waits a bounded time.
        del painted[:]
        rps._plotted(("rps", 2), picture)
        await pilot.pause(PAINT_WAIT_S / 3)
        assert painted == []
        await pilot.pause(PAINT_WAIT_S)
        assert painted == ["chart-rps"]


async def test_the_same_generator_warning_is_not_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = GeneratorView(box_cpu_pct=97.0, box_mem_pct=20.0, k6_cpu_pct=150.0, k6_rss_bytes=1, cores=2,
                        saturated=False, saturated_s=0.0, peak_box_cpu_pct=97.0, peak_k6_cpu_pct=150.0,
                        peak_k6_rss_bytes=1, warning="load generator busy")  # fmt: skip
    control = ScriptedRunControl([dataclasses.replace(build_frame(i), generator=gen) for i in range(1, 4)])
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next()
        await pilot.pause()
        strip = app.query_one("#alert-strip", Static)
        drawn: list[object] = []
        original = strip.update

        def update(*args: Any, **kwargs: Any) -> None:
            drawn.append(args)
            original(*args, **kwargs)

        monkeypatch.setattr(strip, "update", update)
        control.emit_next(2)
        await pilot.pause()
        assert strip.display and "load generator busy" in str(strip.content)
        assert drawn == [], "a warning already on screen costs no layout pass per frame"


async def test_quit_with_active_run_asks_and_no_or_escape_keeps_running() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(10)
        await pilot.pause()
        for refuse in ("n", "escape"):
            await pilot.press("q")
            assert isinstance(app.screen, ConfirmScreen)
            question = app.screen.query_one("#confirm-question", Label)
            assert "Stop k6 gracefully and quit?" in str(question.content)
            await pilot.press(refuse)
            assert not isinstance(app.screen, ConfirmScreen)
        assert control.stop_calls == []
        assert app.is_running and app.return_value is None


async def test_yes_stops_gracefully_and_exits_after_the_final_frame() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        last = control.emit_next(20)
        await pilot.pause()
        await pilot.press("q", "y")
        await app.workers.wait_for_complete()
        assert control.stop_calls == [GRACEFUL]
        assert app.stop_mode == "graceful"
        assert app.query_one("#run-stopping").display
        assert label_text(app, "#run-stopping") == "STOPPING…"
        control.emit(dataclasses.replace(last, seq=last.seq + 1, state=RunState.STOPPING))
        await pilot.pause()
        assert app.is_running, "still stopping: k6 runs teardown"
        control.emit(final_frame(last, RunState.ABORTED, exit_code=105))
        await pilot.pause()
        assert app.return_value == 130


async def test_yes_after_the_run_ended_meanwhile_exits_at_once() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        last = control.emit_next(20)
        await pilot.pause()
        await pilot.press("q")
        control.emit(final_frame(last, RunState.FINISHED, exit_code=0))
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert control.stop_calls == []
        assert app.return_value == 0


async def test_quit_again_while_stopping_ends_k6_at_once() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        last = control.emit_next(20)
        await pilot.pause()
        await pilot.press("q", "y")
        await app.workers.wait_for_complete()
        await pilot.press("q")
        await app.workers.wait_for_complete()
        assert control.stop_calls == [GRACEFUL, HARD]
        assert label_text(app, "#run-stopping") == "KILLING k6…"
        control.emit(final_frame(last, RunState.ABORTED))
        await pilot.pause()
        assert app.return_value == 130


async def test_third_quit_leaves_without_waiting() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(20)
        await pilot.pause()
        await pilot.press("q", "y", "q", "q")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert control.stop_calls == [GRACEFUL, HARD]
        assert app.return_value == 130


async def test_ctrl_c_behaves_like_q() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(4)
        await pilot.pause()
        await pilot.press("ctrl+c")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+c")  # a reflexive second press does not stack another question
        assert len(app.screen_stack) == 2
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+c")
        await app.workers.wait_for_complete()
        assert control.stop_calls == [GRACEFUL, HARD]


async def test_no_final_frame_in_time_stops_hard_and_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LoadwatchApp, "GRACEFUL_STOP_TIMEOUT_S", 0.05)
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(4)
        await pilot.pause()
        await pilot.press("q", "y")
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert control.stop_calls == [GRACEFUL, HARD]
        assert app.return_value == 130


@pytest.mark.parametrize(
    ("state", "code"),
    [(RunState.FINISHED, 0), (RunState.THRESHOLDS_FAILED, 99), (RunState.FAILED, 1), (RunState.ABORTED, 130)],
)
async def test_quit_after_the_run_ended_exits_at_once(state: RunState, code: int) -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        last = control.emit_next(30)
        control.emit(final_frame(last, state, exit_code=code))
        await pilot.pause()
        assert app.is_running, "a run that ends by itself leaves its results on screen"
        assert label_text(app, "#run-state") == state.value.replace("_", " ").upper()
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert control.stop_calls == []
        assert app.return_value == code


async def test_command_palette_quit_goes_through_the_question() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        control.emit_next(4)
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles.count("Quit") == 1
        await app.run_action("quit")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


async def test_output_pane_stays_bounded_and_styles_lines() -> None:
    control = scripted_run()
    app = LoadwatchApp(control)
    async with app.run_test(size=SIZE) as pilot:
        base = control.emit_next(2)
        flood = tuple(OutputLine(T0 + 1.0, "stdout", f"line {n}") for n in range(10_000))
        for seq in range(3, 8):
            control.emit(dataclasses.replace(base, seq=seq, new_output=flood))
            await pilot.pause()
        pane = app.query_one(OutputPane)
        limit = LoadwatchApp.OUTPUT_MAX_LINES
        assert pane.line_count <= limit
        assert pane.lines[-1] == "line 9999"
        assert pane.lines[-limit].startswith("▸ ") and "skipped" in pane.lines[-limit]
        # Each flood shows its last lines under a note; the three start-up lines were still pending.
        assert pane.lines_dropped == (5 * 10_000 + 3) - 5 * (limit - 1)
        for text, kind in [
            ('time="t" level=error msg="boom"', "error"),
            ('{"level":"warning","msg":"Request Failed"}', "warning"),
            ("▸ started k6", "loadwatch"),
            ('time="t" level=info msg="fine"', ""),
        ]:
            assert line_kind(text) == kind


def test_frame_messages_supersede_each_other_and_output_is_kept() -> None:
    older = LoadwatchApp.FrameArrived(build_frame(1))
    newer = LoadwatchApp.FrameArrived(build_frame(2))
    assert older.can_replace(newer)
    feed = FrameFeed(max_lines=3)
    feed.push(build_frame(0))  # three lines
    feed.push(dataclasses.replace(build_frame(1), new_output=(OutputLine(0.0, "stdout", "x"),)))
    lines, dropped = feed.drain_output()
    assert [line.text for line in lines][-1] == "x"
    assert len(lines) == 3 and dropped == 1
    assert feed.drain_output() == ([], 0)


def test_exit_codes() -> None:
    assert exit_status_for(RunState.FINISHED) == 0
    assert exit_status_for(RunState.THRESHOLDS_FAILED) == 99
    assert exit_status_for(RunState.FAILED) == 1
    assert exit_status_for(RunState.ABORTED) == 130
    assert exit_status_for(RunState.RUNNING) == 130


def test_scripted_control_satisfies_the_protocol() -> None:
    from runners.engine.control import RunControl

    control: RunControl = ScriptedRunControl([])
    assert control.state is RunState.STARTING


async def test_a_chart_plotted_with_no_width_left_gives_an_empty_picture_not_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A chart whose tab was switched away while its worker plotted has no width: the legend renders to no
    # line at all, and the worker must still hand a picture back.
    async with _charts_plotted() as (app, _control, _pilot):
        chart = app.query_one("#chart-rps", SeriesChart)
        with monkeypatch.context() as patch:
            patch.setattr(SeriesChart, "size", property(lambda _self: Size(0, 8)))
            picture = chart._plot_now()
        assert picture and picture[0].cell_length == 0
