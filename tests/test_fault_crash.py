"""Case 3: after `kill -9` of loadwatch, `runs`, `show` and `report` say "crashed at HH:MM:SS", never a live
state, and the record holds what the final summary would have (endpoints, status codes, generator health)
up to the last second."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from runners.record.reader import RecordReader
from tests import k6_scripts
from tests.fault_support import ENV, LOADWATCH, headless, k6_under, only_run_dir

pytestmark = pytest.mark.integration


def _cli(*args: str) -> str:
    return subprocess.run([*LOADWATCH, *args], capture_output=True, text=True, timeout=120, env=ENV,
                          check=True).stdout  # fmt: skip


def test_a_killed_run_reads_as_crashed_with_its_summary_so_far(
    tmp_path: Path, k6_bin: str, nginx_url: str
) -> None:
    script = k6_scripts.write(tmp_path, "mixed.js", k6_scripts.MIXED)
    proc = headless(tmp_path, script, ["-e", f"BASE={nginx_url}", "--duration", "60s"])
    k6 = k6_under(proc.pid)
    time.sleep(7)
    proc.send_signal(signal.SIGKILL)
    killed_at = time.time()
    proc.wait(10)
    psutil.wait_procs([k6], timeout=5)
    runs = tmp_path / "runs"
    run_dir = only_run_dir(runs)

    listed = _cli("runs", "--runs-dir", str(runs))
    assert re.search(r"\bcrashed\b", listed) and "starting" not in listed and "running" not in listed, listed
    shown = json.loads(_cli("show", "last", "--json", "--runs-dir", str(runs)))
    meta = shown["meta"]
    assert meta["status"] == "crashed" and meta["recorded_status"] == "running", meta
    stamp = re.search(r"crashed at (\d\d:\d\d:\d\d)", meta["status_detail"])
    assert stamp, meta["status_detail"]
    assert abs(meta["crashed_at"] - killed_at) < 1.5, (meta["crashed_at"], killed_at)
    assert stamp.group(1) == time.strftime("%H:%M:%S", time.localtime(meta["crashed_at"]))

    # What only the final summary used to hold is there, as of the last second.
    summary = shown["summary"]
    assert summary["partial"] is True and summary["status"] == "crashed", summary
    names = {e["name"] for e in summary["endpoints"]}
    assert "item" in names and any("/missing" in n for n in names), names
    assert summary["status_codes"].get("404", 0) > 0 and summary["status_codes"].get("200", 0) > 0, summary
    assert summary["generator"] is not None, summary
    with RecordReader(run_dir) as reader:
        seconds = reader.seconds()
        recorded = sum(p.requests for p in seconds)
    # The summary so far is rewritten each second from the previous tick's frame, whose whole-run totals
    # cover closed seconds only, while the record also holds the seconds still open: about 2 s behind.
    per_second = recorded / max(1, len(seconds))
    assert recorded > 0 and abs(summary["requests"] - recorded) <= max(40, 3 * per_second), (
        summary["requests"],
        recorded,
        len(seconds),
    )

    print(
        f"figures: killed at {time.strftime('%H:%M:%S', time.localtime(killed_at))}, reads "
        f"'{meta['status_detail'][:20]}'; partial summary {summary['requests']} requests vs {recorded} in seconds; "
        f"endpoints {sorted(names)}"
    )
    _cli("report", str(run_dir), "--no-baseline")
    report = (run_dir / "report.md").read_text()
    assert f"crashed at {stamp.group(1)}" in report, report[:2000]
    assert "item" in report and "404" in report
