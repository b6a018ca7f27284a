"""Tests of the demo target over real sockets: endpoints, errors, pool saturation and metrics."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runners.demo.pool import COSTS
from runners.demo.target import DemoTarget

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def target() -> Iterator[DemoTarget]:
    demo = DemoTarget(pool_size=4, pool_timeout_s=0.5, read_timeout_s=1.0)
    demo.start()
    yield demo
    demo.stop()


def scrape(url: str) -> Samples:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes and read until the server closes (or resets, or the timeout passes)."""
    chunks: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        for _ in range(1000):
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def test_endpoints_answer_json(target: DemoTarget) -> None:
    with httpx.Client(base_url=target.url, timeout=5) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert len(client.get("/api/products").json()["products"]) == 20
        assert client.get("/api/products/7").json()["id"] == 7
        assert client.get("/api/search", params={"q": "lamp"}).json()["q"] == "lamp"
        order = client.post("/api/orders", json={"items": [{"id": 1}, {"id": 2}]})
        assert order.status_code == 200
        assert order.json()["items"] == 2
        for res in (client.get("/health"), order):
            assert res.headers["content-type"] == "application/json"


def test_unknown_paths_wrong_methods_and_bad_input(target: DemoTarget) -> None:
    with httpx.Client(base_url=target.url, timeout=5) as client:
        for path in ("/nope", "/api/products/7/reviews"):
            assert client.get(path).status_code == 404
        assert client.get("/api/products/abc").status_code == 404
        assert client.get("/api/products/99999999").status_code == 404
        wrong = client.post("/api/products")
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET")
        assert client.get("/api/orders").headers["allow"] == "POST"
        assert client.delete("/health").status_code == 405
        assert client.get("/api/search").status_code == 400
        assert client.post("/api/orders", content=b"{not json").status_code == 400
        assert "error" in client.get("/nope").json()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET /health\r\n\r\n", b"400"),
        (b"GET /health HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
        (b"POST /api/orders HTTP/1.1\r\nContent-Length: abc\r\n\r\n", b"400"),
        (b"GET /health HTTP/2.0\r\n\r\n", b"505"),
        (b"POST /api/orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"501"),
        (b"\x00\xff\xfe binary junk\r\n\r\n", b"400"),
    ],
)
def test_malformed_requests_get_an_error_and_a_close(
    target: DemoTarget, request_bytes: bytes, status: bytes
) -> None:
    reply = exchange(target.port, request_bytes)
    assert reply.startswith(b"HTTP/1.1 " + status), reply
    assert b"Connection: close" in reply
    assert httpx.get(f"{target.url}/health", timeout=5).status_code == 200


def test_keep_alive_then_close(target: DemoTarget) -> None:
    two = (
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    reply = exchange(target.port, two)
    assert reply.count(b"HTTP/1.1 200 OK") == 2
    assert reply.count(b"Connection: keep-alive") == 1
    assert reply.endswith(b'{"status":"ok"}')  # and the server closed: exchange() returned
    post = b'POST /api/orders HTTP/1.0\r\nContent-Length: 13\r\n\r\n{"items":[1]}'
    assert exchange(target.port, post).startswith(b"HTTP/1.1 200")


def test_silent_half_closed_and_huge_clients_do_not_hurt(target: DemoTarget) -> None:
    silent = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    half = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    half.sendall(b"GET /hea")
    half.shutdown(socket.SHUT_WR)
    huge = exchange(target.port, b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert huge == b"" or huge.startswith(b"HTTP/1.1 431")  # a reset may beat the response
    assert httpx.get(f"{target.url}/health", timeout=5).status_code == 200
    assert half.recv(100) == b""  # closed without an answer
    start = time.monotonic()
    assert silent.recv(100) == b""  # the read timeout (1 s) closes idle connections
    assert time.monotonic() - start < 4
    silent.close()
    half.close()
    assert value(scrape(target.url), "demo_http_connections_open") <= 1


def test_connection_limit_answers_503() -> None:
    with DemoTarget(max_connections=3, read_timeout_s=10) as demo:
        idle = [socket.create_connection(("127.0.0.1", demo.port), timeout=5) for _ in range(3)]
        reply = exchange(demo.port, b"GET /health HTTP/1.1\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 503"), reply
        for sock in idle:
            sock.close()
        for _ in range(100):  # the server notices the closes asynchronously
            if exchange(demo.port, b"GET /health HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200"):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the server did not accept connections again")


def test_listens_on_loopback_only(target: DemoTarget) -> None:
    listening = [
        c.laddr
        for c in psutil.Process().net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == target.port
    ]
    assert [addr.ip for addr in listening] == ["127.0.0.1"]
    assert target.url == f"http://127.0.0.1:{target.port}"
    with pytest.raises(RuntimeError, match="once"):
        target.start()


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        demo = DemoTarget(port=busy.getsockname()[1])
        with pytest.raises(RuntimeError, match="did not start"):
            demo.start()
        demo.stop()


async def _saturate(url: str, n: int) -> tuple[list[httpx.Response], Samples]:
    limits = httpx.Limits(max_connections=n + 5)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        tasks = [asyncio.create_task(client.get("/api/search", params={"q": str(i)})) for i in range(n)]
        during: Samples = {}
        for _ in range(200):  # poll until the queue is visible, at most ~2 s
            text = (await client.get("/metrics")).text
            during = {
                (s.name, frozenset(s.labels.items())): s.value
                for fam in text_string_to_metric_families(text)
                for s in fam.samples
            }
            if value(during, "demo_db_pool_waiting") > 0:
                break
            await asyncio.sleep(0.01)
        responses = await asyncio.wait_for(asyncio.gather(*tasks), 20)
    return responses, during


def test_pool_saturation_gives_503_and_metrics_show_it() -> None:
    with DemoTarget(pool_size=2, pool_timeout_s=1.0) as demo:
        responses, during = asyncio.run(_saturate(demo.url, 40))
        after = scrape(demo.url)
    statuses = [r.status_code for r in responses]
    ok, busy = statuses.count(200), statuses.count(503)
    assert ok >= 2 and busy >= 10 and ok + busy == 40, statuses
    assert next(r for r in responses if r.status_code == 503).json() == {"error": "db pool exhausted"}
    assert value(during, "demo_db_pool_connections_max") == 2
    assert value(during, "demo_db_pool_connections_in_use") == 2
    assert value(during, "demo_db_pool_waiting") > 0
    assert value(during, "demo_http_requests_in_flight") > 2
    search = {"endpoint": "/api/search", "method": "GET"}
    assert value(after, "demo_http_requests_total", **search, status="200") == ok
    assert value(after, "demo_http_requests_total", **search, status="503") == busy
    assert value(after, "demo_db_pool_timeouts_total") == busy
    assert value(after, "demo_db_pool_wait_seconds_count") == 40
    assert value(after, "demo_db_pool_connections_in_use") == 0
    assert value(after, "demo_db_pool_waiting") == 0


def test_metrics_use_route_templates_and_process_metrics(target: DemoTarget) -> None:
    with httpx.Client(base_url=target.url, timeout=5) as client:
        for path in ("/api/products/1", "/api/products/2", "/api/products/3", "/x/1", "/x/2"):
            client.get(path)
    samples = scrape(target.url)
    names = {name for name, _ in samples}
    endpoints = {dict(lbl)["endpoint"] for name, lbl in samples if name == "demo_http_requests_total"}
    assert endpoints == {"/api/products/{id}", "other"}
    assert value(
        samples, "demo_http_requests_total", endpoint="/api/products/{id}", method="GET", status="200"
    )
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "demo_cache_hit_ratio"} <= names
    assert "demo_http_request_duration_seconds_bucket" in names
    assert 0 <= value(samples, "demo_cache_hit_ratio") <= 1


def test_latency_grows_with_concurrency() -> None:
    async def medians(url: str) -> tuple[float, float]:
        async with httpx.AsyncClient(base_url=url, timeout=10, limits=httpx.Limits(max_connections=40)) as c:

            async def worker(rounds: int) -> list[float]:
                times = []
                for _ in range(rounds):
                    start = time.perf_counter()
                    (await c.get("/api/products")).raise_for_status()
                    times.append(time.perf_counter() - start)
                return times

            single = await worker(20)
            crowd = await asyncio.gather(*(worker(6) for _ in range(30)))
        return statistics.median(single), statistics.median(t for ts in crowd for t in ts)

    with DemoTarget(pool_size=100, pool_timeout_s=5.0) as demo:
        alone, crowded = asyncio.run(medians(demo.url))
    growth = COSTS["products"].per_flight_s * 29  # what the model adds at 30 in flight
    assert crowded > alone + 0.4 * growth, (alone, crowded)
