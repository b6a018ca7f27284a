"""Pilot tests of the breaches pane and the critical banner: what they show, and that keys stay quick while rules run."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult, RenderResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, Static

from runners.model.rule_spec import Rule
from runners.rules.state import RuleEngine
from tui.breach_banner import BreachBanner
from tui.breaches_pane import BreachesPane

pytestmark = pytest.mark.anyio
RUN_START = 1_767_225_600.0


@pytest.fixture
def anyio_backend() -> str:
    """Textual runs on asyncio."""
    return "asyncio"


class TimedBanner(BreachBanner):
    """Notes when it first renders a line naming the rule `crossing`."""

    painted_at: float | None = None

    def render(self) -> RenderResult:
        if self.painted_at is None and "crossing" in self.text:
            self.painted_at = time.perf_counter()
        return super().render()


class PaneApp(App[None]):
    """The banner over the pane, plus a key whose answer time is measured."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "ping", "Ping", id="ping")]

    def __init__(self) -> None:
        super().__init__()
        self.pings: list[float] = []

    def compose(self) -> ComposeResult:
        yield TimedBanner(id="breach-banner")
        yield BreachesPane(id="breaches")

    def action_ping(self) -> None:
        self.pings.append(time.perf_counter())


def scripted_engine() -> RuleEngine:
    """An engine after 40 s: the pool critical (glob), p95 warning, errors ended, the pool data gone."""
    rules = [
        Rule("api-latency-p95", "k6.p95_ms", ">", warning=300.0, critical=500.0, for_s=5.0),
        Rule("db-connections", "gauge.db_pool*", ">", warning=80.0, critical=95.0, for_s=5.0),
        Rule("error-rate", "k6.error_pct", ">", warning=0.1, critical=1.0),
    ]
    engine = RuleEngine(rules)
    for s in range(40):
        values = {
            "k6.p95_ms": 350.0 + s,
            "gauge.db_pool.primary": 97.0 + s / 10,
            "gauge.db_pool.replica": 99.0 if s < 30 else None,
            "k6.error_pct": 2.5 if 10 <= s < 20 else 0.0,
        }
        engine.evaluate(float(s), values, wall_t=RUN_START + s)
    return engine


def text_of(app: App[None], selector: str) -> str:
    return str(app.query_one(selector, Label).content)


async def test_pane_and_banner_show_firing_and_history() -> None:
    engine = scripted_engine()
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        banner = app.query_one(BreachBanner)
        assert not banner.display
        assert text_of(app, "#breaches-none") == "no rule firing"
        pane = app.query_one(BreachesPane)
        pane.update_breaches(engine.firing(), engine.history(), RUN_START)
        banner.show_breaches(engine.firing())
        await pilot.pause()
        assert text_of(app, "#breaches-title") == "Firing: 3 (2 critical)"
        assert not app.query_one("#breaches-none").display
        rows = [app.query_one(f"#breach-row-{i}", Label) for i in range(4)]
        assert [r.has_class("-critical") for r in rows[:3]] == [True, True, False]
        assert [r.display for r in rows] == [True, True, True, False]
        assert [str(r.content) for r in rows[:3]] == [
            "CRIT db-connections primary             101 % worst     101 %  since 00:05",
            "CRIT db-connections replica           no data worst      99 %  since 00:05",
            "WARN api-latency-p95                   389 ms worst    389 ms  since 00:05",
        ]
        assert rows[1].has_class("-missing") and not rows[0].has_class("-missing")
        history = str(app.query_one("#breaches-history", Static).content)
        assert history == "CRIT error-rate                     00:10-00:20    10s worst     2.5 %"
        assert text_of(app, "#breaches-history-title") == "History: 1"
        assert banner.display
        assert banner.text == (
            "CRITICAL  db-connections primary 101 % > 95 % · db-connections replica no data > 95 %"
        )
        assert banner.region.width == 80
        pane.update_breaches([], engine.history(), None)
        banner.show_breaches([])
        await pilot.pause()
        assert not banner.display and banner.text == ""
        assert app.query_one("#breaches-none").display
        assert not any(r.display for r in rows)
        assert str(app.query_one("#breaches-history", Static).content).startswith(
            "CRIT error-rate           "
        )


async def test_many_firing_rows_fold_into_a_count() -> None:
    rules = [Rule(f"rule-{i:02d}", f"gauge.g{i}", ">", warning=1.0, critical=2.0) for i in range(12)]
    engine = RuleEngine(rules)
    engine.evaluate(0.0, {f"gauge.g{i}": 5.0 for i in range(12)}, wall_t=RUN_START)
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one(BreachesPane).update_breaches(engine.firing(), [], RUN_START)
        app.query_one(BreachBanner).show_breaches(engine.firing())
        await pilot.pause()
        assert text_of(app, "#breaches-more") == "+4 more firing"
        assert app.query_one(BreachBanner).text.endswith("(+8 more)")


async def test_rules_without_a_value_say_so_and_the_heading_goes_once_they_have_one() -> None:
    app = PaneApp()
    notes = (
        "slow-step: metric.step_tme.p95: no such metric yet",
        'paid: check."paid".fail_pct: no such check yet',
    )
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(BreachesPane)
        pane.update_breaches([], [], RUN_START, notes)
        await pilot.pause()
        assert str(app.query_one("#breaches-waiting", Static).content) == "\n".join(notes)
        assert app.query_one("#breaches-waiting-title", Label).display
        pane.update_breaches([], [], RUN_START, ())
        await pilot.pause()
        assert not app.query_one("#breaches-waiting", Static).display


def heavy_rules() -> list[Rule]:
    """200 rules: per-endpoint globs, per-container globs and exact paths."""
    rules = [
        Rule(f"ep-{i}", f"endpoint.*/{i % 20}/*.p95_ms", ">", warning=300.0, critical=500.0)
        for i in range(50)
    ]
    rules += [
        Rule(f"ct-{i}", "container.*.cpu_pct", ">", warning=50.0 + i / 10, for_s=3.0) for i in range(50)
    ]
    rules += [Rule(f"g-{i}", f"gauge.g{i}", ">", warning=10.0, critical=20.0, for_s=1.0) for i in range(99)]
    rules.append(Rule("crossing", "gauge.trigger", ">", critical=1.0))
    return rules


def heavy_values(step: int, trigger: float) -> dict[str, float | None]:
    values: dict[str, float | None] = {
        f"endpoint.GET /api/{i}/item.p95_ms": 200.0 + (step * 37 + i) % 500 for i in range(100)
    }
    values |= {f"container.c{i}.cpu_pct": float((step + i) % 100) for i in range(50)}
    values |= {f"gauge.g{i}": float((step * 3 + i) % 30) for i in range(99)}
    values["gauge.trigger"] = trigger
    return values


async def test_keys_answer_quickly_and_a_breach_reaches_the_screen_while_200_rules_evaluate() -> None:
    engine = RuleEngine(heavy_rules())
    assert len(engine.rules) == 200
    app = PaneApp()
    stop = threading.Event()
    crossed_at: list[float] = []

    async with app.run_test(size=(80, 24)) as pilot:
        pane, banner = app.query_one(BreachesPane), app.query_one(BreachBanner)

        def show() -> None:
            firing = engine.firing()
            pane.update_breaches(firing, engine.history(), RUN_START)
            banner.show_breaches(firing)

        def engine_thread() -> None:
            # Evaluates 20 times faster than the engine's 1 s cadence, pushing every result to the screen.
            for step in range(10_000):
                if stop.wait(0.05):
                    return
                trigger = 5.0 if step >= 20 else 0.0
                out = engine.evaluate(
                    step * 0.05, heavy_values(step, trigger), wall_t=RUN_START + step * 0.05
                )
                if any(tr.rule == "crossing" and tr.kind == "firing" for tr in out):
                    crossed_at.append(time.perf_counter())
                app.call_from_thread(show)

        async def press_times(n: int) -> list[float]:
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                await pilot.press("x")
                times.append(app.pings[-1] - t0)
                await pilot.pause(0.03)
            return sorted(times)

        # The baseline, measured here and now: a busy shared box slows every key, loaded or not.
        baseline = await press_times(30)
        worker = threading.Thread(target=engine_thread, daemon=True)
        worker.start()
        try:
            # Up to three rounds of 30 presses: a load spike on the shared box can spoil one round, but
            # rules that block the screen spoil every round.
            rounds = []
            for _ in range(3):
                rounds.append(await press_times(30))
                if rounds[-1][26] - baseline[26] < 0.1:
                    break
            latencies = min(rounds, key=lambda r: r[26])
            deadline = time.perf_counter() + 5.0
            timed = app.query_one(TimedBanner)
            while timed.painted_at is None and time.perf_counter() < deadline:
                await pilot.pause(0.01)
        finally:
            stop.set()
            worker.join(5.0)
        assert len(app.pings) == 30 * (1 + len(rounds))
        p90, base_p90 = latencies[26], baseline[26]  # the 27th of 30: one or two outliers are the box's
        print(f"key answer p90 {p90 * 1000:.1f} ms under 200 rules (idle {base_p90 * 1000:.1f} ms), max "
              f"{latencies[-1] * 1000:.1f} ms; rounds' p90s {[round(r[26] * 1000) for r in rounds]} ms")  # fmt: skip
        assert p90 - base_p90 < 0.1, f"the rules added {(p90 - base_p90) * 1000:.0f} ms to a key's answer"
        # painted_at is set by the first render naming `crossing` (by the end other rules may crowd it out).
        assert crossed_at and timed.painted_at is not None
        delay = timed.painted_at - crossed_at[0]
        print(f"breach to screen {delay * 1000:.1f} ms")
        assert 0 <= delay < 1.0, f"breach reached the screen after {delay:.2f} s"
