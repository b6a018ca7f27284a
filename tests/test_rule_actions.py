"""Rule actions with real processes: the breach JSON on stdin, timeouts that kill, failures reported, bell and abort."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from runners.model.rule_events import Transition
from runners.model.rule_spec import Rule, RuleActions
from runners.rules.actions import MAX_OUTPUT_BYTES, ActionRunner, CommandResult
from runners.rules.capacity import LoadSnapshot, capacity_ceiling
from runners.rules.state import RuleEngine

PY = sys.executable


def rule(name: str = "pool", **actions: object) -> Rule:
    """`gauge.db_pool > 80 / 95`, firing at once, with the given actions."""
    return Rule(name, "gauge.db_pool", ">", warning=80.0, critical=95.0, actions=RuleActions(**actions))  # type: ignore[arg-type]


def fire(r: Rule, *values: float) -> list[Transition]:
    """The transitions a real engine produces for these values, one per second."""
    engine = RuleEngine([r], wall_clock=lambda: 1000.0)
    out: list[Transition] = []
    for i, v in enumerate(values):
        out.extend(engine.evaluate(float(i), {"gauge.db_pool": v}))
    return out


def test_command_gets_the_breach_as_json_on_stdin(tmp_path: Path) -> None:
    got = tmp_path / "breach.json"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.stdin.read()); print('hook ran')"
    r = rule(command=(PY, "-c", script, str(got)), command_timeout_s=20.0)
    seen: list[CommandResult] = []
    runner = ActionRunner([r], run_name="demo-1", on_result=seen.append)
    [tr] = fire(r, 97.0)
    request = runner.handle(tr)
    assert request.command_started and not request.bell and request.abort_reason is None
    assert runner.wait_idle(20.0)
    [result] = runner.drain_results()
    assert seen == [result]
    assert result.ok and result.returncode == 0 and result.output == "hook ran\n"
    assert result.message().startswith("rule pool command ") and "ok in" in result.message()
    data = json.loads(got.read_text())
    assert data["rule"] == "pool" and data["metric"] == "gauge.db_pool" and data["run"] == "demo-1"
    assert (data["kind"], data["level"], data["value"], data["threshold"]) == (
        "firing",
        "critical",
        97.0,
        95.0,
    )
    assert (data["op"], data["warning"], data["critical"], data["t"]) == (">", 80.0, 95.0, 1000.0)
    assert runner.drain_results() == []


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    grandchild = "import time; time.sleep(60)"
    script = (
        "import subprocess, sys, pathlib;"
        f"p = subprocess.Popen([sys.executable, '-c', {grandchild!r}]);"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(p.pid)); p.wait()"
    )
    r = rule(command=(PY, "-c", script), command_timeout_s=1.5)
    runner = ActionRunner([r])
    t0 = time.monotonic()
    runner.handle(fire(r, 99.0)[0])
    assert runner.wait_idle(15.0)
    elapsed = time.monotonic() - t0
    [result] = runner.drain_results()
    assert result.error == "timed out after 1.5 s; killed" and not result.ok
    assert 1.4 < elapsed < 6.0
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), "the command's own child outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def test_failures_are_reported_never_raised() -> None:
    loud = "import sys; sys.stdout.write('x' * 100000); sys.exit(3)"
    missing = rule("missing", command=("/nonexistent/hook", "a"))
    failing = rule("failing", command=(PY, "-c", loud))
    runner = ActionRunner([missing, failing])
    runner.handle(fire(missing, 99.0)[0])
    runner.handle(fire(failing, 99.0)[0])
    assert runner.wait_idle(20.0)
    results = {r.rule: r for r in runner.drain_results()}
    assert results["missing"].error is not None and results["missing"].error.startswith("cannot start: ")
    assert results["failing"].error == "exit status 3" and results["failing"].returncode == 3
    assert len(results["failing"].output) == MAX_OUTPUT_BYTES


def test_concurrent_commands_are_bounded() -> None:
    r = rule(command=(PY, "-c", "import time; time.sleep(1)"))
    runner = ActionRunner([r], max_concurrent=1)
    firing, resolved = fire(r, 99.0, 10.0)
    assert runner.handle(firing).command_started
    assert not runner.handle(resolved).command_started
    assert runner.wait_idle(15.0)
    results = runner.drain_results()
    assert [(x.kind, x.error) for x in results] == [
        ("resolved", "skipped: too many commands running"),
        ("firing", None),
    ]


def test_bell_and_abort_requests() -> None:
    r = rule(bell=True, abort="critical")
    runner = ActionRunner([r])
    pending_free = fire(r, 90.0, 99.0, 99.0, 10.0)
    kinds = [tr.kind for tr in pending_free]
    assert kinds == ["firing", "escalated", "resolved"]
    first, escalated, resolved = (runner.handle(tr) for tr in pending_free)
    assert first.bell and first.abort_reason is None
    assert escalated.bell and escalated.abort_reason == "rule pool"
    assert not resolved.bell and resolved.abort_reason is None
    again = runner.handle(escalated_transition(r))
    assert again.bell and again.abort_reason is None  # asked for once per run


def escalated_transition(r: Rule) -> Transition:
    return Transition(
        2000.0, r.name, "gauge.db_pool", "escalated", "critical", 99.0, 99.0, 95.0, "x", ("bell", "abort")
    )


def test_abort_at_warning_and_unknown_rules() -> None:
    r = rule(abort="warning")
    runner = ActionRunner([r])
    assert runner.handle(fire(r, 85.0)[0]).abort_reason == "rule pool"
    assert ActionRunner([]).handle(fire(r, 85.0)[0]).abort_reason is None


def test_capacity_ceiling_from_the_first_critical_firing() -> None:
    r = rule()
    transitions = fire(r, 85.0, 97.0)
    load = LoadSnapshot(vus=180.0, rps=1234.5, elapsed_s=155.0, planned_s=300.0, stage="stage 3/5")
    assert capacity_ceiling(transitions[:1], load) is None
    ceiling = capacity_ceiling(transitions, load)
    assert ceiling is not None
    assert (ceiling.rule, ceiling.path, ceiling.value, ceiling.threshold) == (
        "pool",
        "gauge.db_pool",
        97.0,
        95.0,
    )
    assert (
        ceiling.describe()
        == "capacity ceiling: 180 VUs, 1,234 req/s at 02:35, stage 3/5 (pool: gauge.db_pool 97 %)"
    )
    assert ceiling.as_dict()["vus"] == 180.0 and ceiling.as_dict()["stage"] == "stage 3/5"
