"""The session wire format: every message survives a round trip; bad input closes, never crashes."""

from __future__ import annotations

import socket
import struct

import pytest

from runners.session.protocol import (
    MAX_MESSAGE,
    VERSION,
    AddMark,
    FrameMsg,
    Hello,
    MessageReader,
    ProtocolError,
    Reply,
    Stop,
    encode,
)
from tests.endpoint_frames import endpoint_frame
from tests.tui_support import build_frame


def _pair() -> tuple[socket.socket, MessageReader]:
    a, b = socket.socketpair()
    return a, MessageReader(b)


def test_a_whole_frame_round_trips_typed() -> None:
    frame = endpoint_frame(151)
    a, reader = _pair()
    a.sendall(encode(FrameMsg(frame)))
    got = reader.read()
    assert isinstance(got, FrameMsg)
    assert got.frame == frame  # every nested dataclass, enum and tuple comes back as it was
    assert got.frame.series and got.frame.series[0].latency == frame.series[0].latency


def test_commands_and_replies_round_trip_split_across_reads() -> None:
    a, reader = _pair()
    data = b"".join(encode(m) for m in (Hello(VERSION, "me on tty"), Stop(req=3, hard=True, reason="abort key"),
                                          AddMark(req=4, note="deploy"), Reply(req=4, ok=False, error="no")))  # fmt: skip
    for i in range(0, len(data), 7):  # a stream delivers bytes in arbitrary pieces
        a.sendall(data[i : i + 7])
    assert reader.read() == Hello(VERSION, "me on tty")
    assert reader.read() == Stop(req=3, hard=True, reason="abort key")
    assert reader.read() == AddMark(req=4, note="deploy")
    assert reader.read() == Reply(req=4, ok=False, error="no")
    a.close()
    assert reader.read() is None


def test_oversized_and_garbled_messages_are_protocol_errors() -> None:
    a, reader = _pair()
    a.sendall(struct.pack(">I", MAX_MESSAGE + 1))
    with pytest.raises(ProtocolError, match="over"):
        reader.read()
    a, reader = _pair()
    a.sendall(struct.pack(">I", 3) + b"\xc1\xc1\xc1")
    with pytest.raises(ProtocolError, match="undecodable"):
        reader.read()


def test_a_frame_with_fifteen_minutes_of_history_stays_small() -> None:
    frame = build_frame(1800)  # 900 s of series (the scripted run keeps 300)
    size = len(encode(FrameMsg(frame)))
    assert size < 1_000_000, size
