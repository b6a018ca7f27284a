"""Instant PromQL queries through prometheus-api-client: no retries, a timeout on every call, shapes checked."""

from __future__ import annotations

import ast
import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Literal

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from requests.adapters import HTTPAdapter

from collectors.gauge_config import PrometheusSettings
from collectors.gauge_source import Labels, PollResult, QueryResult, down_result
from collectors.gauges import GaugeSpec, Source

_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)\Z", re.S)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_MAX_DETAIL = 300
MAX_PARALLEL = 8
"""Queries of one poll in flight at once at most."""


class PrometheusSource:
    """Queries a Prometheus server; one shared client, used from the collector's thread only."""

    kind: Source = "prometheus"

    def __init__(self, settings: PrometheusSettings) -> None:
        """Create the client (no I/O; secrets are read from the environment or files now).

        Args:
            settings: URL, timeout and where the credentials come from.
        """
        self.settings = settings
        self._client: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._setup_error = ""
        try:
            headers, auth = settings.auth.resolve()
        except (OSError, KeyError) as exc:
            self._setup_error = f"cannot read the credentials: {exc}"
            return
        # retry=False: the default Retry(3) with back-off turns every failure into 6-10 s (facts §2.3).
        # The client's annotations are narrower than what it accepts (a float timeout, None headers).
        options: dict[str, Any] = {"headers": headers, "auth": auth, "timeout": settings.timeout_s}
        self._client = PrometheusConnect(url=settings.url, disable_ssl=True, retry=False, **options)

    def describe(self) -> str:
        """The source's name for the pane."""
        return f"Prometheus {self.settings.url}"

    def poll(self, specs: Sequence[GaugeSpec], deadline_s: float | None = None) -> PollResult:
        """Run every gauge's query at once; the poll ends by one deadline, whatever any query does.

        Args:
            specs: The gauges.
            deadline_s: The whole poll's budget (below the poll interval); the timeout when None.

        Returns:
            Each gauge's result; a query with no answer by the deadline is "slow" (its thread gives up at the
            same deadline), so one slow query never delays the other gauges.
        """
        if self._client is None:
            return down_result(specs, self._setup_error)
        budget = min(self.settings.timeout_s, deadline_s or self.settings.timeout_s)
        started = time.monotonic()
        pool = self._executor(len(specs))
        futures = {spec.name: pool.submit(self.query, spec.query, budget) for spec in specs}
        wait(futures.values(), timeout=budget + 0.05)
        results: dict[str, QueryResult] = {}
        for name, future in futures.items():
            if future.done():
                results[name] = future.result()
            else:
                future.cancel()
                results[name] = QueryResult(error="slow", detail=f"slow: no answer within {budget:g} s")
        elapsed_ms = (time.monotonic() - started) * 1000
        failed = [r for r in results.values() if r.error in ("down", "slow")]
        if specs and len(failed) == len(specs):
            detail = failed[0].detail
            return PollResult(False, detail, results)
        late = sum(r.error == "slow" for r in results.values())
        note = f"; {late} slow" if late else ""
        return PollResult(True, f"{len(specs)} queries in {elapsed_ms:.0f} ms{note}", results)

    def _executor(self, n: int) -> ThreadPoolExecutor:
        if self._pool is None:
            workers = max(1, min(MAX_PARALLEL, n))
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prom-query")
            # One session shared by the workers: give it as many pooled connections (facts §2.4).
            self._client._session.mount(self._client.url, HTTPAdapter(pool_maxsize=workers, max_retries=0))
        return self._pool

    def query(self, promql: str, timeout_s: float | None = None) -> QueryResult:
        """One instant query, its errors turned into a state.

        Args:
            promql: The query.
            timeout_s: The longest wait (connect and read); the configured timeout when None.

        Returns:
            The series, or the error with the server's own message.
        """
        timeout = timeout_s if timeout_s is not None else self.settings.timeout_s
        try:
            # The `timeout` parameter also asks Prometheus to give up on its side.
            raw = self._client.custom_query(
                promql, params={"timeout": f"{round(timeout * 1000)}ms"}, timeout=timeout
            )
        except Exception as exc:  # every failure becomes a visible state, never a dead thread
            kind, detail = classify_error(exc, timeout)
            return QueryResult(error=kind, detail=detail)
        return interpret(raw)

    def close(self) -> None:
        """Close the HTTP session (queries still in flight end by their own timeout)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()


def interpret(raw: Any) -> QueryResult:
    """Turn what `custom_query` returned into series.

    An instant vector is a list of `{"metric": {...}, "value": [t, "1.5"]}`; a scalar or string comes back
    as the bare pair `[t, "2"]`; a range vector has `values`. Values are strings ("NaN" and "+Inf" too).

    Args:
        raw: The client's return value.

    Returns:
        The series, or "invalid" with the reason.
    """
    if not isinstance(raw, list):
        return QueryResult(error="invalid", detail=f"unexpected result of type {type(raw).__name__}")
    if len(raw) == 2 and isinstance(raw[0], int | float) and not isinstance(raw[0], bool):
        return _series([({}, raw[1])])
    pairs: list[tuple[Labels, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            return QueryResult(error="invalid", detail=f"unexpected result item {str(item)[:80]!r}")
        if "values" in item:
            return QueryResult(
                error="invalid", detail="range vector result: use an instant query (e.g. rate(x[1m]))"
            )
        value = item.get("value")
        if not isinstance(value, list) or len(value) != 2:
            return QueryResult(error="invalid", detail=f"unexpected value {str(value)[:80]!r}")
        metric = item.get("metric") or {}
        pairs.append(({str(k): str(v) for k, v in metric.items()}, value[1]))
    return _series(pairs)


def _series(pairs: list[tuple[Labels, Any]]) -> QueryResult:
    out = []
    for labels, text in pairs:
        try:
            value = float(text)
        except (TypeError, ValueError):
            return QueryResult(error="invalid", detail=f"non-numeric result: {str(text)[:80]!r}")
        out.append((labels, value))
    return QueryResult(tuple(out))


def classify_error(exc: BaseException, timeout_s: float) -> tuple[Literal["down", "slow", "invalid"], str]:
    """Say what a failed query means: the server is down or slow, or the query is wrong.

    Args:
        exc: What the client raised.
        timeout_s: The timeout in force (for the message).

    Returns:
        "invalid" with the server's message for a bad query (HTTP 400/422), else "down" with the reason.
    """
    if isinstance(exc, PrometheusApiClientException):
        status, message = _server_message(str(exc))
        if status in {400, 422}:
            return "invalid", message
        if status in {401, 403}:
            return "down", f"HTTP {status}: not authorised (check the credentials)"
        return "down", f"HTTP {status}: {message}" if status else message
    if isinstance(exc, requests.exceptions.Timeout):
        return "slow", f"slow: no answer within {timeout_s:g} s"
    if isinstance(exc, requests.exceptions.ConnectionError):
        found = _ERRNO.search(str(exc))
        return "down", found.group(1).strip().lower() if found else f"connection failed: {_short(exc)}"
    if isinstance(exc, ValueError | KeyError | TypeError):
        return "down", f"not a Prometheus API answer: {_short(exc)}"
    return "down", _short(exc)


def _server_message(text: str) -> tuple[int | None, str]:
    """Status and Prometheus' own `error` field from the client's `HTTP Status Code 400 (b'{...}')`."""
    match = _STATUS.match(text)
    if match is None:
        return None, text[:_MAX_DETAIL]
    status, body = int(match.group(1)), match.group(2)
    try:
        decoded = ast.literal_eval(body)  # a bytes literal; literal_eval never runs code
        payload = json.loads(decoded.decode() if isinstance(decoded, bytes) else str(decoded))
        message = str(payload.get("error") or payload)
    except (ValueError, SyntaxError, AttributeError, UnicodeDecodeError):
        message = body
    return status, message[:_MAX_DETAIL]


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
