"""Carries out a transition's actions: a bell request, a command (argument list, breach JSON on stdin), an abort request.

Commands run in daemon threads, never through a shell, in their own session so a timeout kills the whole
group; their output is captured to a temporary file and bounded. Failures come back as `CommandResult`s,
never as exceptions into the engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from runners.model.rule_events import Transition
from runners.model.rule_spec import Rule

MAX_CONCURRENT = 4
MAX_OUTPUT_BYTES = 4096
MAX_RESULTS = 200
KILL_WAIT_S = 2.0


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """What the caller must do for one transition (the command, if any, is already started)."""

    bell: bool = False
    abort_reason: str | None = (
        None  # pass to request_stop(reason=...): the record says "aborted by rule NAME"
    )
    command_started: bool = False


@dataclass(frozen=True, slots=True)
class CommandResult:
    """How a rule's command ended."""

    rule: str
    path: str
    kind: str
    argv: tuple[str, ...]
    returncode: int | None
    duration_s: float
    output: str  # stdout and stderr together, at most MAX_OUTPUT_BYTES
    error: str | None  # None when it ran and exited 0

    @property
    def ok(self) -> bool:
        """True when the command exited 0 within its timeout."""
        return self.error is None

    def message(self) -> str:
        """One line for the record and the output pane."""
        what = f"rule {self.rule} command {self.argv[0]} ({self.kind} {self.path})"
        return f"{what}: ok in {self.duration_s:.1f} s" if self.ok else f"{what}: {self.error}"


class ActionRunner:
    """Turns transitions into action requests and runs commands, at most `max_concurrent` at a time."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        run_name: str = "",
        max_concurrent: int = MAX_CONCURRENT,
        on_result: Callable[[CommandResult], None] | None = None,
    ) -> None:
        """Create the runner.

        Args:
            rules: The active rules (their actions are looked up by name).
            run_name: Put into the JSON a command gets.
            max_concurrent: Commands running at once; more are skipped and reported.
            on_result: Called from the command's thread when it ends (must not block); results are also
                kept for `drain_results`.
        """
        self._rules = {r.name: r for r in rules}
        self._run_name = run_name
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._on_result = on_result
        self._results: deque[CommandResult] = deque(maxlen=MAX_RESULTS)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._aborted = False

    def handle(self, transition: Transition) -> ActionRequest:
        """Act on one transition.

        Args:
            transition: From `RuleEngine.evaluate`.

        Returns:
            The bell and abort requests for the caller; the abort reason only the first time.
        """
        rule = self._rules.get(transition.rule)
        due = transition.actions
        if rule is None or not due:
            return ActionRequest()
        abort_reason = None
        if "abort" in due and not self._aborted:
            self._aborted = True
            abort_reason = f"rule {rule.name}"
        started = False
        if "command" in due and rule.actions.command:
            started = self._start(rule, transition)
        return ActionRequest(bell="bell" in due, abort_reason=abort_reason, command_started=started)

    def _start(self, rule: Rule, tr: Transition) -> bool:
        argv = rule.actions.command or ()
        if not self._slots.acquire(blocking=False):
            self._keep(
                CommandResult(
                    rule.name, tr.path, tr.kind, argv, None, 0.0, "", "skipped: too many commands running"
                )
            )
            return False
        payload = {**tr.as_dict(), "run": self._run_name, "pattern": rule.metric, "op": rule.op}
        payload |= {"warning": rule.warning, "critical": rule.critical, "clear": rule.clear_level}
        data = (json.dumps(payload) + "\n").encode()
        thread = threading.Thread(
            target=self._run,
            args=(rule, tr, argv, data),
            name=f"rule-command-{rule.name}",
            daemon=True,
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        try:
            thread.start()
        except RuntimeError as exc:  # no thread left: report it like any other failure
            self._slots.release()
            self._keep(
                CommandResult(rule.name, tr.path, tr.kind, argv, None, 0.0, "", f"cannot start: {exc}")
            )
            return False
        return True

    def _run(self, rule: Rule, tr: Transition, argv: tuple[str, ...], data: bytes) -> None:
        t0 = time.monotonic()
        timeout = rule.actions.command_timeout_s
        code: int | None = None
        error: str | None = None
        output = ""
        try:
            with tempfile.TemporaryFile() as out:
                try:
                    proc = subprocess.Popen(
                        argv,
                        stdin=subprocess.PIPE,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                except OSError as exc:
                    error = f"cannot start: {exc.strerror or exc}"
                else:
                    try:
                        proc.communicate(data, timeout=timeout)
                        code = proc.returncode
                        error = None if code == 0 else f"exit status {code}"
                    except subprocess.TimeoutExpired:
                        _kill_group(proc)
                        code = proc.returncode
                        error = f"timed out after {timeout:g} s; killed"
                out.seek(0)
                output = out.read(MAX_OUTPUT_BYTES).decode(errors="replace")
        except Exception as exc:  # reported, never raised into the engine
            error = f"failed: {exc}"
        finally:
            self._slots.release()
        self._keep(
            CommandResult(rule.name, tr.path, tr.kind, argv, code, time.monotonic() - t0, output, error)
        )

    def _keep(self, result: CommandResult) -> None:
        with self._lock:
            self._results.append(result)
        if self._on_result is not None:
            with contextlib.suppress(Exception):  # a faulty listener must not kill the command thread
                self._on_result(result)

    def drain_results(self) -> list[CommandResult]:
        """Command results since the last call, oldest first."""
        with self._lock:
            results = list(self._results)
            self._results.clear()
        return results

    def running(self) -> int:
        """Commands still running."""
        with self._lock:
            return sum(t.is_alive() for t in self._threads)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait for running commands to end (for shutdown and tests).

        Args:
            timeout_s: Give up after this many seconds.

        Returns:
            True when none is running any more.
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return self.running() == 0


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(KILL_WAIT_S)
