"""The record's tick rows: the frame parts of every engine tick, stored as the fields that changed.

A row is a JSON object of the `FrameParts` fields that differ from the previous tick (the first row holds
them all), zlib-compressed, keyed by the tick's wall time in milliseconds. The timeline rebuilds the parts
at any instant from the latest change of each field; it keeps the rows compressed and decodes a field only
when asked. (`python -c "import zlib,sys; print(zlib.decompress(sys.stdin.buffer.read()).decode())"` reads
one by hand.)
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import typing
import zlib
from collections import OrderedDict
from typing import Any

from runners.model.run_view import FrameParts
from runners.record.typed_json import from_json, to_json

FIELDS = tuple(f.name for f in dataclasses.fields(FrameParts))
_HINTS = typing.get_type_hints(FrameParts)
_PARSED_ROWS = 64  # rows kept parsed, for playback that reads neighbouring ticks
_LEVEL = 6  # zlib: 2.8x smaller than the JSON on a demo run, under 0.4 ms a row


def tick_ms(t: float) -> int:
    """The key of a tick at wall time `t`."""
    return round(t * 1000)


class TickEncoder:
    """Writer side: turns each tick's parts into the JSON of the fields that changed."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}

    def encode(self, parts: FrameParts) -> bytes:
        """The row for these parts (changed fields only; all of them on the first call).

        Args:
            parts: The tick's parts.

        Returns:
            A JSON object, compressed.
        """
        changed = []
        for name in FIELDS:
            text = json.dumps(to_json(getattr(parts, name)), separators=(",", ":"))
            if self._last.get(name) != text:
                self._last[name] = text
                changed.append(f'"{name}":{text}')
        return zlib.compress(("{" + ",".join(changed) + "}").encode(), _LEVEL)

    def forget(self) -> None:
        """Write every field again with the next tick (after a row may have been lost)."""
        self._last.clear()


class TickTimeline:
    """Reader side: the parts at any instant of a recorded run."""

    def __init__(self, rows: list[tuple[int, bytes]]) -> None:
        """Index the rows.

        Args:
            rows: (tick ms, row as written) in time order.
        """
        self._rows = [data for _, data in rows]
        self.times_ms = [t for t, _ in rows]
        self._parsed: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._decoded: dict[tuple[str, int], Any] = {}
        self._changes: dict[str, tuple[list[int], list[int]]] = {}  # field -> (tick ms, row index)
        for i, t in enumerate(self.times_ms):
            for name in self._row(i):
                times, index = self._changes.setdefault(name, ([], []))
                times.append(t)
                index.append(i)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def first_s(self) -> float | None:
        """Wall time of the first tick."""
        return self.times_ms[0] / 1000 if self.times_ms else None

    @property
    def last_s(self) -> float | None:
        """Wall time of the last tick."""
        return self.times_ms[-1] / 1000 if self.times_ms else None

    def tick_at(self, t: float) -> float | None:
        """Wall time of the latest tick at or before `t` (None before the first)."""
        i = bisect.bisect_right(self.times_ms, tick_ms(t)) - 1
        return self.times_ms[i] / 1000 if i >= 0 else None

    def parts_at(self, t: float) -> FrameParts | None:
        """The parts the screen showed at wall time `t`; None before the first tick or if unreadable."""
        key = tick_ms(t)
        values: dict[str, Any] = {}
        for name, (times, index) in self._changes.items():
            if name not in _HINTS:
                continue  # a field of a newer version
            i = bisect.bisect_right(times, key) - 1
            if i >= 0:
                values[name] = self._field(name, index[i])
        try:
            return FrameParts(**values)
        except TypeError:  # no tick yet, or a row lost a required field
            return None

    def _field(self, name: str, row: int) -> Any:
        key = (name, row)
        if key not in self._decoded:
            if len(self._decoded) > 4 * _PARSED_ROWS * len(FIELDS):
                self._decoded.clear()
            self._decoded[key] = from_json(_HINTS[name], self._row(row)[name])
        return self._decoded[key]

    def _row(self, row: int) -> dict[str, Any]:
        parsed = self._parsed.get(row)
        if parsed is None:
            parsed = json.loads(zlib.decompress(self._rows[row]))
            self._parsed[row] = parsed
            if len(self._parsed) > _PARSED_ROWS:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(row)
        return parsed
