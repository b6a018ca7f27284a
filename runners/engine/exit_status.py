"""The process exit status for how a run ended, shared by the TUI and headless mode."""

from __future__ import annotations

from runners.model.frames import RunState

EXIT_OK = 0
"""k6 ended by itself and every threshold passed."""
EXIT_FAILED = 1
"""k6 could not start, crashed or exited with an error code."""
EXIT_USAGE = 2
"""Bad command line or configuration: nothing was started."""
EXIT_CRITICAL_RULE = 3
"""k6 finished, but a critical alert rule fired during the run (headless mode, for CI)."""
EXIT_THRESHOLDS_FAILED = 99
"""k6's own exit code when a threshold failed, passed through so CI scripts read it the same way."""
EXIT_ABORTED = 130
"""Stopped by the user, a signal or a rule (128 + SIGINT, as a shell reports ctrl+c)."""

_BY_STATE: dict[RunState, int] = {
    RunState.FINISHED: EXIT_OK,
    RunState.THRESHOLDS_FAILED: EXIT_THRESHOLDS_FAILED,
    RunState.ABORTED: EXIT_ABORTED,
    RunState.FAILED: EXIT_FAILED,
}


def exit_status_for(state: RunState) -> int:
    """0 for FINISHED, 99 for THRESHOLDS_FAILED, 1 for FAILED, 130 for ABORTED or a run still active."""
    return _BY_STATE.get(state, EXIT_ABORTED)
