"""Case 7: a frozen k6 (SIGSTOP for 8 s) reads "k6 not responding (Ns)", is a stall event in the record, and
its seconds are missing data: not recorded as zero traffic, not judged by the rules."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from runners.record.reader import RecordReader
from runners.record.schema import EventKind
from tests import k6_scripts
from tests.fault_support import headless, k6_under, only_run_dir

pytestmark = pytest.mark.integration

FREEZE_S = 8.0


def test_a_frozen_k6_is_a_stall_not_zero_traffic(tmp_path: Path, k6_bin: str, nginx_url: str) -> None:
    script = k6_scripts.write(tmp_path, "steady.js", k6_scripts.STEADY)
    proc = headless(tmp_path, script, ["-e", f"BASE={nginx_url}", "--vus", "2", "--duration", "22s"])
    k6 = k6_under(proc.pid)
    time.sleep(6)
    k6.send_signal(signal.SIGSTOP)
    frozen_at = time.time()
    time.sleep(FREEZE_S)
    k6.send_signal(signal.SIGCONT)
    thawed_at = time.time()
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out

    # What the user sees: the progress lines say so while it lasts, and a line when it ends.
    stalled = [int(m.group(1)) for m in re.finditer(r"k6 not responding \((\d+)s\)", out)]
    assert stalled and max(stalled) >= FREEZE_S - 3, out
    assert "k6 is responding again after" in out, out

    reader = RecordReader(only_run_dir(tmp_path / "runs"))
    stalls = reader.events(EventKind.STALL)
    seconds = list(reader.seconds())
    breaches = reader.events(EventKind.BREACH) + reader.events(EventKind.CAPACITY_CEILING)
    reader.close()
    assert [e.transition for e in stalls] == ["start", "end"], stalls
    print(
        f"figures: froze {thawed_at - frozen_at:.1f} s; stall event {stalls[1]['duration_s']} s; "
        f"max 'not responding' shown {max(stalled)} s; seconds recorded {len(seconds)}"
    )
    assert FREEZE_S - 1.5 <= stalls[1]["duration_s"] <= FREEZE_S + 1.5, stalls
    assert abs(stalls[1]["from_t"] - frozen_at) < 1.5 and abs(stalls[1]["to_t"] - thawed_at) < 2.0, stalls
    # Missing, not zero: no second inside the freeze is in the series, and the seconds around it are.
    inside = [s for s in seconds if frozen_at + 1 <= s.t and s.t + 1 <= thawed_at - 0.5]
    assert inside == [], [(s.t, s.requests) for s in inside]
    assert any(s.t < frozen_at - 1 for s in seconds) and any(s.t > thawed_at + 1 for s in seconds)
    zero_mid_run = [s.t for s in seconds[1:-2] if s.requests == 0]
    assert zero_mid_run == [], zero_mid_run
    # No rule judged k6's frozen seconds (the runner box's own gauges, which are measured, still count).
    during = [e for e in breaches if frozen_at <= e.t <= thawed_at + 1
              and not str(e.get("metric", "")).startswith("host.")]  # fmt: skip
    assert during == [], during
