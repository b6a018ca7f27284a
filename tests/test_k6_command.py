"""k6's command line, environment, secret redaction, progress parsing and exit-code mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.engine.outcome import outcome
from runners.k6.command import (
    K6ArgumentError,
    build_argv,
    check_user_args,
    k6_env,
    redact_args,
)
from runners.k6.process import StopInfo
from runners.k6.progress import parse_duration, parse_progress
from runners.model.frames import RunState
from runners.model.redact import Redactor, secret_values


def test_argv_is_a_list_with_loadwatch_flags_first_and_script_last() -> None:
    argv = build_argv("k6", Path("/s/t.js"), ["--vus", "3"], 16565, "/dev/fd/9", Path("/r/k6-summary.json"))
    assert argv[:4] == ["k6", "run", "--address", "127.0.0.1:16565"]
    assert "json=/dev/fd/9" in argv and argv[-3:] == ["--vus", "3", "/s/t.js"]


@pytest.mark.parametrize("flag", ["--address", "-a", "--address=0.0.0.0:1"])
def test_reserved_flags_are_refused(flag: str) -> None:
    with pytest.raises(K6ArgumentError, match="REST API"):
        check_user_args([flag, "x"])


def test_env_turns_usage_reports_off_and_binds_dashboard_locally() -> None:
    env = k6_env({"PATH": "/bin", "K6_ADDRESS": "0.0.0.0:1"})
    assert env["K6_NO_USAGE_REPORT"] == "true"
    assert env["K6_WEB_DASHBOARD_HOST"] == "127.0.0.1"
    assert "K6_ADDRESS" not in env


def test_secrets_are_redacted_from_args_and_output() -> None:
    args = ["-e", "API_TOKEN=s3cr3t-value", "--env=USER=bob", "-ePASS=hunter22", "--vus", "2"]
    assert redact_args(args) == ["-e", "API_TOKEN=***", "--env=USER=***", "-ePASS=***", "--vus", "2"]
    secrets = secret_values(args, {"DB_PASSWORD": "pw-from-env", "HOME": "/root"})
    assert set(secrets) == {"s3cr3t-value", "hunter22", "pw-from-env"}  # "bob": too short to mask
    assert Redactor(secrets).text('msg="token is s3cr3t-value"') == 'msg="token is ***"'


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("default   [  20% ] 2 VUs  02.0s/10s", (2.0, 10.0)),
        ("default   [  10% ] 03/10 VUs  0m03.0s/0m30.0s", (3.0, 30.0)),
        ("default ✓ [ 100% ] 1 VUs  00m00.0s/10m0s  2/2 shared iters", (0.0, 600.0)),
        ("running (02.0s), 2/2 VUs, 18 complete and 0 interrupted iterations", None),
        ('time="x" level=info msg="a 1s/2s"', None),
    ],
)
def test_progress_lines(line: str, expected: tuple[float, float] | None) -> None:
    assert parse_progress(line) == expected


def test_durations() -> None:
    assert parse_duration("1h02m03.5s") == 3723.5
    assert parse_duration("250ms") == 0.25
    assert parse_duration("abc") is None


@pytest.mark.parametrize(
    ("code", "stop", "state"),
    [
        (0, None, RunState.FINISHED),
        (99, None, RunState.THRESHOLDS_FAILED),
        (103, StopInfo("user", False, 0.0), RunState.ABORTED),
        (105, StopInfo("quit", True, 0.0), RunState.ABORTED),
        (-9, StopInfo("quit", True, 0.0), RunState.ABORTED),
        (-9, None, RunState.FAILED),
        (107, None, RunState.FAILED),
        (255, None, RunState.FAILED),
    ],
)
def test_outcome(code: int, stop: StopInfo | None, state: RunState) -> None:
    got, detail = outcome(
        code, stop, None, ['time="t" level=error msg="GoError: Line 8:33 Unexpected token"']
    )
    assert got == state
    if code == 107:
        assert "Unexpected token" in detail


def test_outcome_when_k6_cannot_start() -> None:
    assert outcome(None, None, "could not start k6: [Errno 2]", []) == (
        RunState.FAILED,
        "could not start k6: [Errno 2]",
    )
