"""k6's printed lines: progress goes to the header, floods are cut, secrets are masked."""

from __future__ import annotations

from runners.k6.output_buffer import OutputBuffer
from runners.model.redact import Redactor


def test_progress_lines_feed_the_clock_not_the_pane() -> None:
    buf = OutputBuffer()
    for text in ["", "running (0m03.0s), 03/10 VUs, 5 complete and 0 interrupted iterations",
                 "default   [  10% ] 03/10 VUs  0m03.0s/0m30.0s", "", "", "  █ TOTAL RESULTS"]:  # fmt: skip
        buf.add("stdout", text)
    assert (buf.elapsed_s, buf.planned_s) == (3.0, 30.0)
    assert [x.text for x in buf.take()] == ["", "  █ TOTAL RESULTS"]


def test_flood_is_bounded_and_counted() -> None:
    buf = OutputBuffer(per_tick=10)
    for i in range(1000):
        buf.add("stderr", f'level=warning msg="Request Failed" n={i}')
    lines = buf.take()
    assert len(lines) == 11 and buf.dropped == 990
    assert lines[-1].stream == "loadwatch" and "990 output lines not shown" in lines[-1].text
    assert buf.take() == ()


def test_secrets_never_reach_the_lines() -> None:
    buf = OutputBuffer(Redactor(["hunter22"]))
    buf.add("stderr", 'level=info msg="logging in with hunter22"')
    (line,) = buf.take()
    assert "hunter22" not in line.text and "***" in line.text
