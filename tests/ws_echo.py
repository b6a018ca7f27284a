"""A WebSocket echo server on 127.0.0.1 (a free port), in a thread, for k6's `k6/ws` tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.components import missing


@contextmanager
def ws_echo_server() -> Iterator[str]:
    """Serve until the block ends; yields the `ws://127.0.0.1:PORT/echo` URL."""
    try:
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.server import ServerConnection, serve
    except ImportError:
        missing("websockets", "not installed (a dev extra: pip install -e '.[dev]')")
        raise

    def echo(conn: ServerConnection) -> None:
        try:
            for message in conn:
                conn.send(message)
        except ConnectionClosed:
            pass

    server = serve(echo, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="ws-echo", daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/echo"
    finally:
        server.shutdown()
        thread.join(5)
