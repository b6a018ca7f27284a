"""Maps how k6 ended (exit code, who stopped it, what it printed) to a run state and a one-line reason."""

from __future__ import annotations

import re
from collections.abc import Sequence

from runners.k6.process import StopInfo
from runners.model.frames import RunState

# k6's exit codes (errext/exitcodes in k6 v1.1.0).
K6_EXIT_CODES = {
    0: "finished",
    97: "cloud test run failed",
    98: "cloud failed to get progress",
    99: "thresholds were crossed",
    100: "setup timed out",
    101: "teardown timed out",
    102: "generic timeout",
    103: "stopped through the REST API",
    104: "invalid configuration",
    105: "interrupted by a signal",
    106: "cannot start the REST API",
    107: "script error",
    108: "the script aborted the test",
    109: "k6 panicked",
    110: "the script marked the test as failed",
    255: "k6 could not run (bad flag, missing file, ...)",
}
_MSG = re.compile(r'msg="((?:[^"\\]|\\.)*)"')


def k6_message(lines: Sequence[str]) -> str:
    """The most telling error line k6 printed: its last `level=error` message, else its last line."""
    for line in reversed(lines):
        if "level=error" in line or "level=fatal" in line:
            m = _MSG.search(line)
            text = m.group(1) if m else line
            return text.replace("\\n", " ").replace('\\"', '"').strip()
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


def outcome(
    exit_code: int | None, stop: StopInfo | None, spawn_error: str | None, stderr_tail: Sequence[str]
) -> tuple[RunState, str]:
    """The final state of a run and why.

    Args:
        exit_code: k6's exit status (negative: killed by that signal), None if it never ran.
        stop: who asked k6 to stop, if anyone did.
        spawn_error: why k6 could not be started, if it could not.
        stderr_tail: the last lines k6 wrote to stderr.
    """
    if spawn_error is not None or exit_code is None:
        return RunState.FAILED, spawn_error or "k6 did not run"
    meaning = K6_EXIT_CODES.get(exit_code, f"exit code {exit_code}")
    if exit_code == 0:
        return RunState.FINISHED, "k6 finished"
    if exit_code == 99:
        return RunState.THRESHOLDS_FAILED, f"k6 exited 99: {meaning}"
    if stop is not None and (exit_code in (103, 105) or exit_code < 0):
        how = "hard stop" if stop.hard else "graceful stop"
        return RunState.ABORTED, f"aborted by {stop.reason} ({how}); k6 exited {exit_code}"
    if exit_code == 105:
        return RunState.ABORTED, "k6 was interrupted by a signal loadwatch did not send"
    if exit_code == 108:
        return RunState.ABORTED, f"k6 exited 108: {meaning}: {k6_message(stderr_tail)}"
    if exit_code < 0:
        return RunState.FAILED, f"k6 was killed by signal {-exit_code}"
    message = k6_message(stderr_tail)
    return RunState.FAILED, f"k6 exited {exit_code} ({meaning})" + (f": {message}" if message else "")
