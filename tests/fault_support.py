"""Helpers for the fault tests: run `loadwatch` as a real process, find its k6, read what it left."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import psutil

from tests.components import missing

LOADWATCH = [sys.executable, "-m", "runners.cli"]
ENV = dict(os.environ, K6_NO_USAGE_REPORT="true")


def loadwatch_bin() -> str:
    """The installed `loadwatch` console script of this environment."""
    return str(Path(sys.executable).parent / "loadwatch")


def is_k6_run(p: psutil.Process) -> bool:
    """True for a `k6 run` (not the short-lived `k6 version` or `k6 inspect`)."""
    try:
        return p.cmdline()[1:2] == ["run"] and "k6" in p.name()
    except psutil.Error:
        return False


def _k6_runs_on(folder: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter():
        try:
            if is_k6_run(p) and any(str(folder) in arg for arg in p.cmdline()):
                found.append(p)
        except psutil.Error:
            continue
    return found


def k6_under(pid: int, timeout_s: float = 30.0, folder: Path | None = None) -> psutil.Process:
    """The `k6 run` child of process `pid` (any depth), waiting for it to appear.

    Args:
        pid: The loadwatch process started by the test.
        timeout_s: How long to wait for k6.
        folder: The test's own folder (holding the script and the runs): a run with a screen belongs to a
            detached engine host, not to `pid`, so its k6 is found by the paths on its command line.

    Returns:
        The k6 process.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = [c for c in psutil.Process(pid).children(recursive=True) if is_k6_run(c)]
        except psutil.NoSuchProcess:
            found = []
        if not found and folder is not None:
            found = _k6_runs_on(folder)
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("k6 was not started")


def wait_until(pred: Callable[[], bool], timeout_s: float, what: str, step_s: float = 0.1) -> None:
    """Poll `pred` until it holds; fail naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(step_s)
    raise AssertionError(f"timed out waiting for {what}")


def only_run_dir(runs: Path) -> Path:
    """The single run folder under `runs`."""
    dirs = [d for d in runs.iterdir() if d.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def headless(
    tmp_path: Path, script: Path, k6_args: list[str], *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `loadwatch run --headless` with progress every second, output captured."""
    return subprocess.Popen(
        [*LOADWATCH, "run", str(script), "--headless", "--runs-dir", str(tmp_path / "runs"),
         "--progress-every", "1", *extra, "--", *k6_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**ENV, **(env or {})}, cwd=tmp_path,
    )  # fmt: skip


def files_holding(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    """Every file under `folder` (binary too: SQLite pages, WAL) that holds any of `needles`; in a SQLite
    record, compressed cells (a tick's parts are zlib deltas) are searched uncompressed as well."""
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".sqlite":
                data += b"".join(_sqlite_cells(path))
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def _sqlite_cells(path: Path) -> list[bytes]:
    """Every cell of every table, blobs also uncompressed when they are zlib data."""
    out: list[bytes] = []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names read from the file
                for cell in row:
                    if isinstance(cell, bytes):
                        out.append(cell)
                        with contextlib.suppress(zlib.error):
                            out.append(zlib.decompress(cell))
                    elif isinstance(cell, str):
                        out.append(cell.encode())
    finally:
        db.close()
    return out


def cpu_percent(pid: int, over_s: float = 2.0) -> float:
    """CPU use of a process (and its threads) over a short span, in % of one core."""
    p = psutil.Process(pid)
    p.cpu_percent(None)
    time.sleep(over_s)
    return p.cpu_percent(None)


class SmallDisk:
    """A tmpfs of a few MB mounted for one test, that can be filled to the last byte and freed."""

    def __init__(self, path: Path, size: str = "8m") -> None:
        self.path = path
        path.mkdir()
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)  # fmt: skip
        if out.returncode != 0:
            missing("tmpfs", f"cannot mount a tmpfs (root needed): {out.stderr.strip()}")
        self._fillers: list[Path] = []

    def fill(self) -> None:
        """Write until the disk refuses even 512 more bytes."""
        n = len(self._fillers)
        for chunk in (1 << 20, 1 << 12, 1 << 9):
            path = self.path / f"filler-{n}-{chunk}"
            self._fillers.append(path)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)

    def free(self) -> None:
        """Remove what fill() wrote."""
        for path in self._fillers:
            path.unlink(missing_ok=True)
        self._fillers.clear()

    def read_only(self) -> None:
        """Remount it read-only (as a record on read-only media)."""
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True, capture_output=True)

    def unmount(self) -> None:
        """Detach the tmpfs (lazily: a process may still hold a file)."""
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
