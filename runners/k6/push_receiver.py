"""An HTTP receiver on 127.0.0.1 for k6's push outputs (remote write, OTLP/HTTP), feeding a PushInbox."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from runners.k6.otlp import OtlpDecoder
from runners.k6.push_model import PushInbox, SeriesDelta
from runners.k6.remote_write import RemoteWriteDecoder, decode_write_request
from runners.k6.snappy import TooLarge

MAX_BODY = 64 << 20
Decode = Callable[[bytes, str, float], list[SeriesDelta]]


def remote_write_decoder() -> Decode:
    """A decode function for remote-write bodies (keeps the series' previous values)."""
    dec = RemoteWriteDecoder()
    return lambda body, _enc, now: dec.deltas(decode_write_request(body), now)


def otlp_decoder() -> Decode:
    """A decode function for OTLP/HTTP protobuf bodies."""
    dec = OtlpDecoder()
    return lambda body, enc, _now: dec.decode(body, enc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: k6 reuses one connection for every push
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self._answer(400, b"bad length")
            return
        body = self.rfile.read(length)
        srv = self.server
        t0 = time.thread_time()
        try:
            with srv.decode_lock:
                deltas = srv.decode(body, self.headers.get("Content-Encoding", ""), time.time())
        except (ValueError, IndexError) as exc:
            # A push too big to take comes from k6 holding too many series: say what to do about it.
            hint = (" (k6 pushes every tag set it has seen: many distinct URLs or tag values need json, or a "
                    "`name` tag)") if isinstance(exc, TooLarge) else ""  # fmt: skip
            srv.inbox.reject(f"{type(exc).__name__}: {exc}{hint}")
            self._answer(400, b"cannot decode")
            return
        srv.decode_cpu_s += time.thread_time() - t0
        srv.inbox.put(deltas, len(body))
        self._answer(200, b"", "application/x-protobuf")

    def _answer(self, code: int, body: bytes, ctype: str = "text/plain") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a connection k6 keeps open must not hold up the stop

    def __init__(self, decode: Decode, inbox: PushInbox) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.decode = decode
        self.inbox = inbox
        self.decode_lock = threading.Lock()
        self.decode_cpu_s = 0.0

    def handle_error(self, request: object, client_address: object) -> None:
        """A connection that failed outside a push's decoding: never a traceback on the terminal."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return  # k6 dropped its keep-alive connection as it exited: nothing was lost
        self.inbox.reject(f"{type(exc).__name__}: {exc}")


class PushReceiver:
    """Listens on a free 127.0.0.1 port until stopped; every push lands in `inbox`."""

    def __init__(self, decode: Decode, inbox: PushInbox | None = None) -> None:
        self.inbox = inbox or PushInbox()
        self._server = _Server(decode, self.inbox)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,), name="k6-push",
                                        daemon=True)  # fmt: skip

    @property
    def decode_cpu_s(self) -> float:
        """CPU seconds spent decoding pushes so far."""
        return self._server.decode_cpu_s

    def start(self) -> None:
        """Start serving in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (bounded by the serve loop's 0.2 s poll)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(2.0)
        self._server.server_close()
