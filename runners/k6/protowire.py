"""A minimal Protocol Buffers wire-format reader: enough to decode remote-write and OTLP pushes."""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
_DOUBLE = struct.Struct("<d")
_Q = struct.Struct("<Q")


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    n = len(buf)
    while True:
        if i >= n:
            raise WireError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise WireError("varint too long")


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Each field of one message, in wire order.

    Args:
        buf: the message's bytes.

    Returns:
        An iterator of (field number, wire type, value): an int for varint and fixed-width fields (the raw
        bits; see `as_double`), bytes for length-delimited ones.

    Raises:
        WireError: on truncated or malformed input.
    """
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, i = _varint(buf, i)
            yield number, wire, value
        elif wire == LEN:
            size, i = _varint(buf, i)
            if i + size > n:
                raise WireError("truncated field")
            yield number, wire, buf[i : i + size]
            i += size
        elif wire == FIXED64:
            if i + 8 > n:
                raise WireError("truncated fixed64")
            yield number, wire, _Q.unpack_from(buf, i)[0]
            i += 8
        elif wire == FIXED32:
            if i + 4 > n:
                raise WireError("truncated fixed32")
            yield number, wire, int.from_bytes(buf[i : i + 4], "little")
            i += 4
        else:
            raise WireError(f"unsupported wire type {wire}")


def as_double(bits: int | bytes) -> float:
    """The double whose IEEE-754 bits a fixed64 field carried."""
    if isinstance(bits, bytes):
        raise WireError("expected a fixed64 field")
    value: float = _DOUBLE.unpack(_Q.pack(bits))[0]
    return value


def as_int(value: int | bytes) -> int:
    """A varint or fixed field's integer."""
    if isinstance(value, bytes):
        raise WireError("expected a scalar field")
    return value


def as_bytes(value: int | bytes) -> bytes:
    """A length-delimited field's bytes."""
    if not isinstance(value, bytes):
        raise WireError("expected a length-delimited field")
    return value


def zigzag(value: int | bytes) -> int:
    """A sint32/sint64 field's signed value."""
    v = as_int(value)
    return (v >> 1) ^ -(v & 1)


def signed64(value: int | bytes) -> int:
    """An int64/sfixed64 field's signed value (two's complement of the raw 64 bits)."""
    v = as_int(value)
    return v - (1 << 64) if v >= 1 << 63 else v


def packed_varints(value: int | bytes) -> list[int]:
    """A packed repeated varint field; a single unpacked element is accepted too."""
    if not isinstance(value, bytes):
        return [value]
    out: list[int] = []
    i, n = 0, len(value)
    while i < n:
        v, i = _varint(value, i)
        out.append(v)
    return out


def packed_fixed64(value: int | bytes) -> list[int]:
    """A packed repeated fixed64 field (raw bits); a single unpacked element is accepted too."""
    if not isinstance(value, bytes):
        return [value]
    if len(value) % 8:
        raise WireError("packed fixed64 of odd length")
    return list(struct.unpack(f"<{len(value) // 8}Q", value))


def packed_doubles(value: int | bytes) -> list[float]:
    """A packed repeated double field."""
    if not isinstance(value, bytes):
        return [as_double(value)]
    if len(value) % 8:
        raise WireError("packed double of odd length")
    return list(struct.unpack(f"<{len(value) // 8}d", value))
