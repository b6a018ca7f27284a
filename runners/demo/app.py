"""Routes and connection handling of the demo target: endpoints that slow down under load."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST

from runners.demo.http_util import HttpError, Request, build_response, json_body, read_request
from runners.demo.metrics import DemoMetrics
from runners.demo.pool import COSTS, Cache, Cost, DbPool, PoolTimeoutError, query_seconds

log = logging.getLogger(__name__)

CATALOG_SIZE = 10_000
MAX_REQUESTS_PER_CONNECTION = 10_000  # then the connection is closed and the client reconnects
PRODUCT_ID = "/api/products/{id}"
ROUTES: dict[str, str] = {  # path -> the one method it allows
    "/health": "GET",
    "/metrics": "GET",
    "/api/products": "GET",
    "/api/search": "GET",
    "/api/orders": "POST",
    PRODUCT_ID: "GET",
}
PRODUCTS_PAGE = json_body(
    {"products": [{"id": i, "name": f"Product {i}", "price": 5 + i % 50} for i in range(1, 21)]}
)
POOL_EXHAUSTED = json_body({"error": "db pool exhausted"})


def _template(path: str) -> str:
    """Map a raw path to its route template, or "other" (keeps metric labels bounded)."""
    if path in ROUTES:
        return path
    if path.startswith("/api/products/") and "/" not in path[14:]:
        return PRODUCT_ID
    return "other"


class DemoApp:
    """The demo service: state, endpoint handlers and the per-connection loop."""

    def __init__(
        self, pool_size: int, pool_timeout_s: float, read_timeout_s: float, max_connections: int
    ) -> None:
        """Create the service.

        Args:
            pool_size: DB pool connections.
            pool_timeout_s: How long a request waits for a pool connection before a 503.
            read_timeout_s: Deadline to receive a whole request, keep-alive idle time included.
            max_connections: Open client connections allowed; more get a 503 and are closed.
        """
        self.pool = DbPool(pool_size, pool_timeout_s)
        self.cache = Cache()
        self.rng = random.Random()  # simulated latency, not security
        self.read_timeout_s = read_timeout_s
        self.max_connections = max_connections
        self.in_flight = 0
        self.open_connections = 0
        self.connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        self.metrics = DemoMetrics(
            pool_size,
            in_use=lambda: self.pool.in_use,
            waiting=lambda: self.pool.waiting,
            in_flight=lambda: self.in_flight,
            open_connections=lambda: self.open_connections,
            cache_hit_ratio=lambda: self.cache.hit_ratio,
        )

    async def _query(self, cost: Cost) -> None:
        """Hold a pool connection for one simulated query; PoolTimeoutError if none is free in time."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            await self.pool.acquire()
        except PoolTimeoutError:
            self.metrics.pool_timeouts.inc()
            raise
        finally:
            self.metrics.pool_wait.observe(loop.time() - start)
        try:
            await asyncio.sleep(query_seconds(cost, self.in_flight, self.rng))
        finally:
            self.pool.release()

    async def _dispatch(self, template: str, req: Request) -> tuple[int, bytes, str]:
        """Run one endpoint: (status, body, content type)."""
        if template == "/health":
            return 200, b'{"status":"ok"}', "application/json"
        if template == "/metrics":
            return 200, self.metrics.exposition(), CONTENT_TYPE_LATEST
        if template == "/api/products":
            await self._query(COSTS["products"])
            return 200, PRODUCTS_PAGE, "application/json"
        if template == PRODUCT_ID:
            raw_id = req.path[14:]
            if not (raw_id.isascii() and raw_id.isdigit()) or not 1 <= int(raw_id) <= CATALOG_SIZE:
                return 404, json_body({"error": "product not found"}), "application/json"
            hit = self.cache.lookup(self.in_flight, self.rng)
            if hit:
                await asyncio.sleep(query_seconds(COSTS["cache"], self.in_flight, self.rng))
            else:
                await self._query(COSTS["product"])
            pid = int(raw_id)
            product = {"id": pid, "name": f"Product {pid}", "price": 5 + pid % 50, "cached": hit}
            return 200, json_body(product), "application/json"
        if template == "/api/search":
            terms = parse_qs(req.query).get("q", [""])[0].strip()
            if not terms:
                return 400, json_body({"error": "missing query parameter q"}), "application/json"
            await self._query(COSTS["search"])
            ids = [1 + (hash(terms) + i * 7919) % CATALOG_SIZE for i in range(5)]
            return 200, json_body({"q": terms[:100], "results": ids}), "application/json"
        # /api/orders
        try:
            order = json.loads(req.body)
        except (ValueError, UnicodeDecodeError):
            order = None
        if not isinstance(order, dict):
            return 400, json_body({"error": "body must be a JSON object"}), "application/json"
        await self._query(COSTS["orders"])
        items = order.get("items")
        count = len(items) if isinstance(items, list) else 0
        order_id = self.rng.randrange(1, 1 << 31)
        return 200, json_body({"order_id": order_id, "status": "created", "items": count}), "application/json"

    async def respond(self, req: Request, keep_alive: bool) -> bytes:
        """Handle one request and count it.

        Args:
            req: The request.
            keep_alive: Whether the response should keep the connection open.

        Returns:
            The serialised response.
        """
        loop = asyncio.get_running_loop()
        start = loop.time()
        template = _template(req.path)
        extra = ""
        self.in_flight += 1
        try:
            allowed = ROUTES.get(template)
            if allowed is None:
                status, body, ctype = 404, json_body({"error": "not found"}), "application/json"
            elif req.method != allowed:
                status, body, ctype = 405, json_body({"error": "method not allowed"}), "application/json"
                extra = f"Allow: {allowed}\r\n"
            else:
                status, body, ctype = await self._dispatch(template, req)
        except PoolTimeoutError:
            status, body, ctype = 503, POOL_EXHAUSTED, "application/json"
        except Exception:
            log.exception("demo target: handler failed for %s %s", req.method, template)
            status, body, ctype = 500, json_body({"error": "internal error"}), "application/json"
        finally:
            self.in_flight -= 1
        self.metrics.observe_request(template, req.method, status, loop.time() - start)
        return build_response(status, body, keep_alive=keep_alive, content_type=ctype, extra=extra)

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection until it closes, errs, idles out or hits the request cap.

        Args:
            reader: Incoming stream.
            writer: Outgoing stream.
        """
        if self.open_connections >= self.max_connections:
            writer.write(build_response(503, json_body({"error": "too many connections"}), keep_alive=False))
            writer.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self.connections[task] = writer
        self.open_connections += 1
        try:
            for served in range(MAX_REQUESTS_PER_CONNECTION):
                try:
                    req = await read_request(reader, self.read_timeout_s)
                except HttpError as err:
                    writer.write(
                        build_response(err.status, json_body({"error": err.message}), keep_alive=False)
                    )
                    self.metrics.observe_request("other", "other", err.status, 0.0)
                    break
                if req is None:
                    break
                keep = req.keep_alive and served < MAX_REQUESTS_PER_CONNECTION - 1
                writer.write(await self.respond(req, keep))
                async with asyncio.timeout(self.read_timeout_s):
                    await writer.drain()
                if not keep:
                    break
        except (ConnectionError, TimeoutError):
            pass  # the client went away or stopped reading: nothing to answer
        except asyncio.CancelledError:
            pass  # shutdown; end normally, as asyncio 3.11 logs a cancelled connection task as an error
        except Exception:
            log.exception("demo target: connection failed")
        finally:
            self.open_connections -= 1
            if task is not None:
                self.connections.pop(task, None)
            with contextlib.suppress(Exception):
                writer.close()
