"""End to end: `loadwatch replay` at 120x40 shows the Server, Containers and Breaches tabs and the critical
banner as the live screen showed them, at the start, at the first critical breach and at the end."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SIZE = (120, 40)
TABS = {"3": "Server", "4": "Containers", "5": "Breaches"}
# COLUMNS and LINES as the window: Textual takes them over the terminal's size, and a test runner may set them.
ENV = {"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color", "COLUMNS": str(SIZE[0]), "LINES": str(SIZE[1])}
# A critical rule the demo crosses within seconds, so the run has a first critical breach to look at.
CONFIG = """
[[rules]]
name = "e2e-p95-critical"
metric = "k6.p95_ms"
op = ">"
critical = 120
for = "2s"
"""
PAUSED_AT = re.compile(r"PAUSED at (\d+):(\d\d)\.(\d)")


@dataclass
class Capture:
    """What one position looked like: the banner rows and each tab's body."""

    at_s: float | None  # seconds into the run, to the tenth (None: the end)
    top: list[str]
    tabs: dict[str, list[str]]


def _rows(screen: str) -> list[str]:
    return [line.rstrip() for line in screen.splitlines()]


def _tab_body(screen: str) -> list[str]:
    # Row 0 is the header (live: PAUSED; replay: the position bar) and the last row the footer (other keys);
    # the tab bar's underline slides to the active tab (an animation), so it is left out too.
    return [r for r in _rows(screen)[1:-1] if not set(r.strip()) <= set("━╸╺")]


def _top(screen: str) -> list[str]:
    # The banner and the alert strip sit under the header, above the tab bar.
    rows = _rows(screen)
    return [r for r in rows[1:4] if "CRITICAL" in r or "⚠" in r]


def _capture_tabs(term: Tmux, at_s: float | None) -> Capture:
    tabs: dict[str, list[str]] = {}
    screen = term.screen()
    for key, label in TABS.items():
        term.send(key)

        def shown(s: str, label: str = label) -> bool:
            return _active_tab(s) == label

        term.wait_for(shown, 10, f"the {label} tab")
        screen = _settled(term)
        tabs[label] = _tab_body(screen)
    return Capture(at_s, _top(screen), tabs)


def _active_tab(screen: str) -> str:
    # Only the visible tab's pane is on screen: each has text of its own.
    if re.search(r"^ Firing", screen, re.M):
        return "Breaches"
    if "Mem/limit" in screen:
        return "Containers"
    if "box CPU" in screen and re.search(r"^db_pool |waiting for the first poll", screen, re.M):
        return "Server"  # with its gauge rows drawn (they mount a moment after the chart)
    return ""


def _settled(term: Tmux) -> str:
    # Unchanged for a second and a half: the tab has finished drawing, even on a busy machine.
    last, same = term.screen(), 0
    for _ in range(60):
        time.sleep(0.5)
        now = term.screen()
        same = same + 1 if now == last else 0
        if same == 3:
            return now
        last = now
    return last


def _paused_at(screen: str) -> float:
    found = PAUSED_AT.search(screen)
    assert found, screen
    minutes, seconds, tenths = (int(x) for x in found.groups())
    return minutes * 60 + seconds + tenths / 10


def _live(tmp_path: Path, runs: Path, loadwatch: str) -> list[Capture]:
    captures = []
    with Tmux([loadwatch, "demo", "--runs-dir", str(runs)], cwd=tmp_path, size=SIZE, env=ENV) as term:
        term.wait_for(
            lambda s: "RUNNING" in s and re.search(r"run req\s+[1-9]", s) is not None, 60, "numbers"
        )
        for wanted in ("start", "critical"):
            if wanted == "critical":
                term.send("1")
                term.wait_for(lambda s: "CRITICAL" in s, 90, "the first critical breach")
            term.send("p")
            paused = term.wait_for(lambda s: PAUSED_AT.search(s) is not None, 10, "the paused display")
            captures.append(_capture_tabs(term, _paused_at(paused)))
            term.send("p")
        term.wait_for(
            lambda s: re.search(r"FINISHED|THRESHOLDS FAILED|ABORTED", s) is not None, 180, "the end"
        )
        captures.append(_capture_tabs(term, None))
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 60, "loadwatch to exit")
    return captures


def _replay(tmp_path: Path, runs: Path, loadwatch: str, at_s: float | None) -> Capture:
    # A tick is half a second: a tenth past the paused instant is still that tick.
    at = ["--at", f"{at_s + 0.1:.1f}"] if at_s is not None else ["--at", "99:00:00"]
    argv = [loadwatch, "replay", "last", "--runs-dir", str(runs), "--paused", *at]
    with Tmux(argv, cwd=tmp_path, size=SIZE, env=ENV) as term:
        term.wait_for(lambda s: "REPLAY" in s, 30, "the replay")
        capture = _capture_tabs(term, at_s)
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 30, "the replay to exit")
    return capture


def test_replay_shows_what_the_live_screen_showed(tmp_path: Path, k6_bin: str) -> None:
    (tmp_path / "loadwatch.toml").write_text(CONFIG)
    runs = tmp_path / "runs"
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    live = _live(tmp_path, runs, loadwatch)
    assert not live[0].top and any("CRITICAL" in r for r in live[1].top), (
        "the banner: none at the start, then on"
    )
    assert any("e2e-p95-critical" in r for r in live[1].tabs["Breaches"])
    for seen in live:
        again = _replay(tmp_path, runs, loadwatch, seen.at_s)
        where = "the end" if seen.at_s is None else f"{seen.at_s:.1f}s"
        assert again.top == seen.top, f"banner at {where}"
        for tab, rows in seen.tabs.items():
            assert again.tabs[tab] == rows, f"{tab} tab at {where}:\nlive:\n" + "\n".join(rows) + \
                "\nreplay:\n" + "\n".join(again.tabs[tab])  # fmt: skip
