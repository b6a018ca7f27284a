"""k6's end-of-test text picked out of its stdout, the exit status each way a run ends gives, and k6's
thresholds as its Metric lines list them."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.engine.exit_status import exit_status_for
from runners.k6.end_text import EndOfTestText
from runners.k6.metric_info import metric_info_of
from runners.k6.output_buffer import OutputBuffer
from runners.model.frames import RunState
from runners.model.redact import Redactor

STDOUT = (Path(__file__).parent / "fixtures" / "k6_stdout_shop.txt").read_text().splitlines()
"""k6 1.1.0's whole stdout for a 4 s two-scenario run, piped: banner, progress blocks, summary, last block."""


def _text(lines: list[str], **kw: int) -> list[str]:
    end = EndOfTestText(**kw)
    for line in lines:
        end.add(line)
    return end.lines()


def test_the_summary_is_kept_whole_without_banner_or_progress() -> None:
    got = _text(STDOUT)
    first, last = (
        STDOUT.index("  █ THRESHOLDS "),
        max(i for i, x in enumerate(STDOUT) if x.startswith("    data_sent")),
    )
    assert got == STDOUT[first : last + 1]


def test_a_run_shorter_than_a_progress_period_keeps_its_summary() -> None:
    banner = STDOUT[: STDOUT.index("running (01.0s), 2/3 VUs, 92 complete and 0 interrupted iterations")]
    summary = STDOUT[STDOUT.index("  █ THRESHOLDS ") : STDOUT.index("running (04.1s), 0/3 VUs, 395 complete and 0 interrupted iterations")]  # fmt: skip
    final = STDOUT[-3:]
    assert _text([*banner, *summary, *final]) == _text(STDOUT)


def test_quiet_k6_prints_no_banner_and_everything_is_kept() -> None:
    assert _text(["", "HANDLE-SUMMARY-START", "x", "", "END", ""]) == ["HANDLE-SUMMARY-START", "x", "", "END"]


def test_a_failure_after_the_banner_gives_no_text() -> None:
    assert _text(STDOUT[: STDOUT.index("     scenarios: (100.00%) 2 scenarios, 3 max VUs, 34s max duration (incl. graceful stop):")]) == []  # fmt: skip


def test_a_huge_handle_summary_is_bounded_and_says_so() -> None:
    got = _text([f"line {i}" for i in range(1000)], max_chars=70)
    assert got == [f"line {i}" for i in range(10)] + ["(990 more lines of k6's output not kept)"]


def test_the_output_buffer_keeps_it_masked() -> None:
    buf = OutputBuffer(Redactor(["hunter2-secret"]))
    for line in [
        "",
        "summary token=hunter2-secret",
        "running (01.0s), 1/1 VUs, 1 complete and 0 interrupted iterations",
    ]:
        buf.add("stdout", line)
    assert buf.end_text.lines() == ["summary token=***"]


@pytest.mark.parametrize(
    ("state", "k6_code", "expected"),
    [
        (RunState.FINISHED, 0, 0),
        (RunState.THRESHOLDS_FAILED, 99, 99),
        (RunState.ABORTED, 108, 108),  # exec.test.abort()
        (RunState.ABORTED, 105, 130),  # ctrl+c / SIGTERM: k6 says 105
        (RunState.ABORTED, 103, 130),  # stopped through k6's REST API
        (RunState.ABORTED, -9, 130),  # a hard stop
        (RunState.FAILED, 107, 107),
        (RunState.FAILED, 104, 104),
        (RunState.FAILED, 110, 110),  # exec.test.fail()
        (RunState.FAILED, 255, 255),
        (RunState.FAILED, -11, 1),  # killed
        (RunState.FAILED, None, 1),  # never started
        (RunState.RUNNING, None, 130),
    ],
)
def test_exit_status_passes_k6s_own_failure_through(
    state: RunState, k6_code: int | None, expected: int
) -> None:
    assert exit_status_for(state, k6_code) == expected


def test_an_abort_on_fail_threshold_is_known_by_its_expression() -> None:
    """k6 1.1.0's Metric line, as written for `{threshold: 'rate<=0.9', abortOnFail: true, ...}`."""
    line = (
        b'{"type":"Metric","data":{"name":"bad","type":"rate","contains":"default","thresholds":["rate<0.5",'
        b'{"threshold":"rate<=0.9","abortOnFail":true,"delayAbortEval":"1s"}],"submetrics":null},"metric":"bad"}'
    )
    info = metric_info_of(line)
    assert info is not None and info.thresholds == ("rate<0.5", "rate<=0.9")
