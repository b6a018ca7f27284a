"""Configuration from the command line's view: bad input names file, key and problem, and starts nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runners.config.loader import ConfigError, RawConfig, parse_keymap
from tests.tui_support import ScriptedRunControl, build_frame
from tui.app import LoadwatchApp
from tui.confirm_screen import ConfirmScreen

CLI = [sys.executable, "-m", "runners.cli"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[[rules]]\nname = "x"\nmetric = "k6.p95_ms"\nop = ">"\nwarning = 600\ncritical = 500\n',
            "rules[0].critical",
        ),
        ("[prometheus]\nurl = 'http://127.0.0.1:1'\npassword = 'hunter22'\n", "prometheus.password"),
        ("[docker]\nnmes = ['api']\n", "docker.nmes"),
        ("[keys]\nabort = 'x'\n", "keys.abort"),
        ("[[rules]\nname=", "(syntax)"),
    ],
    ids=["rule-levels", "secret-in-config", "docker-typo", "unknown-key-id", "toml-syntax"],
)
@pytest.mark.parametrize("command", ["run", "demo"])
def test_invalid_config_is_an_error_naming_file_and_key_and_nothing_starts(
    tmp_path: Path, toml: str, message: str, command: str
) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text(toml)
    script = tmp_path / "s.js"
    script.write_text("export default function () {}\n")
    args = [*CLI, command, *([str(script)] if command == "run" else []), "--config", str(config),
            "--runs-dir", str(tmp_path / "runs")]  # fmt: skip
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2, out.stderr
    assert str(config) in out.stderr and message in out.stderr
    assert "hunter22" not in out.stderr
    assert not (tmp_path / "runs").exists(), "nothing was started"


def test_rules_command_lists_defaults_and_config(tmp_path: Path) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text(
        'presets = ["postgres"]\n[prometheus]\nurl = "http://127.0.0.1:9"\n'
        '[[gauges]]\nname = "queue"\nquery = "q"\nunit = "count"\ncritical = 50\nfor = "5s"\n'
        '[[rules]]\nname = "checkout"\nmetric = "endpoint.POST /checkout.p95_ms"\nop = ">"\nwarning = 400\n'
    )
    out = subprocess.run(
        [*CLI, "rules", "--config", str(config)], capture_output=True, text=True, timeout=60, check=True
    )
    assert "api-latency-p95" in out.stdout and "checkout" in out.stdout
    lines = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    assert "gauge.db_pool.*" in lines["db-connections"] and "gauge db_pool" in lines["db-connections"]
    assert "gauge.queue" in lines["gauge-queue"] and ">= 50" in lines["gauge-queue"]
    assert "5s" in lines["gauge-queue"]
    assert (
        "Waiting for data until a matching endpoint or container appears: search-latency-p95, checkout"
        in out.stdout
    )


def test_a_rule_on_a_metric_no_source_gives_is_an_error_with_the_nearest(tmp_path: Path) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text(
        'presets = ["postgres"]\n[prometheus]\nurl = "http://127.0.0.1:9"\n'
        '[[rules]]\nname = "pool"\nmetric = "gauge.db_pol"\nwarning = 50\n'
    )
    out = subprocess.run(
        [*CLI, "rules", "--config", str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 2
    assert "rules[0].metric" in out.stderr and "nearest: gauge.db_pool" in out.stderr, out.stderr
    config.write_text('[[rules]]\nname = "p"\nmetric = "k6.p59_ms"\nwarning = 50\n')
    out = subprocess.run(
        [*CLI, "rules", "--config", str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 2 and "nearest: k6.p99_ms, k6.p95_ms" in out.stderr, out.stderr


def test_keymap_validation() -> None:
    ids = LoadwatchApp.binding_ids()
    assert {"abort-run", "snapshot", "mark", "instant-mark", "pause-display", "help", "quit"} <= ids
    assert parse_keymap(RawConfig(None, {"keys": {"abort-run": "x"}}), ids) == {"abort-run": "x"}
    with pytest.raises(ConfigError, match="unknown key binding"):
        parse_keymap(RawConfig(None, {"keys": {"nope": "x"}}), ids)


@pytest.mark.anyio
async def test_a_remapped_key_works() -> None:
    control = ScriptedRunControl([])
    app = LoadwatchApp(control)
    app.use_keymap({"abort-run": "x"})
    async with app.run_test(size=(100, 30)) as pilot:
        control.emit(build_frame(10))
        await pilot.pause()
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
