"""Container stats and events from the Docker Engine, read-only, on background threads that never block a reader."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import Any

import docker

from collectors.docker_config import DockerConfig
from collectors.docker_connection import DOCKER_ERRORS, classify, connect, decode_event
from collectors.docker_model import EVENT_ACTIONS, ContainerEvent, DockerSnapshot, SourceState
from collectors.docker_stats import FrameReading
from collectors.docker_streams import StatsStream, StatsStreams
from collectors.docker_tracking import Tracked

BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 5.0)
"""Waits between reconnection attempts; the last one repeats."""
EVENT_TRUST_S = 5.0
"""For this long after a container's event, listings do not override its state."""
CLOSE_ERRORS: tuple[type[BaseException], ...] = (*DOCKER_ERRORS, AttributeError)
"""Closing a stream whose socket is already gone may raise any of these."""


class DockerCollector:
    """Follows the selected containers: an events thread, a lister every ~2 s, one stats stream per container.

    A reconnect loop with back-off takes over whenever the daemon is gone. Readers call `latest()`,
    `drain_events()`, `summary()` and `values_for_rules()` from any thread; none of them does I/O.
    Access is read-only: the collector lists, inspects and reads stats, and never changes a container.
    """

    MAX_CONTAINERS = 200
    """Containers remembered at most; the longest-dead ones are forgotten first."""
    MAX_STREAMS = 100
    """Containers whose stats are streamed at most (one thread and one connection each)."""
    EVENT_BUFFER = 1000
    """Events kept for `drain_events` between two calls."""

    def __init__(self, config: DockerConfig, *, list_interval_s: float = 2.0) -> None:
        """Create the collector; nothing runs before `start()`.

        Args:
            config: Where the daemon is and which containers to follow.
            list_interval_s: Seconds between two container listings.
        """
        self.config = config
        self.list_interval_s = list_interval_s
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._state: SourceState = "connecting" if config.enabled else "disabled"
        self._detail = (
            f"connecting to {config.host}" if config.enabled else "turned off by [docker] enabled = false"
        )
        self._tracked: dict[str, Tracked] = {}
        self._streams = StatsStreams(self._on_frame, self.MAX_STREAMS)
        self._events: deque[ContainerEvent] = deque(maxlen=self.EVENT_BUFFER)
        self.dropped_events = 0
        self._events_stream: Any = None
        self._supervisor: threading.Thread | None = None
        self._connected_once = False
        self._down_since: float | None = None

    # ---- readers (any thread, no I/O) ----

    def latest(self) -> DockerSnapshot:
        """The current state of the source and every followed container, sorted by name."""
        with self._lock:
            containers = tuple(sorted((t.stats() for t in self._tracked.values()), key=lambda c: c.name))
            return DockerSnapshot(time.time(), self._state, self._detail, containers)

    def drain_events(self) -> list[ContainerEvent]:
        """The container events that arrived since the last call, oldest first."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
            return events

    def summary(self) -> dict[str, Any]:
        """The `containers` value of `--json-summary`: per container name, peaks, means, restarts, OOM kills, events."""
        with self._lock:
            result: dict[str, Any] = {}
            for tracked in sorted(self._tracked.values(), key=lambda t: t.name):
                key = tracked.name if tracked.name not in result else f"{tracked.name}@{tracked.id[:12]}"
                result[key] = tracked.summary()
            return result

    def values_for_rules(self) -> dict[str, float | None]:
        """Latest values for alert rules: `container.<name>.cpu_pct`, `.mem_pct`, `.mem_bytes`, `.restarts`.

        `restarts` counts restarts seen during this run; a value is None while unknown.
        """
        values: dict[str, float | None] = {}
        with self._lock:
            # A running container wins over a dead one that had the same name.
            for t in sorted(self._tracked.values(), key=lambda t: (t.running, t.t)):
                r = t.reading
                prefix = f"container.{t.name}"
                values[f"{prefix}.cpu_pct"] = r.cpu_pct if r else None
                values[f"{prefix}.mem_pct"] = r.mem_pct if r else None
                values[f"{prefix}.mem_bytes"] = float(r.mem_used) if r and r.mem_used is not None else None
                values[f"{prefix}.restarts"] = float(t.restarts_in_run)
        return values

    # ---- life cycle ----

    def start(self) -> None:
        """Start following in the background (does nothing when Docker is turned off in the config)."""
        if not self.config.enabled or self._supervisor is not None:
            return
        self._supervisor = threading.Thread(target=self._supervise, name="docker-supervisor", daemon=True)
        self._supervisor.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop every thread, waiting at most `timeout` seconds in all.

        Args:
            timeout: The bound on the whole stop (stats streams notice their flag within about a second).
        """
        deadline = time.monotonic() + timeout
        self._stopping.set()
        self._close_events_stream()
        threads = self._streams.stop_all(close=True)
        for thread in [self._supervisor, *threads]:
            if thread is not None:
                thread.join(max(0.0, deadline - time.monotonic()))

    # ---- the connection and its threads ----

    def _set_state(self, state: SourceState, detail: str) -> None:
        with self._lock:
            self._state, self._detail = state, detail

    def _supervise(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            try:
                client = connect(self.config.host, self.MAX_STREAMS + 8)
            except DOCKER_ERRORS as exc:
                self._went_down(exc)
                self._stopping.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                continue
            attempt = 0
            try:
                self._follow(client)
            except DOCKER_ERRORS as exc:
                self._went_down(exc)
            finally:
                self._disconnect(client)

    def _went_down(self, exc: BaseException) -> None:
        state, detail = classify(exc, self.config.host, self._connected_once)
        if self._down_since is None and self._connected_once:
            self._down_since = time.time()
        if self._down_since is not None:
            detail += f" (down since {time.strftime('%H:%M:%S', time.localtime(self._down_since))})"
        with self._lock:
            self._state, self._detail = state, detail
            for tracked in self._tracked.values():
                tracked.clear_metrics()

    def _follow(self, client: docker.DockerClient) -> None:
        """List and stream until the daemon goes away (raises) or the collector stops (returns)."""
        filters: dict[str, Any] = {
            "type": "container",
            "event": list(EVENT_ACTIONS),
            **self.config.list_filters(),
        }
        # Per connection: a reader of the previous one that ends late must not end this one.
        ended = threading.Event()
        stream = client.api.events(decode=True, filters=filters)
        self._events_stream = stream
        threading.Thread(
            target=self._read_events, args=(client, stream, ended), name="docker-events", daemon=True
        ).start()
        detail = f"connected to {self.config.host} (API {client.api.api_version})"
        if self._down_since is not None:
            detail += f"; back after {time.time() - self._down_since:.0f} s down"
            self._down_since = None
        with self._lock:
            for tracked in self._tracked.values():
                tracked.inspected = False  # refresh restart counts and OOM flags missed while away
        first = True
        while not self._stopping.is_set():
            self._list_once(client)
            if first:
                self._set_state("ok", detail)
                self._connected_once, first = True, False
            if ended.wait(self.list_interval_s) and not self._stopping.is_set():
                raise ConnectionError("its event stream ended (dockerd shutting down?)")

    def _disconnect(self, client: docker.DockerClient) -> None:
        self._close_events_stream()
        self._streams.stop_all()
        with contextlib.suppress(*DOCKER_ERRORS):
            client.close()

    def _close_events_stream(self) -> None:
        stream, self._events_stream = self._events_stream, None
        if stream is not None:
            with contextlib.suppress(*CLOSE_ERRORS):
                stream.close()

    def _read_events(self, client: docker.DockerClient, stream: Any, ended: threading.Event) -> None:
        try:
            for raw in stream:
                event = decode_event(raw)
                if event is not None:
                    self._on_event(client, event, raw)
        except DOCKER_ERRORS:
            pass
        finally:
            ended.set()

    def _on_event(self, client: docker.DockerClient, event: ContainerEvent, raw: dict[str, Any]) -> None:
        attributes = (raw.get("Actor") or {}).get("Attributes") or {}
        if not self.config.selects(event.name, attributes):
            return
        with self._lock:
            tracked = self._tracked.get(event.container_id)
            if tracked is None:
                if event.action not in ("create", "start"):
                    return
                tracked = self._track(
                    event.container_id, event.name, str(attributes.get("image", "")), "created"
                )
            tracked.apply_event(event, time.monotonic())
            if event.action != "create":
                if len(self._events) == self._events.maxlen:
                    self.dropped_events += 1
                self._events.append(event)
        if event.action in ("start", "unpause"):
            self._streams.ensure(client, event.container_id)
        elif event.action in ("die", "destroy"):
            self._streams.stop(event.container_id)
            if event.action == "die":
                # The OOM flag, when the kernel sent no oom event (cgroup v2 may not).
                with contextlib.suppress(*DOCKER_ERRORS):
                    self._inspect(client, event.container_id)

    # ---- listing and inspecting ----

    def _track(self, cid: str, name: str, image: str, state: str) -> Tracked:
        """Add a container (lock held), forgetting the longest-dead one when over the cap."""
        if len(self._tracked) >= self.MAX_CONTAINERS:
            dead = [t for t in self._tracked.values() if not t.running]
            if dead:
                del self._tracked[min(dead, key=lambda t: t.t).id]
        tracked = Tracked(cid, name, image, state, time.time())
        self._tracked[cid] = tracked
        return tracked

    def _list_once(self, client: docker.DockerClient) -> None:
        started = time.monotonic()
        entries = client.api.containers(all=True, filters=self.config.list_filters())
        listed: set[str] = set()
        with self._lock:
            for entry in entries:
                cid = str(entry.get("Id", ""))
                name = str((entry.get("Names") or ["/"])[0]).lstrip("/")
                if not cid or not self.config.selects(name, entry.get("Labels")):
                    continue
                listed.add(cid)
                tracked = self._tracked.get(cid)
                if tracked is None:
                    if entry.get("State") not in ("running", "paused", "restarting"):
                        continue  # only containers alive at some point of the run join the pane
                    tracked = self._track(cid, name, str(entry.get("Image", "")), str(entry.get("State")))
                tracked.name = name
                # dockerd sends `die` before it records the exit, so a list right after it may still say
                # running: recent events win, the list only mends what events missed (a reconnect).
                if started - tracked.last_event_mono > EVENT_TRUST_S:
                    tracked.apply_list_entry(entry)
            for tracked in self._tracked.values():
                recent = started - tracked.last_event_mono <= EVENT_TRUST_S
                if tracked.id not in listed and tracked.state != "removed" and not recent:
                    tracked.state, tracked.status_text = "removed", "Removed"
                    tracked.clear_metrics()
            pending = [t.id for t in self._tracked.values() if not t.inspected and t.state != "removed"]
            running = [t.id for t in self._tracked.values() if t.running]
        for cid in pending:
            self._inspect(client, cid)
        for cid in running:
            self._streams.ensure(client, cid)

    def _inspect(self, client: docker.DockerClient, cid: str) -> None:
        """One inspect per container when first seen, after a death and after a reconnect (never per tick)."""
        try:
            attrs = client.api.inspect_container(cid)
        except docker.errors.NotFound:
            return
        with self._lock:
            tracked = self._tracked.get(cid)
            if tracked is not None:
                tracked.apply_inspect(attrs)

    def _on_frame(
        self, cid: str, stream: StatsStream, reading: FrameReading, frame_rates: tuple[float | None, ...]
    ) -> None:
        with self._lock:
            tracked = self._tracked.get(cid)
            # A frame read just before a die event must not bring back numbers of a dead container.
            if tracked is not None and not stream.stop and tracked.running:
                tracked.apply_frame(reading, frame_rates, time.time())
