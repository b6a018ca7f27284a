"""The process exit status for how a run ended, shared by the TUI and headless mode."""

from __future__ import annotations

from runners.model.frames import RunState

EXIT_OK = 0
"""k6 ended by itself and every threshold passed."""
EXIT_FAILED = 1
"""k6 could not be started or was killed; loadwatch itself failed."""
EXIT_USAGE = 2
"""Bad command line or configuration: nothing was started."""
EXIT_CRITICAL_RULE = 3
"""k6 finished, but a critical alert rule fired during the run (headless mode, for CI)."""
EXIT_THRESHOLDS_FAILED = 99
"""k6's own exit code when a threshold failed, passed through so CI scripts read it the same way."""
EXIT_ABORTED = 130
"""Stopped by the user, a signal or a rule (128 + SIGINT, as a shell reports ctrl+c)."""
STOPPED_CODES = (103, 105)
"""k6's codes for a run stopped from outside (REST API, a signal): reported as EXIT_ABORTED."""

_BY_STATE: dict[RunState, int] = {
    RunState.FINISHED: EXIT_OK,
    RunState.THRESHOLDS_FAILED: EXIT_THRESHOLDS_FAILED,
    RunState.ABORTED: EXIT_ABORTED,
    RunState.FAILED: EXIT_FAILED,
}


def exit_status_for(state: RunState, k6_exit_code: int | None = None) -> int:
    """The exit status for a run that ended in `state`, with k6's own code passed through where k6 failed.

    Args:
        state: how the run ended (a state still active counts as aborted).
        k6_exit_code: k6's exit status (negative: killed by that signal), None when unknown or never run.

    Returns:
        0 finished; 99 thresholds failed; 130 stopped (ctrl+c, a signal, a rule, k6's 103/105); k6's own code
        when k6 ended the run itself (108 `exec.test.abort()`, 107 script error, 104 invalid options, 110
        `exec.test.fail()`, 255 bad flag...); 1 when k6 did not run or was killed.
    """
    code = _BY_STATE.get(state, EXIT_ABORTED)
    if k6_exit_code is None or k6_exit_code <= 0 or state not in (RunState.ABORTED, RunState.FAILED):
        return code
    if state is RunState.ABORTED and k6_exit_code in STOPPED_CODES:
        return EXIT_ABORTED
    return k6_exit_code
