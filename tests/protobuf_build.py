"""A tiny protobuf writer for tests: builds remote-write and OTLP bodies field by field."""

from __future__ import annotations

import struct


def varint(v: int) -> bytes:
    """An unsigned varint (negative values as 64-bit two's complement)."""
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zz(v: int) -> int:
    """Zigzag-encode a signed value."""
    return (v << 1) ^ (v >> 63)


def f_varint(n: int, v: int) -> bytes:
    """A varint field."""
    return varint(n << 3) + varint(v)


def f_bytes(n: int, v: bytes | str) -> bytes:
    """A length-delimited field."""
    raw = v.encode() if isinstance(v, str) else v
    return varint(n << 3 | 2) + varint(len(raw)) + raw


def f_double(n: int, v: float) -> bytes:
    """A double field."""
    return varint(n << 3 | 1) + struct.pack("<d", v)


def f_fixed64(n: int, v: int) -> bytes:
    """A fixed64 field."""
    return varint(n << 3 | 1) + struct.pack("<Q", v)


def snappy_literal(raw: bytes) -> bytes:
    """A valid snappy block holding `raw` as literals only (chunks of up to 60 bytes)."""
    out = bytearray(varint(len(raw)))
    for i in range(0, len(raw), 60):
        chunk = raw[i : i + 60]
        out.append((len(chunk) - 1) << 2)
        out += chunk
    return bytes(out)
