"""Headless end of run with the real k6: k6's own exit code passed through, and its end-of-test summary (or
handleSummary's stdout) printed after loadwatch's closing lines, masked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests import k6_summary_scripts
from tests.summary_compare import run_headless
from tests.tmux_driver import Tmux

pytestmark = pytest.mark.integration
SECRET = "s3cr3t-v4lue-xyz"  # noqa: S105 - a made-up value the test must see masked


def _run(tmp_path: Path, body: str, *k6_args: str) -> tuple[int, str, dict[str, object]]:
    script = tmp_path / "s.js"
    script.write_text(body)
    out = run_headless(tmp_path, script, k6_args)
    summary = json.loads((tmp_path / "lw.json").read_text())
    return out.returncode, out.stdout, summary


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (k6_summary_scripts.ABORT, 108, "aborted"),
        (k6_summary_scripts.FAILING_THRESHOLD, 99, "thresholds_failed"),
        (k6_summary_scripts.SYNTAX_ERROR, 107, "failed"),
        (k6_summary_scripts.INVALID_OPTIONS, 104, "failed"),
    ],
    ids=["abort-108", "threshold-99", "script-error-107", "invalid-options-104"],
)
def test_k6s_own_exit_code_is_passed_through(tmp_path: Path, k6_bin: str, nginx_url: str, body: str,
                                             code: int, status: str) -> None:  # fmt: skip
    rc, stdout, summary = _run(tmp_path, body, "-e", f"BASE={nginx_url}")
    assert rc == code, stdout
    assert summary["k6_exit_code"] == code and summary["status"] == status
    assert f"k6 exited {code}" in str(summary["status_detail"])


def test_k6s_summary_follows_loadwatchs_closing_lines(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    rc, stdout, _ = _run(tmp_path, k6_summary_scripts.FAILING_THRESHOLD, "-e", f"BASE={nginx_url}")
    assert rc == 99
    closing = stdout.index("run s: thresholds_failed")
    thresholds = stdout.index("█ THRESHOLDS")
    assert closing < thresholds < stdout.index("✗ 'max<0' max=") < stdout.index("█ TOTAL RESULTS")
    assert "http_reqs" in stdout[thresholds:] and "iterations" in stdout[thresholds:]
    assert "running (" not in stdout[thresholds:], "k6's progress blocks are not its summary"
    assert "execution: local" not in stdout, "nor is its banner"


def test_handle_summary_stdout_is_printed_whole_with_secrets_masked(tmp_path: Path, k6_bin: str,
                                                                     nginx_url: str) -> None:  # fmt: skip
    rc, stdout, _ = _run(tmp_path, k6_summary_scripts.HANDLE_SUMMARY, "-e", f"BASE={nginx_url}",
                         "-e", f"API_TOKEN={SECRET}")  # fmt: skip
    assert rc == 0, stdout
    tail = stdout[stdout.index("run s: finished") :]
    lines = [line for line in tail.splitlines() if line.strip()]
    start = lines.index("HANDLE-SUMMARY-START requests=4")
    assert lines[start : start + 3] == ["HANDLE-SUMMARY-START requests=4", "second line token=***",
                                        "HANDLE-SUMMARY-END"]  # fmt: skip
    assert SECRET not in stdout
    assert "TOTAL RESULTS" not in stdout, "handleSummary replaces k6's own summary"


def test_the_screen_also_ends_with_k6s_own_code(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = tmp_path / "s.js"
    script.write_text(k6_summary_scripts.ABORT)
    argv = [str(Path(sys.executable).parent / "loadwatch"), "run", str(script), "--runs-dir", str(tmp_path / "runs"),
            "--", "-e", f"BASE={nginx_url}"]  # fmt: skip
    term = Tmux(argv, cwd=tmp_path, size=(100, 30), env={"K6_NO_USAGE_REPORT": "true"})
    try:
        term.wait_for(lambda s: "ABORTED" in s.upper() and "k6 exited 108" in s, 60, "the aborted run")
        term.send("q")
        screen = term.wait_for(lambda s: "EXIT=" in s, 30, "loadwatch to exit")
    finally:
        term.close()
    assert "EXIT=108" in screen, screen
