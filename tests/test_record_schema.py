"""The typed record: what the writer stores is read back as the same types, and older records stay readable."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest

from runners.model.frames import Frame, OutputLine, Percentiles, SecondPoint
from runners.model.run_view import FrameParts
from runners.record.reader import RecordReader, RecordReadError
from runners.record.schema import DB_NAME, ContainerValues, EventKind, SeriesKind
from runners.record.store import RunRecorder

T0 = 1_700_000_000


def _point(t: int) -> SecondPoint:
    return SecondPoint(t=t, requests=10, failed=1, iterations=5, data_sent=1.5, data_received=2.5, checks_pass=3,
                       checks_fail=0, vus=4.0, latency=Percentiles(1.0, 2.0, 3.0, 4.0, 5.0),
                       window=Percentiles(p95=3.5))  # fmt: skip


def test_what_the_writer_stores_reads_back_as_the_same_types(tmp_path: Path) -> None:
    rec = RunRecorder(tmp_path)
    rec.set_meta(name="unit", started_at=T0, window_s=5, custom={"a": 1})
    rec.add_seconds([_point(T0), _point(T0 + 1)])
    rec.add_histograms([(T0, {10: 2, 11: 3}), (T0 + 1, {10: 1})])
    rec.add_gauge_values(T0, {("db_pool", ""): 50.0, ("cpu", "api-1"): 30.0})
    rec.add_container_values(T0, {"api": ContainerValues(40.0, 20.0, 2e8, "running")})
    rec.add_event(EventKind.MARK, {"note": "scaled", "elapsed_s": 1.25, "by": "user"}, t=T0 + 1.25)
    rec.add_event(
        EventKind.BREACH, {"t": T0 + 1.5, "rule": "r", "kind": "firing", "level": "critical"}, t=T0 + 2
    )
    rec.add_output([OutputLine(T0 + 0.5, "stdout", "hello")])
    rec.close()
    with RecordReader(tmp_path) as reader:
        meta = reader.meta()
        assert (meta.name, meta.started_at, meta.window_s, meta.get("custom")) == ("unit", T0, 5, {"a": 1})
        assert reader.seconds() == [_point(T0), _point(T0 + 1)]
        assert reader.count_seconds() == 2
        assert reader.merged_histogram() == {10: 3, 11: 3}
        (gauges,) = reader.gauge_values()
        assert gauges.values == {("db_pool", ""): 50.0, ("cpu", "api-1"): 30.0}
        (boxes,) = reader.container_values()
        assert boxes.containers["api"] == ContainerValues(40.0, 20.0, 2e8, "running")
        mark, breach = reader.events()
        assert mark.kind is EventKind.MARK and mark.mark(T0).note == "scaled" and mark.t == T0 + 1.25
        # A breach's own time (its tick) wins over when it was written; its transition is kept.
        assert breach.kind is EventKind.BREACH and breach.t == T0 + 1.5 and breach.transition == "firing"
        assert [e.kind for e in reader.events(EventKind.MARK)] == [EventKind.MARK]
        assert reader.output() == [OutputLine(T0 + 0.5, "stdout", "hello")]


def test_a_record_written_before_the_schema_reads_the_same(tmp_path: Path) -> None:
    # The on-disk form of earlier versions: JSON rows under the series names, an event kind unknown here.
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE series (source TEXT NOT NULL, t INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (source, t));
        CREATE TABLE events (id INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
        CREATE TABLE output (id INTEGER PRIMARY KEY, t REAL NOT NULL, stream TEXT NOT NULL, text TEXT NOT NULL);
    """)
    db.execute("INSERT INTO meta VALUES ('started_at', ?)", (json.dumps(T0),))
    db.execute("INSERT INTO series VALUES ('gauges', ?, ?)", (T0, json.dumps({"db_pool|": 50, "x|a": "NaN"})))
    db.execute("INSERT INTO series VALUES ('containers', ?, ?)",
               (T0, json.dumps({"api": {"cpu_pct": 40.0, "mem_pct": None, "mem_bytes": 2e8}})))  # fmt: skip
    db.execute(
        "INSERT INTO events (t, kind, data) VALUES (?, 'future_kind', ?)", (T0 + 3, json.dumps({"text": "x"}))
    )
    db.commit()
    db.close()
    with RecordReader(tmp_path) as reader:
        assert reader.meta().window_s == 10 and reader.meta().status == "unknown"
        assert reader.gauge_values()[0].values == {("db_pool", ""): 50.0}
        assert reader.container_values()[0].containers["api"] == ContainerValues(40.0, None, 2e8, "")
        (event,) = reader.events()
        assert event.kind is EventKind.OTHER and event.as_dict()["kind"] == "future_kind"
        assert reader.seconds() == []
        assert reader.metric_seconds() == []  # kept only since records hold every metric's series


def test_not_a_run_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordReadError, match="not a run folder"):
        RecordReader(tmp_path)


def test_every_series_kind_has_a_reader() -> None:
    # A new kind needs its reader method; this keeps the list and the reader in step.
    readers = {"k6": "seconds", "k6_hist": "histograms", "gauges": "gauge_values",
               "containers": "container_values", "tick": "ticks", "k6_metrics": "metric_seconds"}  # fmt: skip
    assert {k.value for k in SeriesKind} == set(readers)
    assert all(hasattr(RecordReader, m) for m in readers.values())


def test_every_frame_field_is_recorded_or_assembled() -> None:
    # A new pane's field goes into FrameParts (recorded, so replay shows it) or is named here on purpose.
    assembled = {"seq", "wall_t", "run_name", "started_at", "run_dir", "series", "gauge_history", "new_output",
                 "container_events", "bell", "replay", "rewound", "playback"}  # fmt: skip
    frame = {f.name for f in dataclasses.fields(Frame)}
    parts = {f.name for f in dataclasses.fields(FrameParts)}
    assert frame - parts == assembled
    assert parts - frame == {"series_end"}
