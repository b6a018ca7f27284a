"""Snappy block-format decompression (what Prometheus remote write sends), in plain Python.

Pushes are a few kilobytes once a second, so a small pure decoder costs less than a dependency.
"""

from __future__ import annotations

MAX_OUTPUT = 64 << 20  # a remote-write push of more than this is refused, not allocated


class SnappyError(ValueError):
    """The bytes are not a valid snappy block."""


class TooLarge(SnappyError):
    """The block unpacks to more than MAX_OUTPUT: refused before anything is allocated."""


def _preamble(data: bytes) -> tuple[int, int]:
    length = shift = i = 0
    while True:
        if i >= len(data) or shift > 28:
            raise SnappyError("bad length preamble")
        b = data[i]
        i += 1
        length |= (b & 0x7F) << shift
        if b < 0x80:
            return length, i
        shift += 7


def decompress(data: bytes) -> bytes:
    """Decompress one snappy block.

    Args:
        data: the compressed block (no framing).

    Returns:
        The original bytes.

    Raises:
        SnappyError: on malformed input (TooLarge: a declared length over MAX_OUTPUT).
    """
    length, i = _preamble(data)
    if length > MAX_OUTPUT:
        raise TooLarge(f"a push of {length / 1e6:.0f} MB unpacked, over the {MAX_OUTPUT / 1e6:.0f} MB taken")
    out = bytearray()
    n = len(data)
    while i < n:
        tag = data[i]
        i += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(data[i : i + extra], "little")
                i += extra
            size += 1
            if i + size > n:
                raise SnappyError("literal runs past the input")
            out += data[i : i + size]
            i += size
            continue
        if kind == 1:
            size = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[i]
            i += 1
        elif kind == 2:
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[i : i + 2], "little")
            i += 2
        else:
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[i : i + 4], "little")
            i += 4
        if offset == 0 or offset > len(out):
            raise SnappyError("copy offset out of range")
        start = len(out) - offset
        if size <= offset:
            out += out[start : start + size]
        else:  # overlapping copy repeats the last `offset` bytes
            chunk = out[start:]
            while size > 0:
                piece = chunk[:size]
                out += piece
                size -= len(piece)
    if len(out) != length:
        raise SnappyError(f"decompressed {len(out)} bytes, expected {length}")
    return bytes(out)
