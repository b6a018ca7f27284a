"""Finds damage SQLite skips silently: frames of the write-ahead log cut off by a bad one before them.

SQLite reads a WAL frame by frame and stops at the first whose salt or running checksum is wrong, treating
the rest as never written. A frame after that point that carries the log's current salt was written in
this generation, so it is data lost to damage, not an old leftover. (File format: sqlite.org/fileformat2.html,
"The Write-Ahead Log".)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_MAGIC = (0x377F0682, 0x377F0683)
_HEADER = 32
_FRAME_HEADER = 24


@dataclass(frozen=True, slots=True)
class WalCheck:
    """What a WAL holds: frames SQLite will read, and frames of this generation it cannot reach."""

    frames: int  # whole frames in the file
    readable: int  # frames up to the last valid commit
    lost: int  # frames of the current generation after a bad frame

    @property
    def damaged(self) -> bool:
        """True when data written to the log cannot be read back."""
        return self.lost > 0


def _checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def check_wal(path: Path) -> WalCheck | None:
    """Walk a WAL file's frames the way SQLite does.

    Args:
        path: The `-wal` file.

    Returns:
        The counts; None when there is no log or it has no valid header (nothing SQLite would read).
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < _HEADER:
        return None
    magic, _version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:_HEADER])
    if magic not in _MAGIC or page_size < 512 or page_size & (page_size - 1):
        return None
    big = bool(magic & 1)
    s0, s1 = _checksum(data[:24], 0, 0, big)
    if (s0, s1) != (c0, c1):
        return None
    size = _FRAME_HEADER + page_size
    frames = (len(data) - _HEADER) // size
    readable = lost = 0
    broken = False
    for i in range(frames):
        frame = data[_HEADER + i * size : _HEADER + (i + 1) * size]
        _page, commit, f_salt1, f_salt2, f_c0, f_c1 = struct.unpack(">6I", frame[:_FRAME_HEADER])
        current = (f_salt1, f_salt2) == (salt1, salt2)
        if not broken:
            n0, n1 = _checksum(frame[:8] + frame[_FRAME_HEADER:], s0, s1, big)
            if current and (n0, n1) == (f_c0, f_c1):
                s0, s1 = n0, n1
                if commit:
                    readable = i + 1
                continue
            broken = True
        if current:
            lost += 1
    return WalCheck(frames=frames, readable=readable, lost=lost)
