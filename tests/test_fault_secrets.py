"""Case 4: secrets planted in `-e` values, in the environment and in URL userinfo never reach the screen, the
record, k6's summary copy, a snapshot or a report; a password in a config URL is refused; files are 0600."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from tests import k6_scripts
from tests.fault_support import ENV, LOADWATCH, files_holding, loadwatch_bin, only_run_dir
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PASSWORD = "hunter2pw"  # noqa: S105 - planted, to be found nowhere
ENV_SECRET = "abc123zz"  # noqa: S105 - planted
USERINFO_PW = "s3cr3tpw"
UPSTREAM_PW = "upw9876q"
SECRETS = [PASSWORD, ENV_SECRET, USERINFO_PW, UPSTREAM_PW]

SCRIPT = """
import http from 'k6/http';
import { check, sleep } from 'k6';
export default function () {
  const r = http.get(`${__ENV.BASE}/login/${__ENV.PASSWORD}/k/${__ENV.MY_SECRET_KEY}`,
                     { tags: { pw: __ENV.PASSWORD } });
  check(r, { ['status ok ' + __ENV.PASSWORD]: (x) => x.status < 500 });
  console.log('using ' + __ENV.PASSWORD + ' and ' + __ENV.MY_SECRET_KEY + ' via ' + __ENV.UPSTREAM
              + ' and http://admin:s3cr3tpw@127.0.0.1/');
  sleep(0.2);
}
"""


def test_no_planted_secret_anywhere_in_the_run_folder_or_on_screen(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "secret.js", SCRIPT)
    xdg = tmp_path / "xdg"  # a fresh data dir: loadwatch creates it
    argv = [loadwatch_bin(), "run", str(script), "--", "-e", f"BASE={nginx_url}", "-e", f"PASSWORD={PASSWORD}",
            "-e", f"UPSTREAM=http://user:{UPSTREAM_PW}@127.0.0.1:9/", "--duration", "6s"]  # fmt: skip
    term = Tmux(argv, cwd=tmp_path, size=(160, 48),
                env={"K6_NO_USAGE_REPORT": "true", "MY_SECRET_KEY": ENV_SECRET, "XDG_DATA_HOME": str(xdg)})  # fmt: skip
    screens: list[str] = []
    try:
        screens.append(term.wait_for(lambda s: "using ***" in s, 40, "the script's log line, masked"))
        term.send("s")
        screens.append(term.wait_for(lambda s: "snapshot saved" in s, 15, "the snapshot"))
        screens.append(term.wait_for(lambda s: "FINISHED" in s or "finished" in s, 40, "the end of the run"))
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 30, "loadwatch to exit")
    finally:
        term.close()
    for screen in screens:
        assert not [s for s in SECRETS if s in screen], screen
    runs = xdg / "loadwatch" / "runs"
    run_dir = only_run_dir(runs)
    out = subprocess.run([*LOADWATCH, "report", str(run_dir), "--no-baseline"], capture_output=True, text=True,
                         timeout=120, env=ENV, check=True)  # fmt: skip
    assert not [s for s in SECRETS if s in out.stdout + out.stderr]
    names = {p.name for p in run_dir.rglob("*")}
    assert {"run.sqlite", "summary.json", "k6-summary.json", "report.md", "report.html"} <= names, names
    assert any(n.endswith(".svg") for n in names) and any(n.startswith("snapshot-") for n in names), names
    assert files_holding(run_dir, SECRETS) == {}
    print(
        f"figures: {sum(1 for p in run_dir.rglob('*') if p.is_file())} files scanned, 0 hold a planted secret"
    )
    # The masking kept what is useful: the endpoint is there, with its secret path segment masked.
    summary = (run_dir / "summary.json").read_text()
    assert "/login/***/k/***" in summary
    reader = RecordReader(run_dir)
    assert any("using *** and ***" in x.text for x in reader.output())
    reader.close()
    # Owner only: every folder 0700 (the fresh XDG one too), every file 0600.
    for path in [xdg / "loadwatch", runs, *run_dir.rglob("*"), run_dir]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_password_in_a_config_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    config = tmp_path / "loadwatch.toml"
    config.write_text(f'[prometheus]\nurl = "http://admin:{PASSWORD}@127.0.0.1:9090"\n')
    for command in (["rules"], ["run", "x.js", "--headless"], ["demo", "--headless"]):
        out = subprocess.run([*LOADWATCH, *command, "--config", str(config), "--runs-dir", str(tmp_path / "r")]
                             if command[0] != "rules" else [*LOADWATCH, *command, "--config", str(config)],
                             capture_output=True, text=True, timeout=60, env=ENV, check=False)  # fmt: skip
        assert out.returncode == 2, (command, out.stderr)
        assert "prometheus.url" in out.stderr and "password_env" in out.stderr, out.stderr
        assert PASSWORD not in out.stderr + out.stdout
    assert not (tmp_path / "r").exists(), "nothing was started"
