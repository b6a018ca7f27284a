"""One streaming stats thread per followed container; each stops itself on a flag, a zeroed frame or an error."""

from __future__ import annotations

import threading
from collections.abc import Callable

import docker

from collectors.docker_connection import DOCKER_ERRORS
from collectors.docker_stats import ZERO_TIME_PREFIX, FrameReading, rates, read_frame


class StatsStream:
    """One container's stream: a stats generator cannot be closed from another thread, so it checks `stop`."""

    __slots__ = ("stop", "thread")

    def __init__(self) -> None:
        """A stream not stopped yet, with no thread yet."""
        self.stop = False
        self.thread: threading.Thread | None = None


FrameSink = Callable[[str, StatsStream, FrameReading, tuple[float | None, ...]], None]
"""Receives (container id, its stream, the frame's reading, its rates) on the stream's thread."""


class StatsStreams:
    """The stats threads: the daemon samples every second and sends a frame; here they are only decoded."""

    def __init__(self, sink: FrameSink, limit: int) -> None:
        """Create the set, empty.

        Args:
            sink: Called with every frame; it should check `stream.stop` under its own lock before using it.
            limit: Streams at most (each holds a thread and a connection).
        """
        self._sink = sink
        self._limit = limit
        self._lock = threading.Lock()
        self._streams: dict[str, StatsStream] = {}
        self._closed = False

    def __len__(self) -> int:
        """How many streams run."""
        with self._lock:
            return len(self._streams)

    def ensure(self, client: docker.DockerClient, cid: str) -> None:
        """Start streaming a container unless it already streams, the limit is reached or the set is closed.

        Args:
            client: The connected client.
            cid: The container id.
        """
        with self._lock:
            if self._closed or cid in self._streams or len(self._streams) >= self._limit:
                return
            stream = StatsStream()
            self._streams[cid] = stream
        stream.thread = threading.Thread(
            target=self._read, args=(client, cid, stream), name=f"docker-stats-{cid[:12]}", daemon=True
        )
        stream.thread.start()

    def stop(self, cid: str) -> None:
        """Ask a container's stream to end (within about a second, at its next frame)."""
        with self._lock:
            stream = self._streams.pop(cid, None)
        if stream is not None:
            stream.stop = True

    def stop_all(self, *, close: bool = False) -> list[threading.Thread]:
        """Ask every stream to end.

        Args:
            close: Refuse new streams from now on (the collector is stopping).

        Returns:
            The threads, to join with a deadline.
        """
        with self._lock:
            self._closed = self._closed or close
            streams = list(self._streams.values())
            self._streams.clear()
        for stream in streams:
            stream.stop = True
        return [s.thread for s in streams if s.thread is not None]

    def _read(self, client: docker.DockerClient, cid: str, stream: StatsStream) -> None:
        previous: FrameReading | None = None
        try:
            for frame in client.api.stats(cid, stream=True, decode=True):
                if stream.stop:
                    break
                if str(frame.get("read", "")).startswith(ZERO_TIME_PREFIX):
                    break  # not running: the daemon would send zeroed frames forever
                reading = read_frame(frame)
                self._sink(cid, stream, reading, rates(previous, reading))
                previous = reading
        except DOCKER_ERRORS:
            pass  # the lister restarts it if the container still runs; the supervisor notices a lost daemon
        finally:
            with self._lock:
                if self._streams.get(cid) is stream:
                    del self._streams[cid]
