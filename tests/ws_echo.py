"""A WebSocket echo server on 127.0.0.1 (standard library only), for recording and running k6 WebSocket tests.

Usage: .venv/bin/python -m tests.ws_echo  (prints its ws:// URL, serves until interrupted)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    opcode, masked, size = head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", await reader.readexactly(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", await reader.readexactly(8))[0]
    mask = await reader.readexactly(4) if masked else b"\0\0\0\0"
    data = await reader.readexactly(size)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _frame(opcode: int, data: bytes) -> bytes:
    size = len(data)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + data


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + _GUID, usedforsecurity=False).digest())  # RFC 6455
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")  # fmt: skip
        while True:
            opcode, data = await _read_frame(reader)
            if opcode == 8:  # close: answer it and end
                writer.write(_frame(8, data[:2]))
                break
            writer.write(_frame(10 if opcode == 9 else opcode, data))  # ping -> pong, else echo
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, StopIteration, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


@contextmanager
def ws_echo() -> Iterator[str]:
    """Serve WebSocket echo on a free 127.0.0.1 port in a thread.

    Yields:
        The server's `ws://127.0.0.1:PORT/` URL.
    """
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(_serve, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, name="ws-echo", daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


if __name__ == "__main__":
    with ws_echo() as url:
        print(url, flush=True)
        threading.Event().wait()
