"""How each row of the record is written as JSON and read back into its type (runners.record.schema).

The writer and the reader share these functions, so the on-disk form of a kind is defined once.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from runners.model.frames import OutputLine, Percentiles, SecondPoint
from runners.record.schema import (
    ContainerValues,
    ContainerValuesRow,
    EventKind,
    EventRow,
    GaugeValuesRow,
    HistogramRow,
    MetricSecondRow,
)

_COMPACT = (",", ":")


def dumps(data: Any) -> str:
    """Compact JSON; values JSON cannot hold (paths, enums) as their text."""
    return json.dumps(data, separators=_COMPACT, default=str)


def encode_point(p: SecondPoint) -> str:
    """A k6 second."""
    return json.dumps(asdict(p), separators=_COMPACT)


def _percentiles(d: Any) -> Percentiles:
    d = d if isinstance(d, dict) else {}
    return Percentiles(**{k: d.get(k) for k in ("p50", "p90", "p95", "p99", "max")})


def decode_point(text: str) -> SecondPoint:
    """A k6 second, as written by encode_point (older records lack no field it reads)."""
    d = json.loads(text)
    return SecondPoint(
        t=int(d["t"]),
        requests=int(d.get("requests", 0)),
        failed=int(d.get("failed", 0)),
        iterations=int(d.get("iterations", 0)),
        data_sent=float(d.get("data_sent", 0.0)),
        data_received=float(d.get("data_received", 0.0)),
        checks_pass=int(d.get("checks_pass", 0)),
        checks_fail=int(d.get("checks_fail", 0)),
        vus=d.get("vus"),
        latency=_percentiles(d.get("latency")),
        window=_percentiles(d.get("window")),
    )


def encode_histogram(counts: Mapping[int, int]) -> str:
    """A second's latency histogram."""
    return json.dumps(counts, separators=_COMPACT)


def decode_histogram(t: int, text: str) -> HistogramRow:
    """A second's latency histogram (JSON keys are strings on disk)."""
    return HistogramRow(t=t, counts={int(k): int(v) for k, v in json.loads(text).items()})


def encode_metric_second(series: Mapping[str, Mapping[str, float | None]]) -> bytes:
    """A second of k6's metric series: compressed JSON (names repeat every second)."""
    return zlib.compress(dumps(series).encode(), 6)


def decode_metric_second(t: int, data: bytes | str) -> MetricSecondRow:
    """A second of k6's metric series; an unreadable row reads as empty (non-numbers are None)."""
    try:
        raw = json.loads(zlib.decompress(data) if isinstance(data, bytes) else data)
    except (zlib.error, ValueError):
        raw = {}
    out: dict[str, dict[str, float | None]] = {}
    for name, stats in (raw if isinstance(raw, dict) else {}).items():
        if isinstance(stats, dict):
            out[str(name)] = {
                str(k): float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
                for k, v in stats.items()
            }
    return MetricSecondRow(t=t, series=out)


def encode_gauge_values(values: Mapping[tuple[str, str], float]) -> str:
    """A second of gauge values, keyed `name|series` on disk."""
    return dumps({f"{name}|{series}": v for (name, series), v in values.items()})


def decode_gauge_values(t: int, text: str) -> GaugeValuesRow:
    """A second of gauge values (non-numbers skipped)."""
    out: dict[tuple[str, str], float] = {}
    for key, v in json.loads(text).items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            name, _, series = str(key).partition("|")
            out[(name, series)] = float(v)
    return GaugeValuesRow(t=t, values=out)


def encode_container_values(per: Mapping[str, ContainerValues]) -> str:
    """A second of container figures."""
    return dumps({name: asdict(v) for name, v in per.items()})


def decode_container_values(t: int, text: str) -> ContainerValuesRow:
    """A second of container figures."""

    def num(v: Any) -> float | None:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

    per = {
        str(name): ContainerValues(
            num(d.get("cpu_pct")), num(d.get("mem_pct")), num(d.get("mem_bytes")), str(d.get("state") or "")
        )
        for name, d in json.loads(text).items()
        if isinstance(d, dict)
    }
    return ContainerValuesRow(t=t, containers=per)


def encode_event(data: Mapping[str, Any]) -> str:
    """An event's fields."""
    return dumps(dict(data))


def decode_event(t: float, kind_text: str, text: str) -> EventRow:
    """An event. Its own `t` (a breach's crossing time, a container event's daemon time) wins over the
    time it was written; a breach's own `kind` (its transition) is kept as `transition`."""
    data = json.loads(text)
    data = data if isinstance(data, dict) else {"value": data}
    if "kind" in data:
        data.setdefault("transition", data["kind"])
        del data["kind"]
    kind = EventKind.parse(kind_text)
    if kind is EventKind.OTHER:
        data["kind_text"] = kind_text
    own_t = data.pop("t", None)
    when = float(own_t) if isinstance(own_t, int | float) else float(t)
    return EventRow(t=when, kind=kind, data=data, recorded_t=float(t))


def output_rows(lines: Iterable[OutputLine]) -> list[tuple[float, str, str]]:
    """Output lines as table rows."""
    return [(x.t, x.stream, x.text) for x in lines]
