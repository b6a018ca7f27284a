"""The push receiver: pushes land in the inbox, bad ones are counted and said, dropped connections are quiet."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import httpx
import pytest

from runners.k6.push_model import Kind, SeriesDelta
from runners.k6.push_receiver import MAX_BODY, PushReceiver


def decode(body: bytes, _enc: str, now: float) -> list[SeriesDelta]:
    if body == b"bad":
        raise ValueError("not a push")
    return [SeriesDelta("http_reqs", (), Kind.COUNTER, now, value=float(len(body)))]


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    rx = PushReceiver(decode)
    rx.start()
    yield rx
    rx.stop()


def test_a_push_lands_in_the_inbox_and_a_bad_one_is_counted(receiver: PushReceiver) -> None:
    url = f"http://127.0.0.1:{receiver.port}/v1/metrics"
    with httpx.Client(timeout=5) as client:
        assert client.post(url, content=b"12345").status_code == 200
        assert client.post(url, content=b"bad").status_code == 400
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:  # refused unread
        sock.sendall(
            f"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n".encode()
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    [delta] = receiver.inbox.take()
    assert delta.value == 5.0 and receiver.inbox.pushes == 1
    assert receiver.inbox.bad_pushes == 1 and "not a push" in receiver.inbox.last_error


def test_a_connection_dropped_mid_request_prints_nothing(
    receiver: PushReceiver, capfd: pytest.CaptureFixture[str]
) -> None:
    # k6 drops its keep-alive connection as it exits; the server's default was a traceback on stderr,
    # drawn over the screen.
    sock = socket.create_connection(("127.0.0.1", receiver.port))
    sock.sendall(b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    sock.close()
    time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err
    assert receiver.inbox.pushes == 0
