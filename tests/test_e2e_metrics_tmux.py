"""End to end, as a user: a real k6 run in an 80x24 tmux terminal, `7` opens the Metrics tab, checks by
name and the script's custom metrics are read off the screen, page keys scroll to them."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SCRIPT = Path(__file__).parent / "fixtures" / "shop.js"


def row_of(screen: str, name: str) -> list[str]:
    """The cells of the screen line that starts with a metric's name."""
    return next((cells for line in screen.splitlines() if (cells := line.split())[:1] == [name]), [])


def test_metrics_key_shows_checks_by_name_and_custom_metrics(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    loadwatch = str(Path(sys.executable).parent / "loadwatch")
    argv = [loadwatch, "run", "--runs-dir", str(tmp_path / "runs"), str(SCRIPT), "--",
            "-e", f"BASE={nginx_url}", "-e", "DUR=40s"]  # fmt: skip
    term = Tmux(
        argv, cwd=tmp_path, size=(80, 24), env={"K6_NO_USAGE_REPORT": "true", "TERM": "xterm-256color"}
    )
    try:
        term.wait_for(lambda s: re.search(r"run req\s+[1-9]", s) is not None, 40, "live numbers")
        term.send("7")
        screen = term.wait_for(lambda s: "✓ status 200" in s and "✓ paid" in s, 10, "checks by name")
        assert "7 Met" in screen and "k6 summary, live" in screen
        assert re.search(r"[✓✗] fast\s+\d+\.\d\d %", screen), screen  # slow items fail it now and then
        assert "✗ rate<0.01" in screen  # the 404s of /missing fail http_req_failed's threshold, live
        for _ in range(10):  # page down (the tab has the keyboard) to the CUSTOM section
            if "items_seen" in screen:
                break
            term.send("PageDown")
            time.sleep(0.5)  # the next frame draws the page
            screen = term.screen()
        items, gauge = row_of(screen, "items_seen"), row_of(screen, "queue_depth")
        assert items and int(items[1].replace(",", "")) > 0, screen  # a Counter: its count
        assert gauge and 0 <= int(gauge[1]) <= 9, screen  # a Gauge: its value (__ITER % 10)
        assert "█ CUSTOM" in screen or "item_time" in screen
    finally:
        term.close()
