"""Case 8: unknown sections and keys anywhere are errors naming the nearest valid name, in every command alike;
a rule's command is recorded by its message; a replay of a run cut short shows no `nan`."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests import k6_scripts
from tests.fault_support import ENV, LOADWATCH, headless, loadwatch_bin, only_run_dir
from tests.tmux_driver import Tmux

COMMANDS = (["rules"], ["run", "x.js", "--headless"], ["run", "x.js"], ["demo", "--headless"], ["demo"])


def _refused_everywhere(tmp_path: Path, body: str, key: str, hint: str) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text(body)
    for command in COMMANDS:
        runs = [] if command[0] == "rules" else ["--runs-dir", str(tmp_path / "runs")]
        out = subprocess.run([*LOADWATCH, *command, "--config", str(config), *runs], capture_output=True,
                             text=True, timeout=60, env=ENV, cwd=tmp_path, check=False)  # fmt: skip
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert f"{config}: {key}: " in out.stderr and hint in out.stderr, (command, out.stderr)
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "runs").exists(), "nothing was started"


@pytest.mark.parametrize(
    ("body", "key", "hint"),
    [
        ('[promethues]\nurl = "http://127.0.0.1:9090"\n', "promethues", "did you mean 'prometheus'?"),
        ('[keys]\nabort-rn = "ctrl+a"\n', "keys.abort-rn", "did you mean 'abort-run'?"),
        (
            '[[rules]]\nname = "x"\nmetric = "k6.rps"\nwarnng = 3\n',
            "rules[0].warnng",
            "did you mean 'warning'?",
        ),
        ('[docker]\nnmes = ["a"]\n', "docker.nmes", "did you mean 'names'?"),
        ("[rules_settings]\ndefault = false\n", "rules_settings.default", "did you mean 'defaults'?"),
    ],
    ids=["section", "keys", "rule-key", "docker-key", "settings-key"],
)
def test_an_unknown_name_is_refused_by_every_command_with_the_nearest_name(
    tmp_path: Path, body: str, key: str, hint: str
) -> None:
    _refused_everywhere(tmp_path, body, key, hint)


@pytest.mark.integration
def test_rule_command_message_is_recorded_and_replay_of_a_cut_run_shows_no_nan(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text('[[rules]]\nname = "busy"\nmetric = "k6.rps"\nwarning = 0.5\nfor = "1s"\n'
                      'command = ["/bin/echo", "rule ran"]\n')  # fmt: skip
    script = k6_scripts.write(tmp_path, "steady.js", k6_scripts.STEADY)
    proc = headless(
        tmp_path, script, ["-e", f"BASE={nginx_url}", "--duration", "6s"], "--config", str(config)
    )
    out, _ = proc.communicate(timeout=90)
    run_dir = only_run_dir(tmp_path / "runs")
    reader = RecordReader(run_dir)
    commands = reader.events(EventKind.RULE_COMMAND)
    reader.close()
    assert commands, out
    assert (
        commands[0]["message"].startswith("rule busy command /bin/echo") and "ok in" in commands[0]["message"]
    )

    # Replay mid-run (totals from the recorded histograms alone, as for a run cut short): numbers, never nan.
    (run_dir / "summary.json").unlink()
    term = Tmux([loadwatch_bin(), "replay", str(run_dir)], cwd=tmp_path, size=(100, 30),
                env={"K6_NO_USAGE_REPORT": "true"})  # fmt: skip
    try:
        screens = [term.wait_for(lambda s: re.search(r"run p95 +[0-9.]+ ms", s) is not None, 30, "a run p95")]
        for _ in range(10):
            time.sleep(0.3)
            screens.append(term.screen())
    finally:
        term.close()
    assert not [s for s in screens if "nan" in s], screens[-1]
