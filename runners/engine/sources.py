"""The run's other sources (gauges of the system under test, containers): start, read, record, stop."""

from __future__ import annotations

from collections import deque
from typing import Any

from collectors.docker_collector import DockerCollector
from collectors.docker_config import DockerConfig
from collectors.docker_model import ContainerEvent, DockerSnapshot
from collectors.gauge_collector import GaugeCollector
from collectors.gauge_config import GaugesConfig
from collectors.gauges import GaugeSnapshot
from runners.engine.frame_assembly import GAUGE_HISTORY_S
from runners.record.journal import RunJournal
from runners.record.schema import ContainerValues, EventKind, GaugeValuesRow
from runners.record.store import RunRecorder


class RunSources:
    """Owns the collectors of one run; the engine calls it from its own thread only."""

    def __init__(self, gauges: GaugesConfig | None, docker: DockerConfig | None) -> None:
        self.gauges = GaugeCollector(gauges) if gauges is not None and gauges.source else None
        self.docker = DockerCollector(docker) if docker is not None and docker.enabled else None
        self._recorded_t = 0
        self._docker_state = ""
        # The gauge values as recorded: the live screen's history is the one a replay reads back.
        self.gauge_rows: deque[GaugeValuesRow] = deque(maxlen=GAUGE_HISTORY_S + 2)

    def start(self) -> None:
        """Start polling (each collector has its own threads)."""
        if self.gauges is not None:
            self.gauges.start()
        if self.docker is not None:
            self.docker.start()

    def stop(self) -> None:
        """Stop polling (bounded); the gauges' snapshot then says polling ended."""
        if self.gauges is not None:
            self.gauges.stop(2.0)
            self.gauges.mark_ended()
        if self.docker is not None:
            self.docker.stop(3.0)

    def values(self) -> dict[str, float | None]:
        """The sources' paths of the rules' values contract (None where data is stale or missing)."""
        values: dict[str, float | None] = {}
        if self.gauges is not None:
            values.update(self.gauges.values_for_rules())
        if self.docker is not None:
            values.update(self.docker.values_for_rules())
        return values

    def gauge_snapshot(self) -> GaugeSnapshot | None:
        """The gauges' latest snapshot, None when no gauges are configured."""
        return None if self.gauges is None else self.gauges.latest()

    def gauge_events(self, journal: RunJournal) -> list[str]:
        """Gauge health changes since the last tick, recorded at once; returns their lines for the log."""
        if self.gauges is None:
            return []
        lines = []
        for ev in self.gauges.drain_events():
            journal.event(EventKind.SOURCE_HEALTH, ev.as_dict(), commit=True, t=ev.t)
            lines.append(ev.describe())
        return lines

    def plan(self, planned_s: float | None) -> None:
        """Tell the collectors how long the run is planned to last (longer runs may poll less often)."""
        if self.gauges is not None:
            self.gauges.plan(planned_s)

    @property
    def tail_s(self) -> float:
        """Seconds the gauges keep polling after k6 ended (0 without gauges)."""
        return self.gauges.config.tail_s if self.gauges is not None else 0.0

    def docker_tick(self, journal: RunJournal) -> tuple[tuple[ContainerEvent, ...], DockerSnapshot | None]:
        """Container events since the last tick (recorded at once; this is their one consumer) and the snapshot."""
        if self.docker is None:
            return (), None
        events = tuple(self.docker.drain_events())
        for e in events:
            journal.event(EventKind.CONTAINER, {"text": e.describe(), "name": e.name, "action": e.action,
                                        "exit_code": e.exit_code, "detail": e.detail, "id": e.container_id},
                          commit=True, t=e.t)  # fmt: skip
        snap = self.docker.latest()
        if snap.state != self._docker_state:
            if self._docker_state:
                journal.event(
                    EventKind.DOCKER_STATE, {"text": f"docker {snap.state}: {snap.detail}"}, commit=True
                )
            self._docker_state = snap.state
        return events, snap

    def record(self, recorder: RunRecorder, now: float) -> None:
        """Once per second, the sources' values on the run's time axis (caller holds the journal lock)."""
        t = int(now)
        if t <= self._recorded_t:
            return
        self._recorded_t = t
        if self.gauges is not None:
            snap = self.gauges.latest()
            values = {r.key: r.value for r in snap.readings if r.state == "ok" and r.value is not None}
            if values:
                recorder.add_gauge_values(t, values)
                self.gauge_rows.append(GaugeValuesRow(t, values))
        if self.docker is not None:
            per = {c.name: ContainerValues(c.cpu_pct, c.mem_pct, c.mem_used, c.state)
                   for c in self.docker.latest().containers}  # fmt: skip
            if per:
                recorder.add_container_values(t, per)

    def summary(self) -> dict[str, Any]:
        """The `gauges`, `gauge_health` and `containers` keys of the JSON summary."""
        return {
            "gauges": self.gauges.summary() if self.gauges else {},
            "gauge_health": self.gauges.health() if self.gauges else {},
            "containers": self.docker.summary() if self.docker else {},
        }
