"""The small pieces behind the fault cases: masking, line cleaning, stall bookkeeping, the WAL walk, liveness."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

from runners.engine.stall import StallWatch
from runners.k6.line_text import clean_line
from runners.model.frames import Percentiles, SecondPoint
from runners.model.redact import Redactor, is_secret_env_value, secret_values
from runners.record.liveness import derive_status, process_start_time
from runners.record.wal_check import check_wal


def test_what_counts_as_a_secret() -> None:
    assert is_secret_env_value("PASSWORD", "hunter2")
    assert is_secret_env_value("NOTE", "free text value")
    assert is_secret_env_value("UPSTREAM", "http://u:pw@host/")  # userinfo makes a URL secret
    assert is_secret_env_value("UPSTREAM", "http://host/?token=x")  # so does a query
    for name, value in [("VUS", "1000"), ("DURATION", "30s"), ("RATE", "0.25"), ("DEBUG", "true"),
                        ("TARGET", "http://127.0.0.1:8080"), ("X", "abc")]:  # fmt: skip
        assert not is_secret_env_value(name, value), (name, value)
    values = secret_values(
        ["-e", "PASSWORD=hunter2", "--env=VUS=1000"], {"MY_SECRET_KEY": "abc123", "HOME": "/r"}
    )
    assert values == ["hunter2", "abc123"]


def test_redactor_masks_values_userinfo_and_json_escapes() -> None:
    r = Redactor(['pa"ss\\word', "hunter2"])
    assert r.text("GET /login/hunter2 via https://admin:x@host/p") == "GET /login/*** via https://***@host/p"
    assert r.text('{"v":"pa\\"ss\\\\word"}') == '{"v":"***"}'  # as it appears inside JSON text
    assert r.value({"hunter2": ["a hunter2 b", 3]}) == {"***": ["a *** b", 3]}
    assert r.text("mail me at bob@example.com") == "mail me at bob@example.com"  # no scheme: not userinfo


def test_clean_line_strips_escapes_and_cuts() -> None:
    assert clean_line("\x1b]0;HACKED\x07a\x1b[1;31mb\x1b[0m\tc\x00\x9b2Jd\x1bPq#0\x1b\\e") == "ab    cde"
    cut = clean_line("y" * 2500, already_cut=100)
    assert cut.startswith("y" * 2000) and cut.endswith("[line cut: 600 more characters]")
    assert clean_line("plain █ text") == "plain █ text"


def _point(t: int, requests: int) -> SecondPoint:
    p = Percentiles()
    return SecondPoint(t, requests, 0, requests, 0.0, 0.0, 0, 0, 1.0, p, p)


def test_stall_seconds_are_held_then_dropped_and_real_quiet_seconds_kept() -> None:
    w = StallWatch(after_s=2.0)
    w._last_feed = 100.3
    assert w.settle([_point(99, 5), _point(100, 5), _point(101, 0)]) == [_point(99, 5), _point(100, 5)]
    assert w.check(103.0, watching=True) is not None  # 2.7 s silent: a stall began
    assert w.settle([_point(102, 0)]) == []
    w._last_feed = 106.4
    change = w.check(106.5, watching=True)
    assert change is not None and change.ended and round(change.duration_s, 1) == 6.1
    kept = w.settle([_point(103, 0), _point(104, 0), _point(105, 0), _point(106, 7)])
    assert kept == [_point(106, 7)] and w.stalled_in(100, 110) == 5  # 101..105
    w._last_feed = 108.2
    assert w.settle([_point(107, 0)]) == [_point(107, 0)]


def test_late_samples_for_a_stall_s_seconds_are_kept() -> None:
    # A starved reader, not a frozen k6: the samples of the "stalled" seconds arrive once it catches up.
    w = StallWatch(after_s=2.0)
    w._last_feed = 100.3
    assert w.check(103.0, watching=True) is not None
    assert w.hold_from == 100  # no second from the stall's start on may close while it lasts
    w._last_feed = 104.1
    assert w.check(104.2, watching=True) is not None and w.hold_from is None
    kept = w.settle([_point(100, 5), _point(101, 4), _point(102, 6), _point(103, 0)])
    assert kept == [_point(100, 5), _point(101, 4), _point(102, 6)]  # 103: empty and stalled, left out


def test_the_second_a_stall_ends_in_is_missing_not_zero_when_empty() -> None:
    # k6 thawed late in second 106: its first write (samples taken before the freeze) came at 106.95, and the
    # requests after the thaw fell in 107; second 106 itself holds none, and it was frozen, not quiet.
    w = StallWatch(after_s=2.0)
    w._last_feed = 100.3
    assert w.check(103.0, watching=True) is not None
    w._last_feed = 106.95
    assert w.check(107.1, watching=True) is not None
    w._last_feed = 109.2
    kept = w.settle([_point(t, 0) for t in range(101, 107)] + [_point(107, 9), _point(108, 0)])
    assert kept == [_point(107, 9), _point(108, 0)]  # 108: quiet after k6 came back, kept


def test_wal_walk_finds_frames_cut_off_by_a_bad_one(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "r.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (x TEXT)")
    for i in range(30):
        db.execute("INSERT INTO t VALUES (?)", ("x" * 3000 + str(i),))
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("r.sqlite", "r.sqlite-wal"):
        shutil.copyfile(tmp_path / name, copy / name)
    db.close()
    whole = check_wal(copy / "r.sqlite-wal")
    assert whole is not None and whole.frames > 20 and whole.readable == whole.frames and not whole.damaged
    with (copy / "r.sqlite-wal").open("r+b") as f:
        f.seek(32 + 10 * (24 + 4096) + 100)
        f.write(os.urandom(64))
    cut = check_wal(copy / "r.sqlite-wal")
    assert cut is not None and cut.damaged and cut.readable <= 10 and cut.lost >= whole.frames - 11


def test_a_run_whose_writer_is_gone_reads_as_crashed() -> None:
    raw = {"status": "running", "pid": 2**22 + 7, "pid_started": 1.0, "heartbeat_t": time.time() - 5}
    derived = derive_status(raw)
    assert derived["status"] == "crashed" and derived["recorded_status"] == "running"
    assert derived["status_detail"].startswith("crashed at ")
    me = {"status": "running", "pid": os.getpid(), "pid_started": process_start_time(os.getpid())}
    assert derive_status(me)["status"] == "running"  # this process is alive
    assert derive_status({**raw, "ended_at": 5.0})["status"] == "running"  # finished records keep theirs
