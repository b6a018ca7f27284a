"""The session server with a fake engine and real viewers: several viewers, who did what, bounds, hang-up."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from runners.model.frames import Frame, OutputLine, RunState
from runners.session.client import RemoteRun, SessionRefusedError
from runners.session.outbox import MAX_QUEUED_FRAMES
from runners.session.protocol import VERSION, FrameMsg, Hello, MessageReader, Refused, encode, tail_message
from runners.session.server import SessionServer
from tests.session_support import FakeEngine, wait_until
from tests.tui_support import build_frame


class Seen:
    """A listener that keeps every frame it got."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []

    def __call__(self, frame: Frame) -> None:
        self.frames.append(frame)

    @property
    def lines(self) -> list[str]:
        return [line.text for f in self.frames for line in f.new_output]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeEngine, SessionServer]]:
    engine = FakeEngine(run_dir=tmp_path)
    server = SessionServer(engine, tmp_path / "s.sock")
    server.start()
    yield engine, server
    server.close(flush_s=0.5)


def attach(server: SessionServer, *, read_only: bool = False, name: str = "tester") -> tuple[RemoteRun, Seen]:
    remote = RemoteRun.connect(server.path, read_only=read_only, viewer=name)
    seen = Seen()
    remote.add_listener(seen)
    return remote, seen


def test_the_socket_is_owner_only(served: tuple[FakeEngine, SessionServer]) -> None:
    _, server = served
    assert os.stat(server.path).st_mode & 0o777 == 0o600


def test_two_viewers_see_every_frame_and_commands_carry_the_viewer(
    served: tuple[FakeEngine, SessionServer],
) -> None:
    engine, server = served
    one, seen_one = attach(server, name="alice on /dev/pts/1")
    two, seen_two = attach(server, name="bob on /dev/pts/2")
    wait_until(lambda: server.viewers == 2, what="two viewers")
    for i in range(1, 6):
        engine.emit(build_frame(i))
        time.sleep(0.05)  # the engine ticks twice a second; frames queued faster are merged
    wait_until(lambda: len(seen_one.frames) >= 5 and len(seen_two.frames) >= 5, what="frames in both")
    assert [f.seq for f in seen_one.frames][-5:] == [f.seq for f in seen_two.frames][-5:] == [1, 2, 3, 4, 5]
    mark = two.add_mark("pool saturating")
    assert mark.by == "viewer 2 (bob on /dev/pts/2)" and engine.marks[0].note == "pool saturating"
    one.request_stop(reason="abort key")
    assert engine.stops == [(False, "abort key", "viewer 1 (alice on /dev/pts/1)")]
    assert two.save_snapshot(Path("/x/screen-001.svg")).name == "snapshot-001.json"
    assert engine.snapshots == [(Path("/x/screen-001.svg"), "viewer 2 (bob on /dev/pts/2)")]
    engine.emit(build_frame(6, state=RunState.ABORTED))
    wait_until(lambda: seen_two.frames[-1].state is RunState.ABORTED, what="the end in viewer 2")
    assert any("viewer 1 (alice on /dev/pts/1) stopped the run gracefully" in t for t in seen_two.lines)
    attached = [d["viewer"] for kind, d in engine.events if kind == "viewer" and d["action"] == "attached"]
    assert attached == ["viewer 1 (alice on /dev/pts/1)", "viewer 2 (bob on /dev/pts/2)"]


def test_a_read_only_viewer_watches_but_cannot_change_the_run(
    served: tuple[FakeEngine, SessionServer],
) -> None:
    engine, server = served
    ro, seen = attach(server, read_only=True)
    engine.emit(build_frame(3))
    wait_until(lambda: seen.frames, what="a frame")
    assert not ro.can_annotate
    with pytest.raises(RuntimeError, match="read-only"):
        ro.request_stop(reason="abort key")
    with pytest.raises(RuntimeError, match="read-only"):
        ro.add_mark("nope")
    assert engine.stops == [] and engine.marks == []


def test_a_late_viewer_gets_the_history_and_the_output_so_far(
    served: tuple[FakeEngine, SessionServer],
) -> None:
    engine, server = served
    early, _ = attach(server)  # frames are only encoded while someone watches
    for i in range(0, 41):
        engine.emit(build_frame(i))
        time.sleep(0.01)
    wait_until(lambda: early.state is RunState.RUNNING, what="frames")
    time.sleep(0.2)
    _late, seen = attach(server)
    wait_until(lambda: seen.frames, what="the catch-up frame")
    first = seen.frames[0]
    assert first.seq == 40 and len(first.series) == 20 and first.series[0].t == build_frame(40).series[0].t
    everything = [line.text for i in range(41) for line in build_frame(i).new_output]
    assert [line.text for line in first.new_output] == everything  # the backlog, in order


def test_a_viewer_that_does_not_read_never_slows_the_engine(served: tuple[FakeEngine, SessionServer]) -> None:
    engine, server = served
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # says hello, then never reads
    slow.connect(str(server.path))
    slow.sendall(encode(Hello(version=VERSION, viewer="stuck")))
    _fast, seen = attach(server)
    wait_until(lambda: server.viewers == 2, what="two viewers")
    big = build_frame(600)
    lines = tuple(OutputLine(0.0, "stdout", "x" * 200) for _ in range(200))
    for i in range(200):
        engine.emit(dataclasses.replace(big, seq=i, new_output=lines))
        time.sleep(0.005)  # faster than the engine's 2 frames a second, slow enough not to merge them all
    assert max(engine.emit_seconds) < 0.05, max(engine.emit_seconds)
    wait_until(
        lambda: seen.frames and seen.frames[-1].seq == 199, timeout_s=20, what="the fast viewer's last frame"
    )
    links = list(server._viewers.values())
    stuck = next(v for v in links if "stuck" in v.label)
    assert sum(1 for i in stuck.outbox._items if i.frame_lines >= 0) <= MAX_QUEUED_FRAMES
    assert stuck.outbox.dropped_frames > 100


def test_another_users_viewer_is_refused_by_peer_credentials(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to connect as another user")
    open_dir = Path(tempfile.mkdtemp(prefix="lw-peer-", dir="/tmp"))
    open_dir.chmod(0o755)
    engine = FakeEngine(run_dir=tmp_path)
    server = SessionServer(engine, open_dir / "s.sock")
    server.start()
    try:
        server.path.chmod(0o666)  # open the file so only the peer check stands between them
        code = ("import os, sys\nfrom runners.session.client import RemoteRun, SessionRefusedError\n"
                "os.setgid(65534); os.setuid(65534)\n"
                f"try:\n    RemoteRun.connect(__import__('pathlib').Path({str(server.path)!r}))\n"
                "except SessionRefusedError as e:\n    print('REFUSED', e); sys.exit(0)\nsys.exit(1)\n")  # fmt: skip
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                              cwd=Path(__file__).parent.parent, check=False)  # fmt: skip
        assert done.returncode == 0 and "REFUSED" in done.stdout and "uid 65534" in done.stdout, done.stderr
        assert server.viewers == 0 and server.refused == 1
        assert [k for k, _ in engine.events] == ["viewer_refused"]
    finally:
        server.close(flush_s=0.1)
        shutil.rmtree(open_dir, ignore_errors=True)


def test_a_version_the_engine_does_not_speak_is_refused(served: tuple[FakeEngine, SessionServer]) -> None:
    _, server = served
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(server.path))
    sock.sendall(encode(Hello(version=99, viewer="future")))
    answer = MessageReader(sock).read()
    assert isinstance(answer, Refused) and "99" in answer.reason


@pytest.mark.parametrize(
    ("policy", "detached", "how", "stopped"),
    [
        ("stop", False, "hangup", True),
        ("stop", False, "vanish", True),
        ("detach", False, "hangup", False),
        ("stop", True, "hangup", False),  # started with --detach: a lost terminal never stops it
        ("stop", False, "detach", False),
    ],
)
def test_hangup_policy(tmp_path: Path, policy: str, detached: bool, how: str, stopped: bool) -> None:
    engine = FakeEngine(run_dir=tmp_path)
    server = SessionServer(engine, tmp_path / "s.sock", on_hangup=policy, detached=detached)  # type: ignore[arg-type]
    server.start()
    try:
        remote, _ = attach(server)
        wait_until(lambda: server.viewers == 1, what="the viewer")
        {"hangup": lambda: remote.hangup("terminal lost (SIGHUP)"), "vanish": remote.close,
         "detach": remote.detach}[how]()  # fmt: skip
        wait_until(lambda: server.viewers == 0, what="the viewer to leave")
        time.sleep(0.1)
        assert bool(engine.stops) is stopped
        if stopped:
            assert "terminal lost (SIGHUP)" in engine.stops[0][1] or "viewer lost" in engine.stops[0][1]
        assert server.detached is not stopped
    finally:
        server.close(flush_s=0.1)


def test_a_lost_viewer_does_not_stop_a_run_another_viewer_steers(
    served: tuple[FakeEngine, SessionServer],
) -> None:
    engine, server = served
    one, _ = attach(server)
    _ro, _ = attach(server, read_only=True)
    two, _ = attach(server)
    wait_until(lambda: server.viewers == 3, what="three viewers")
    one.hangup("terminal lost (SIGHUP)")
    wait_until(lambda: server.viewers == 2, what="one to leave")
    time.sleep(0.1)
    assert engine.stops == []
    two.hangup("terminal lost (SIGHUP)")  # the last steering viewer: the read-only one does not count
    wait_until(lambda: bool(engine.stops), what="the stop")


def test_the_launching_screen_gone_before_start_abandons_the_run(tmp_path: Path) -> None:
    engine = FakeEngine(run_dir=tmp_path, started=False, state=RunState.STARTING)
    abandoned: list[bool] = []
    starts: list[bool] = []
    server = SessionServer(engine, tmp_path / "s.sock", on_start=lambda: starts.append(True),
                           on_abandon=lambda: abandoned.append(True))  # fmt: skip
    server.start()
    try:
        remote, _ = attach(server)
        assert remote.welcome is not None and not remote.welcome.started
        remote.close()
        wait_until(lambda: bool(abandoned), what="the abandon")
        assert starts == [] and engine.stops == []
        again, _ = attach(server)
        again.send_start()
        wait_until(lambda: bool(starts), what="the start")
    finally:
        server.close(flush_s=0.1)


def test_the_viewer_says_so_at_once_when_the_engine_is_gone(served: tuple[FakeEngine, SessionServer]) -> None:
    engine, server = served
    remote, seen = attach(server)
    engine.emit(build_frame(10))
    wait_until(lambda: seen.frames, what="a frame")
    t0 = time.monotonic()
    server.close(flush_s=0.1)  # as a killed engine: the connection ends with the run still running
    wait_until(lambda: remote.engine_lost, timeout_s=2.0, what="the viewer to notice")
    assert time.monotonic() - t0 < 2.0
    last = seen.frames[-1]
    assert last.state is RunState.FAILED and "is gone" in last.status_detail
    assert not remote.can_annotate
    with pytest.raises(RuntimeError, match="gone"):
        remote.add_mark("late")


def test_a_refused_connection_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        RemoteRun.connect(tmp_path / "nothing.sock")
    assert issubclass(SessionRefusedError, ConnectionError)


def test_viewers_rebuild_the_whole_series_from_tails(served: tuple[FakeEngine, SessionServer]) -> None:
    engine, server = served
    _remote, seen = attach(server)
    wait_until(lambda: server.viewers == 1, what="the viewer")
    sent = {}
    for i in range(100, 220, 3):  # 50 s to 110 s of series: past the 30 s tail
        frame = build_frame(i)
        sent[frame.seq] = frame.series
        engine.emit(frame)
        time.sleep(0.02)
    wait_until(lambda: seen.frames and seen.frames[-1].seq == 217, what="the last frame")
    for got in seen.frames:
        assert got.series == sent[got.seq], f"frame {got.seq}"
    last = build_frame(217)
    assert len(encode(tail_message(last))) < len(encode(FrameMsg(last))) / 2


def test_a_viewer_that_missed_more_than_the_tail_gets_the_whole_series(
    served: tuple[FakeEngine, SessionServer],
) -> None:
    engine, server = served
    _remote, seen = attach(server)
    wait_until(lambda: server.viewers == 1, what="the viewer")
    engine.emit(build_frame(100))  # 50 s of series, whole (its first frame)
    wait_until(lambda: len(seen.frames) == 1, what="the first frame")
    engine.emit(build_frame(300))  # 150 s: its tail starts 100 s after what the viewer has
    wait_until(lambda: len(seen.frames) == 2, what="the frame with a gap")
    link = next(iter(server._viewers.values()))
    wait_until(lambda: link.needs_full, what="the viewer to ask for the whole series")
    engine.emit(build_frame(302))
    wait_until(lambda: len(seen.frames) == 3, what="the whole series")
    assert seen.frames[-1].series == build_frame(302).series


def test_attach_with_no_name_picks_the_only_live_run_or_the_one_in_this_runs_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runners.session import registry
    from runners.session.commands import choose_session
    from runners.session.registry import SessionInfo, register, secure_dir

    rt = secure_dir(tmp_path / "rt" / "loadwatch")
    monkeypatch.setattr(registry, "session_dirs", lambda _runs: [rt])  # not the machine's other live runs
    me = psutil.Process()
    mine = SessionInfo(me.pid, me.create_time(), str(rt / "1.sock"), str(tmp_path / "a" / "r1"), "r1", 1.0)
    register(mine)
    assert choose_session(tmp_path / "a", None)[0] == mine
    other = SessionInfo(me.pid, me.create_time(), str(rt / "2.sock"), str(tmp_path / "b" / "r2"), "r2", 2.0)
    register(other)
    assert choose_session(tmp_path / "a", None)[0] == mine
    assert choose_session(tmp_path / "b", None)[0] == other
    info, why = choose_session(tmp_path / "c", None)
    assert info is None and "2 live runs" in why
    assert choose_session(tmp_path / "c", "r2")[0] == other
    dead = SessionInfo(2**22 + 7, 1.0, str(rt / "3.sock"), str(tmp_path / "a" / "r3"), "r3", 3.0)
    register(dead)
    (rt / "3.sock").touch()
    info, why = choose_session(tmp_path / "a", "r3")
    assert info is None and "crashed" in why
    assert not (rt / "3.sock").exists() and not (rt / "3.json").exists(), "the stale socket is cleaned"
