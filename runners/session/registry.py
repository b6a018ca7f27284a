"""Where live runs' sockets are, which runs are live, and which are stale (their engine is gone).

Each engine host writes `<pid>.sock` and `<pid>.json` into an owner-only (0700) folder: `$XDG_RUNTIME_DIR/
loadwatch`, else `/tmp/loadwatch-<uid>` (as tmux does), else the runs folder's `.sessions` (removed again when
empty). A folder owned by another user, a symlink, or a path too long for a Unix socket is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

RUNS_SUBDIR = ".sessions"
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux; keep a margin


class InsecureDirError(OSError):
    """A session folder that is not ours alone."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One engine host, as it registered itself."""

    pid: int
    pid_started: float  # the process's start time, so a reused pid is not taken for the engine
    socket: str
    run_dir: str
    run_name: str
    started_at: float

    @property
    def alive(self) -> bool:
        """True while the engine process that registered this is running."""
        try:
            proc = psutil.Process(self.pid)
            return abs(proc.create_time() - self.pid_started) < 1.0 and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False


def secure_dir(path: Path) -> Path:
    """Create `path` owner-only (0700), or check that an existing one is a real folder of ours alone.

    Args:
        path: The folder.

    Returns:
        The folder.

    Raises:
        InsecureDirError: a symlink, not a folder, or owned by another user.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise InsecureDirError(f"{path} is not a folder")
    if st.st_uid != os.getuid():
        raise InsecureDirError(f"{path} belongs to uid {st.st_uid}, not to this user")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def session_dirs(runs_dir: Path) -> list[Path]:
    """Every folder a live run's socket may be in, most preferred first.

    Args:
        runs_dir: The runs folder in use.

    Returns:
        Candidate folders (not created).
    """
    dirs = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        dirs.append(Path(runtime) / "loadwatch")
    dirs.append(Path("/tmp") / f"loadwatch-{os.getuid()}")  # noqa: S108 - as tmux does; owner-checked
    dirs.append(runs_dir / RUNS_SUBDIR)
    return dirs


def socket_path_for(runs_dir: Path, pid: int) -> Path:
    """Where this engine's socket goes: the first candidate folder whose path fits a Unix socket.

    Args:
        runs_dir: The runs folder in use.
        pid: The engine host's pid.

    Returns:
        The socket path; its folder exists and is owner-only.
    """
    for folder in session_dirs(runs_dir):
        candidate = folder / f"{pid}.sock"
        if len(str(candidate)) > SOCKET_PATH_MAX:
            continue
        try:
            secure_dir(folder)
        except OSError:
            continue
        return candidate
    raise InsecureDirError("no owner-only folder with a short enough path for the run's socket")


def register(info: SessionInfo) -> Path:
    """Write the session's description next to its socket (owner-only).

    Args:
        info: The session.

    Returns:
        The description file.
    """
    path = Path(info.socket).with_suffix(".json")
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(info), f)
    tmp.replace(path)
    return path


def unregister(info: SessionInfo) -> None:
    """Remove the session's socket and description.

    Args:
        info: The session.
    """
    for path in (Path(info.socket), Path(info.socket).with_suffix(".json")):
        path.unlink(missing_ok=True)
    folder = Path(info.socket).parent
    if folder.name == RUNS_SUBDIR:  # leave the runs folder holding run folders only
        with contextlib.suppress(OSError):
            folder.rmdir()  # fails while another run's socket is there


def _read(path: Path) -> SessionInfo | None:
    try:
        data = json.loads(path.read_text())
        return SessionInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class Sessions:
    """The outcome of one scan: live engines, and stale ones just cleaned away."""

    live: tuple[SessionInfo, ...]
    crashed: tuple[SessionInfo, ...]


def scan(runs_dir: Path, *, clean: bool = True) -> Sessions:
    """Find live runs; a description whose engine is gone is stale: it is reported and (with clean) removed.

    Args:
        runs_dir: The runs folder in use.
        clean: Remove stale sockets and descriptions.

    Returns:
        Live and crashed sessions, oldest first.
    """
    live: list[SessionInfo] = []
    crashed: list[SessionInfo] = []
    seen: set[Path] = set()
    for folder in session_dirs(runs_dir):
        if folder in seen or not folder.is_dir():
            continue
        seen.add(folder)
        try:
            if folder.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        for path in sorted(folder.glob("*.json")):
            info = _read(path)
            if info is None:
                continue
            if info.alive:
                live.append(info)
                continue
            crashed.append(info)
            if clean:
                unregister(info)
    key = lambda s: s.started_at  # noqa: E731
    return Sessions(tuple(sorted(live, key=key)), tuple(sorted(crashed, key=key)))


def own_info(socket_path: Path, run_dir: Path, run_name: str) -> SessionInfo:
    """This process's session description.

    Args:
        socket_path: Its socket.
        run_dir: The run's record folder.
        run_name: The run's name.

    Returns:
        The description.
    """
    return SessionInfo(
        pid=os.getpid(),
        pid_started=psutil.Process().create_time(),
        socket=str(socket_path),
        run_dir=str(run_dir),
        run_name=run_name,
        started_at=time.time(),
    )
