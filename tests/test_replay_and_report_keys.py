"""As a user in tmux: `R` after a run writes the report; `loadwatch replay` and its keys move the playback."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import k6_scripts
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
LOADWATCH = str(Path(sys.executable).parent / "loadwatch")
ENV = {"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color"}
SIZE = (120, 36)
RUN_S = 14
_POSITION = re.compile(r"REPLAY [▶⏸] [\d.]+x (\d\d):(\d\d)")


def clock(screen: str) -> int | None:
    """The replay's position in whole seconds (header: `REPLAY ▶ 2x 00:23 ━━●── 00:46`), None if not shown."""
    m = _POSITION.search(screen)
    return None if m is None else int(m.group(1)) * 60 + int(m.group(2))


@pytest.fixture(scope="module")
def finished_run(
    tmp_path_factory: pytest.TempPathFactory, k6_bin: str, nginx_url: str
) -> Iterator[tuple[Tmux, Path]]:
    """A real `loadwatch run` of RUN_S seconds in tmux, left on its final screen (FINISHED)."""
    work = tmp_path_factory.mktemp("replay")
    script = k6_scripts.write(work, "steady.js", k6_scripts.STEADY)
    runs = work / "runs"
    term = Tmux([LOADWATCH, "run", str(script), "--runs-dir", str(runs), "--", "-e", f"BASE={nginx_url}",
                 "--duration", f"{RUN_S}s"], cwd=work, size=SIZE, env=ENV)  # fmt: skip
    try:
        term.wait_for(lambda s: "FINISHED" in s, RUN_S + 60, "the run to finish")
        yield term, runs
    finally:
        term.close()


def test_R_after_the_run_writes_the_report_into_its_folder(finished_run: tuple[Tmux, Path]) -> None:
    term, runs = finished_run
    (run_dir,) = runs.iterdir()
    assert not (run_dir / "report.md").exists()
    term.send("R")
    term.wait_for(lambda s: "report written" in s, 60, "the report notice")
    md = (run_dir / "report.md").read_text()
    assert "steady" in md and "Status codes" in md
    assert (run_dir / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    term.send("q")  # the run is over: q leaves at once with the run's status
    term.wait_for(lambda s: "EXIT=0" in s, 30, "loadwatch to exit")


def test_replay_keys_pause_speed_and_seek(finished_run: tuple[Tmux, Path]) -> None:
    _, runs = finished_run
    term = Tmux([LOADWATCH, "replay", "last", "--runs-dir", str(runs), "--speed", "1"], cwd=runs, size=SIZE,
                env=ENV)  # fmt: skip
    try:
        term.wait_for(lambda s: "REPLAY ▶ 1x" in s and (clock(s) or 0) >= 1, 30, "the replay playing")
        term.send("Space")
        paused = term.wait_for(lambda s: "REPLAY ⏸ 1x" in s, 10, "the replay paused")
        at = clock(paused)
        assert at is not None and at < RUN_S
        # Paused: the clock stays where it was while frames keep coming (a second of playback would move it).
        term.send("+")
        term.wait_for(lambda s: "REPLAY ⏸ 2x" in s, 10, "2x")
        term.send("+")
        screen = term.wait_for(lambda s: "REPLAY ⏸ 4x" in s, 10, "4x")
        assert clock(screen) == at, "paused: the position did not move"
        term.send("-")
        term.wait_for(lambda s: "REPLAY ⏸ 2x" in s, 10, "back to 2x")
        term.send("End")
        end = term.wait_for(lambda s: (clock(s) or 0) >= RUN_S, 10, "the end of the run")
        end_s = clock(end)
        assert end_s is not None
        term.send("Left")
        term.wait_for(lambda s: clock(s) == end_s - 10, 10, "10 s back")
        term.send("Right")
        term.wait_for(lambda s: clock(s) == end_s, 10, "10 s forward again")
        term.send("Home")
        term.wait_for(lambda s: clock(s) == 0, 10, "the start")
        term.send("Space")
        term.wait_for(
            lambda s: "REPLAY ▶ 2x" in s and (clock(s) or 0) >= 4, 20, "playing at 2x from the start"
        )
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 30, "the replay to quit")
    finally:
        term.close()
