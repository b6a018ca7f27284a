"""The bundled demo target: an HTTP service on 127.0.0.1 whose latency and DB pool suffer under load."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType

from runners.demo.app import DemoApp
from runners.demo.http_util import MAX_HEADER_BYTES

HOST = "127.0.0.1"  # never 0.0.0.0: the demo is for this box only
DEFAULT_POOL_SIZE = 20
DEFAULT_POOL_TIMEOUT_S = 0.25
DEFAULT_READ_TIMEOUT_S = 15.0
DEFAULT_MAX_CONNECTIONS = 512
SHUTDOWN_GRACE_S = 2.0


async def serve(app: DemoApp, port: int, ready: Callable[[int], None], stop: asyncio.Event) -> None:
    """Listen on 127.0.0.1 and serve `app` until `stop` is set, then close every connection.

    Args:
        app: The service.
        port: Port to bind; 0 picks a free one.
        ready: Called with the bound port once the socket listens.
        stop: Set it to shut down.
    """
    server = await asyncio.start_server(
        app.serve_connection, HOST, port, limit=MAX_HEADER_BYTES, backlog=1024
    )
    try:
        ready(int(server.sockets[0].getsockname()[1]))
        await stop.wait()
    finally:
        server.close()
        connections = list(app.connections.items())
        for _, writer in connections:
            writer.close()  # idle readers see EOF at once; busy handlers fail their next write
        if connections:
            tasks = [task for task, _ in connections]
            _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SHUTDOWN_GRACE_S):
                await server.wait_closed()


class DemoTarget:
    """The demo target running on its own event loop in a background thread."""

    def __init__(
        self,
        pool_size: int = DEFAULT_POOL_SIZE,
        pool_timeout_s: float = DEFAULT_POOL_TIMEOUT_S,
        port: int = 0,
        *,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        """Configure the target; nothing listens until `start()`.

        Args:
            pool_size: DB pool connections.
            pool_timeout_s: Wait for a pool connection before answering 503.
            port: Port on 127.0.0.1; 0 picks a free one.
            read_timeout_s: Deadline to receive a whole request, keep-alive idle time included.
            max_connections: Open client connections allowed.
        """
        if not 0 <= port <= 65535 or read_timeout_s <= 0 or max_connections < 1:
            raise ValueError("invalid port, read timeout or connection limit")
        self.app = DemoApp(pool_size, pool_timeout_s, read_timeout_s, max_connections)
        self._port_wanted = port
        self._port: int | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_requested = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 5.0) -> int:
        """Start serving in a background thread.

        Args:
            timeout_s: How long to wait for the socket to listen.

        Returns:
            The bound port.

        Raises:
            RuntimeError: Already started, or the server could not start in time.
        """
        if self._thread is not None:
            raise RuntimeError("DemoTarget can only be started once")
        self._thread = threading.Thread(target=self._run, name="demo-target", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s) or self._port is None:
            self.stop()
            raise RuntimeError(f"demo target did not start: {self._error or 'timed out'}") from self._error
        return self._port

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start(); a thread must not die silently
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            if self._stop_requested:
                self._stop.set()
        await serve(self.app, self._port_wanted, self._on_ready, self._stop)

    def _on_ready(self, port: int) -> None:
        self._port = port
        self._ready.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close the listener and every connection, and join the thread (idempotent).

        Args:
            timeout_s: Longest wait for the thread to end.
        """
        with self._lock:
            self._stop_requested = True
            loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def port(self) -> int:
        """The bound port (after `start()`)."""
        if self._port is None:
            raise RuntimeError("DemoTarget is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8000`."""
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> DemoTarget:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


async def _serve_until_signal(app: DemoApp, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, port, lambda bound: print(f"LISTENING http://{HOST}:{bound}", flush=True), stop)


def main(argv: list[str] | None = None) -> int:
    """Run the demo target in the foreground until SIGTERM or SIGINT.

    Prints exactly one stdout line, `LISTENING http://127.0.0.1:PORT`, once the socket listens.

    Args:
        argv: Arguments (default: `sys.argv[1:]`).

    Returns:
        Exit status: 0 after a signal, 1 if the port cannot be bound.
    """
    parser = argparse.ArgumentParser(prog="python -m runners.demo.target", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE, help="DB pool connections")
    parser.add_argument(
        "--pool-timeout", type=float, default=DEFAULT_POOL_TIMEOUT_S, help="seconds to wait for the pool"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535 or args.pool_size < 1 or not args.pool_timeout > 0:
        parser.error("--port must be 0..65535, --pool-size >= 1 and --pool-timeout > 0")
    app = DemoApp(args.pool_size, args.pool_timeout, DEFAULT_READ_TIMEOUT_S, DEFAULT_MAX_CONNECTIONS)
    try:
        asyncio.run(_serve_until_signal(app, args.port))
    except OSError as exc:
        print(f"demo target: cannot listen on {HOST}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
