"""Case 6: a flood of 2,000 lines says how many were not shown, a 2 MB line is cut with a marker, and an
OSC escape printed by the script changes nothing on the user's terminal, live or in replay."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from runners.record.schema import DB_NAME
from tests import k6_scripts
from tests.fault_support import loadwatch_bin, only_run_dir
from tests.tmux_driver import Tmux

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

HOSTILE = r"""
import { sleep } from 'k6';
export const options = { vus: 1, iterations: 1 };
export default function () {
  console.log('\x1b]0;HACKED\x07after-osc \x1b[31mred\x1b[0m bell\x07');
  console.log('x'.repeat(2 * 1024 * 1024));
  sleep(1);
  for (let i = 0; i < 2000; i++) { console.log('flood line ' + i); }
  sleep(1);
  console.log('end of script');
  sleep(3);
}
"""


def _title(term: Tmux) -> str:
    return subprocess.run([term.tmux, "-L", term.socket, "display", "-p", "-t", "t", "#{pane_title}"],
                          capture_output=True, text=True, timeout=10, check=True).stdout.strip()  # fmt: skip


def test_flood_long_line_and_escapes_are_handled_honestly(tmp_path: Path, k6_bin: str) -> None:
    script = k6_scripts.write(tmp_path, "hostile.js", HOSTILE)
    runs = tmp_path / "runs"
    env = {"K6_NO_USAGE_REPORT": "true"}
    term = Tmux([loadwatch_bin(), "run", str(script), "--runs-dir", str(runs), "--", "--log-format", "raw"],
                cwd=tmp_path, size=(160, 48), env=env)  # fmt: skip
    try:
        title_before = _title(term)
        screen = term.wait_for(lambda s: "lines not shown" in s, 40, "the flood's note")
        assert re.search(r"\(1,[0-9]{3} output lines not shown", screen), screen
        term.wait_for(lambda s: "FINISHED" in s, 40, "the end of the run")
        assert "HACKED" not in _title(term) and _title(term) == title_before
        term.send("q")
        term.wait_for(lambda s: "EXIT=" in s, 30, "loadwatch to exit")
    finally:
        term.close()

    run_dir = only_run_dir(runs)
    reader = RecordReader(run_dir)
    lines = [x.text for x in reader.output()]
    reader.close()
    assert not [x for x in lines if "\x1b" in x or "\x07" in x], "no escape or control reaches the record"
    assert any(x.endswith("after-osc red bell") for x in lines) and "end of script" in lines
    cut = [x for x in lines if x.startswith("xxxx")]
    assert len(cut) == 1 and len(cut[0]) < 2100, [len(x) for x in cut]
    assert cut[0].endswith("[line cut: 2,095,152 more characters]"), cut[0][-60:]
    shown = sum(1 for x in lines if x.startswith("flood line "))
    said = sum(int(m.group(1).replace(",", "")) for x in lines
               if (m := re.match(r"\(([\d,]+) output lines not shown", x)))  # fmt: skip
    not_recorded = sum(
        int(m.group(1)) for x in lines if (m := re.match(r"\((\d+) more output lines not recorded", x))
    )
    assert said >= 1000 and shown + said + not_recorded == 2000, (shown, said, not_recorded)
    size = sum(p.stat().st_size for p in run_dir.glob(DB_NAME + "*"))
    print(
        f"figures: flood 2000 -> shown {shown}, said not shown {said}, not recorded {not_recorded}; "
        f"long line kept {len(cut[0])} chars; record {size:,} bytes"
    )
    assert size < 1_000_000, f"record is {size:,} bytes for a short run with a 2 MB line"

    # Replay shows the same clean record: the terminal's title stays as it was.
    term = Tmux(
        [loadwatch_bin(), "replay", str(run_dir), "--speed", "20"], cwd=tmp_path, size=(160, 48), env=env
    )
    try:
        title_before = _title(term)
        term.wait_for(lambda s: "FINISHED" in s, 30, "the replay to play the record through")
        assert _title(term) == title_before
    finally:
        term.close()
