"""ctypes binding of the C reader (lwscan.c): k6's Point lines summed per (second, tag set, metric).

`NativeScanner.scan` reads whole lines and returns those it did not take (for the Python reader);
`take` hands over the sums since the last take as `Binned` records. `load()` is None when the library
was not built (`python -m runners.k6.native.build`, run by scripts/setup) or does not load.
"""

from __future__ import annotations

import ctypes
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from runners.k6 import aggregate, histogram

LIBRARY = Path(__file__).resolve().parent / "_lwscan.so"
DISABLE_ENV = "LOADWATCH_PYTHON_READER"
"""Set to 1 to read k6's stream in Python even when the C reader is built (tests compare the two)."""

_SET_HEAD = struct.Struct("<II")
_METRIC_HEAD = struct.Struct("<5q4d4I")


def _pad8(n: int) -> int:
    return (n + 7) & ~7


@dataclass(slots=True)
class Binned:
    """One (second, tag set, metric)'s samples since the last take, as the C reader summed them.

    `pos`/`neg` are the metric model's bucket counts (aggregate.GAMMA) of the positive values and of the
    negative ones' magnitudes; `view` the HTTP view's (histogram.GAMMA, above histogram.FLOOR_MS) of
    http_req_duration's values, `view_zero` how many were at or below that floor. `seq` numbers the line
    of the last sample among all lines read (a Gauge's value is the latest).
    """

    metric: bytes
    sec: bytes
    tags: bytes
    n: int
    nonzero: int
    zeros: int
    seq: int
    view_zero: int
    total: float
    min: float
    max: float
    last: float
    pos: dict[int, int]
    neg: dict[int, int]
    view: dict[int, int]


def groups_of(records: list[Binned]) -> int:
    """How many (second, tag set) groups the records come from."""
    return len({(b.sec, b.tags) for b in records})


def _cells(ints: list[int], start: int, count: int) -> dict[int, int]:
    if not count:
        return {}
    part = ints[start : start + 2 * count]
    return dict(zip(part[0::2], part[1::2], strict=True))


def parse_take(buf: bytes, n_sets: int) -> list[Binned]:
    """The records of one lw_take buffer (layout in lwscan.c's lw_take)."""
    out: list[Binned] = []
    view = memoryview(buf)
    off = 0
    for _ in range(n_sets):
        key_len, n_metrics = _SET_HEAD.unpack_from(buf, off)
        off += 8
        sec, tags = buf[off : off + 19], buf[off + 19 : off + key_len]
        off += _pad8(key_len)
        for _m in range(n_metrics):
            n, nonzero, zeros, seq, view_zero, total, lo, hi, last, name_len, n_pos, n_neg, n_view = (
                _METRIC_HEAD.unpack_from(buf, off)
            )
            off += _METRIC_HEAD.size
            name = buf[off : off + name_len]
            off += _pad8(name_len)
            cells = n_pos + n_neg + n_view
            ints = view[off : off + 8 * cells].cast("i").tolist() if cells else []
            off += _pad8(8 * cells)
            pos = _cells(ints, 0, n_pos)
            neg = _cells(ints, 2 * n_pos, n_neg)
            in_view = _cells(ints, 2 * (n_pos + n_neg), n_view)
            out.append(
                Binned(
                    name, sec, tags, n, nonzero, zeros, seq, view_zero, total, lo, hi, last, pos, neg, in_view
                )
            )
    return out


class _Lib:
    """The loaded library with its functions' signatures."""

    def __init__(self, path: Path) -> None:
        lib = ctypes.CDLL(str(path))  # a CDLL call releases the interpreter lock while it runs
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        lib.lw_new.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_double]
        lib.lw_new.restype = vp
        lib.lw_free.argtypes = [vp]
        lib.lw_free.restype = None
        lib.lw_scan_at.argtypes = [
            vp,
            ctypes.c_char_p,
            sz,
            sz,
            ctypes.c_uint32,
            ctypes.POINTER(ctypes.c_int64),
        ]
        lib.lw_scan_at.restype = ctypes.POINTER(ctypes.c_int64)
        lib.lw_take.argtypes = [vp, ctypes.POINTER(sz), ctypes.POINTER(ctypes.c_uint32)]
        lib.lw_take.restype = vp
        self.lib = lib


@dataclass(slots=True)
class _Loaded:
    lib: _Lib | None = None
    tried: bool = False
    error: str = ""


_STATE = _Loaded()


def load() -> _Lib | None:
    """The library, loaded once; None (load_error() says why) when it cannot be used."""
    if os.environ.get(DISABLE_ENV) == "1":
        _STATE.error = f"{DISABLE_ENV}=1"
        return None
    if not _STATE.tried:
        _STATE.tried = True
        if not LIBRARY.exists():
            _STATE.error = (
                "the C reader is not built: `python -m runners.k6.native.build` with loadwatch's Python"
            )
        else:
            try:
                _STATE.lib = _Lib(LIBRARY)
            except OSError as e:
                _STATE.error = f"the C reader did not load: {e}"
    return _STATE.lib


def load_error() -> str:
    """Why the C reader is not in use ("" when it is, or was not asked for yet)."""
    return "" if _STATE.lib is not None and os.environ.get(DISABLE_ENV) != "1" else _STATE.error


class NativeScanner:
    """One stream's C reader state. Not thread-safe: the caller holds its lock around every call."""

    def __init__(self, lib: _Lib) -> None:
        self._lib = lib.lib
        handle = self._lib.lw_new(aggregate.GAMMA, histogram.GAMMA, histogram.FLOOR_MS)
        if not handle:
            raise MemoryError("the C reader could not allocate its state")
        self._handle: int = handle
        self._info = (ctypes.c_int64 * 5)()  # what each scan reports (lw_scan_at), reused
        self._lines = 0
        self._groups = 0

    def close(self) -> None:
        """Free the C state (the object is unusable afterwards)."""
        if self._handle:
            self._lib.lw_free(self._handle)
            self._handle = 0

    def __del__(self) -> None:
        self.close()

    def scan(
        self, data: bytes, start: int, end: int, max_groups: int
    ) -> tuple[list[tuple[int, int, int]], int]:
        """Read the whole lines of data[start:end], stopping after the line that makes more than max_groups
        groups held.

        Returns:
            The lines it did not take, as (offset into data, length without the newline, line number) in
            order, and the offset it read up to (end unless it stopped).

        Raises:
            MemoryError: the C side ran out of memory (the lines before it were read).
        """
        if end <= start:
            return [], end
        info = self._info
        # (bytes go to a c_char_p argument as a pointer to their own buffer: no copy)
        other = self._lib.lw_scan_at(self._handle, data, start, end - start, max_groups, info)
        rc, scanned, n, self._lines, self._groups = info
        triples = other[: 3 * n] if n else []
        out = [(start + triples[i], triples[i + 1], triples[i + 2]) for i in range(0, len(triples), 3)]
        if rc < 0:
            raise MemoryError("the C reader ran out of memory")
        return out, start + scanned

    @property
    def lines(self) -> int:
        """Lines read, taken or handed back."""
        return self._lines

    def groups(self) -> int:
        """(second, tag set) groups held since the last take."""
        return self._groups

    def take(self) -> list[Binned]:
        """The sums since the last take (the C state is emptied).

        Raises:
            MemoryError: the output buffer could not be allocated.
        """
        size, sets = ctypes.c_size_t(), ctypes.c_uint32()
        ptr = self._lib.lw_take(self._handle, ctypes.byref(size), ctypes.byref(sets))
        if not ptr:  # (an empty take is a one-byte buffer, not NULL)
            raise MemoryError("the C reader could not hand its sums over")
        self._groups = 0
        return parse_take(ctypes.string_at(ptr, size.value), sets.value)
