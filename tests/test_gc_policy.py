"""The collector's settings for an engine process (checked in a fresh interpreter: they are process-wide)."""

from __future__ import annotations

import subprocess
import sys

from runners.engine.gc_policy import YOUNG_THRESHOLD


def test_tuning_freezes_start_up_and_collects_the_young_generation_less_often() -> None:
    code = (
        "import gc\n"
        "from runners.engine.gc_policy import tune_for_ingest\n"
        "before = gc.get_threshold()\n"
        "tune_for_ingest()\n"
        "after = gc.get_threshold()\n"
        "print(after[0], after[1:] == before[1:], gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == [str(YOUNG_THRESHOLD), "True", "True"]
