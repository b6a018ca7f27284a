"""The push transports' readers: snappy, the protobuf wire format, remote write and OTLP, folded to seconds."""

from __future__ import annotations

import math

import pytest

from runners.k6 import protowire as pw
from runners.k6.otlp import OtlpDecoder
from runners.k6.push_fold import expand, fold_deltas, tags_json
from runners.k6.push_model import Kind, exp_bucket_value
from runners.k6.remote_write import RemoteWriteDecoder, decode_write_request
from runners.k6.snappy import SnappyError, decompress
from tests.protobuf_build import f_bytes, f_double, f_fixed64, f_varint, snappy_literal, varint, zz

TAGS = {"method": "GET", "name": "http://127.0.0.1/x", "status": "200", "url": "http://127.0.0.1/x"}


def test_snappy_literals_and_overlapping_copies() -> None:
    assert decompress(snappy_literal(b"hello world" * 9)) == b"hello world" * 9
    # "ab" then a 1-byte-offset copy class 1 (len 4+0, offset 2): "ababab"
    block = varint(6) + bytes([(2 - 1) << 2]) + b"ab" + bytes([0b001 | (0 << 2) | (0 << 5), 2])
    assert decompress(block) == b"ababab"
    with pytest.raises(SnappyError):
        decompress(varint(10) + bytes([(2 - 1) << 2]) + b"ab")  # shorter than declared


def test_wire_reader_rejects_truncation_and_reads_signed_values() -> None:
    msg = f_varint(1, zz(-3)) + f_bytes(2, b"xy") + f_double(3, 1.5)
    got = list(pw.fields(msg))
    assert pw.zigzag(got[0][2]) == -3 and got[1][2] == b"xy" and pw.as_double(got[2][2]) == 1.5
    with pytest.raises(pw.WireError):
        list(pw.fields(msg[:-3]))


def _label(name: str, value: str) -> bytes:
    return f_bytes(1, f_bytes(1, name) + f_bytes(2, value))


def _counter(name: str, value: float, t_ms: int) -> bytes:
    labels = _label("__name__", name) + b"".join(_label(k, v) for k, v in TAGS.items())
    return f_bytes(1, labels + f_bytes(2, f_double(1, value) + f_varint(2, t_ms)))


def _native(count: int, total: float, buckets: dict[int, int], t_ms: int) -> bytes:
    """A schema-3 native histogram of `k6_http_req_duration_seconds` with these (index -> count) buckets."""
    idx = sorted(buckets)
    spans = b""
    prev_end = None
    deltas: list[int] = []
    last = 0
    for i in idx:  # one span per bucket keeps the writer simple; gaps are offsets from the last end
        offset = i if prev_end is None else i - prev_end
        spans += f_bytes(11, f_varint(1, zz(offset)) + f_varint(2, 1))
        prev_end = i + 1
        deltas.append(buckets[i] - last)
        last = buckets[i]
    packed = b"".join(varint(zz(d)) for d in deltas)
    hist = f_varint(1, count) + f_double(3, total) + f_varint(4, zz(3)) + spans + f_bytes(12, packed)
    hist += f_varint(15, t_ms)
    labels = _label("__name__", "k6_http_req_duration_seconds") + b"".join(
        _label(k, v) for k, v in TAGS.items()
    )
    return f_bytes(1, labels + f_bytes(4, hist))


def test_remote_write_cumulative_pushes_become_deltas() -> None:
    dec = RemoteWriteDecoder()
    t = 1_800_000_000_000
    first = decode_write_request(
        snappy_literal(_counter("k6_http_reqs_total", 3, t) + _native(3, 0.006, {-60: 2, -59: 1}, t))
    )
    d1 = dec.deltas(first, t / 1000)
    second = decode_write_request(snappy_literal(_counter("k6_http_reqs_total", 5, t + 1000)
                                                 + _native(5, 0.010, {-60: 3, -59: 2}, t + 1000)))  # fmt: skip
    d2 = dec.deltas(second, t / 1000 + 1)
    reqs = [d for d in d1 + d2 if d.kind is Kind.COUNTER]
    assert [d.value for d in reqs] == [3, 2] and reqs[0].metric == "http_reqs"
    hists = [d.hist for d in d1 + d2 if d.hist is not None]
    assert [h.count for h in hists] == [3, 2]
    # Prometheus bucket -60 at schema 3 is (2**(-61/8), 2**(-60/8)] seconds; its middle, in ms:
    assert hists[1].buckets[0][0] == pytest.approx(1000 * 2 ** (-60.5 / 8))
    assert hists[1].total == pytest.approx(4.0)  # (0.010 - 0.006) s in ms
    assert dict(d1[0].tags) == TAGS


def _otlp(metrics: bytes) -> bytes:
    return f_bytes(1, f_bytes(2, metrics))


def _attrs(field: int) -> bytes:
    return b"".join(f_bytes(field, f_bytes(1, k) + f_bytes(2, f_bytes(1, v))) for k, v in TAGS.items())


def test_otlp_delta_sums_rates_and_exponential_histograms() -> None:
    t0, t1 = 1_800_000_000 * 10**9, 1_800_000_001 * 10**9
    point = _attrs(7) + f_fixed64(2, t0) + f_fixed64(3, t1) + f_double(4, 7.0)
    reqs = f_bytes(
        2, f_bytes(1, "http_reqs") + f_bytes(7, f_bytes(1, point) + f_varint(2, 1) + f_varint(3, 1))
    )
    occurred = f_bytes(2, f_bytes(1, "checks.occurred") + f_bytes(7, f_bytes(1, _attrs(7) + f_fixed64(2, t0)
                       + f_fixed64(3, t1) + f_fixed64(6, 6)) + f_varint(2, 1)))  # fmt: skip
    total = f_bytes(2, f_bytes(1, "checks.total") + f_bytes(7, f_bytes(1, _attrs(7) + f_fixed64(2, t0)
                    + f_fixed64(3, t1) + f_fixed64(6, 7)) + f_varint(2, 1)))  # fmt: skip
    buckets = f_varint(1, zz(-8)) + f_bytes(2, varint(4) + varint(0) + varint(3))
    exp = (_attrs(1) + f_fixed64(2, t0) + f_fixed64(3, t1) + f_fixed64(4, 7) + f_double(5, 4.2)
           + f_varint(6, zz(3)) + f_bytes(8, buckets) + f_double(12, 0.3) + f_double(13, 0.9))  # fmt: skip
    dur = f_bytes(
        2, f_bytes(1, "http_req_duration") + f_bytes(3, "ms") + f_bytes(10, f_bytes(1, exp) + f_varint(2, 1))
    )
    deltas = OtlpDecoder().decode(_otlp(reqs + occurred + total + dur))
    buckets_by_sec = fold_deltas(deltas)
    assert list(buckets_by_sec) == [1_800_000_000]
    b = buckets_by_sec[1_800_000_000]
    assert (b.checks_pass, b.checks_fail) == (6, 1)
    hists = b.pushed[tags_json(tuple(sorted(TAGS.items())))]  # 7 requests paired with 7 durations
    assert sum(h.count for h in hists) == 7 and not b.req_only and not b.dur_only
    values = [v for h in hists for v in expand(h)]
    # Each bucket's count is spread evenly (in log space) inside it, around its geometric middle.
    for index, n in ((-8, 4), (-6, 3)):
        inside = sorted(v for v in values if 2 ** (index / 8) < v <= 2 ** ((index + 1) / 8))
        assert len(inside) == n and len(set(inside)) == n
        assert math.isclose(math.prod(inside) ** (1 / n), exp_bucket_value(index, 3))
    assert math.isclose(exp_bucket_value(-8, 3), 2 ** (-7.5 / 8))


def test_otlp_cumulative_points_are_differenced() -> None:
    dec = OtlpDecoder()
    out = []
    for t, value in ((1, 10.0), (2, 25.0)):
        point = _attrs(7) + f_fixed64(2, 0) + f_fixed64(3, (1_800_000_000 + t) * 10**9) + f_double(4, value)
        out += dec.decode(
            _otlp(f_bytes(2, f_bytes(1, "iterations") + f_bytes(7, f_bytes(1, point) + f_varint(2, 2))))
        )
    assert [d.value for d in out] == [10.0, 15.0]


def test_a_garbled_push_is_an_error_not_a_crash() -> None:
    with pytest.raises(ValueError):
        decode_write_request(b"\x05garbage")
    with pytest.raises(ValueError):
        OtlpDecoder().decode(b"\x0a\x50short")
