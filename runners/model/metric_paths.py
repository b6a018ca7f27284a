"""Rule paths on any k6 metric and on checks by name: `metric.<selector>.<stat>` and `check.<name>.<stat>`.

    metric.checkout_time.p95                        a custom Trend's 95th percentile over the window
    metric.http_req_duration{scenario:buy}.p99      a sub-metric, in k6's selector syntax
    metric.items.rate                               a Counter's count per second over the window
    metric.item_ok.fail_pct                         a Rate's share of zeros, in percent
    check.paid.fail_pct                             one check by name (all groups)
    check."status is 200".fail_pct                  a name with spaces or dots, quoted (quotes optional)
    check.*.fail_pct                                every check, one breach per check name

The stat is what follows the last dot outside braces, quotes and parentheses (`p(99.9)` keeps its dot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TagPairs = tuple[tuple[str, str], ...]

TREND_STATS = frozenset({"avg", "min", "max", "med", "count", "rate"})
COUNTER_STATS = frozenset({"count", "rate"})
RATE_STATS = frozenset({"rate", "value", "pass_pct", "fail_pct", "passes", "fails", "count"})
GAUGE_STATS = frozenset({"value", "min", "max"})
CHECK_STATS = frozenset({"pass_pct", "fail_pct", "passes", "fails", "count"})
METRIC_STATS = TREND_STATS | COUNTER_STATS | RATE_STATS | GAUGE_STATS
STATS_BY_TYPE = {
    "trend": TREND_STATS,
    "counter": COUNTER_STATS,
    "rate": RATE_STATS,
    "gauge": GAUGE_STATS,
}
K6_BUILTINS = frozenset(
    {
        "http_reqs", "http_req_duration", "http_req_blocked", "http_req_connecting", "http_req_tls_handshaking",
        "http_req_sending", "http_req_waiting", "http_req_receiving", "http_req_failed", "iterations",
        "iteration_duration", "dropped_iterations", "vus", "vus_max", "data_sent", "data_received", "checks",
        "group_duration", "ws_connecting", "ws_msgs_received", "ws_msgs_sent", "ws_ping", "ws_session_duration",
        "ws_sessions", "grpc_req_duration", "grpc_streams", "grpc_streams_msgs_received",
        "grpc_streams_msgs_sent",
    }
)  # fmt: skip
"""k6's own metrics (k6 1.x): a rule on one of them is known before the run; others wait for k6 to emit them."""
_PERCENTILE = re.compile(r"^p(?:\((\d+(?:\.\d+)?)\)|(\d+))$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class MetricPath:
    """A parsed `metric.` or `check.` rule path: the k6 metric, its tag selector and the stat."""

    source: str  # "metric" or "check"
    metric: str  # the k6 metric (`checks` for a check path)
    pairs: TagPairs  # the sub-metric's tags, sorted; () for the whole metric
    stat: str  # avg, p(95), count, rate, value, pass_pct, ...
    check: str = ""  # the check's name (check paths)

    @property
    def quantile(self) -> float | None:
        """0..1 for a percentile stat, else None."""
        m = _PERCENTILE.match(self.stat)
        if m is None:
            return None
        return float(m.group(1) or m.group(2)) / 100.0

    @property
    def selector(self) -> str:
        """k6's name of the (sub-)metric: `name{k:v,...}`."""
        return self.metric + ("{" + ",".join(f"{k}:{v}" for k, v in self.pairs) + "}" if self.pairs else "")

    def applies_to(self, kind: str) -> bool:
        """Whether the stat means something for a metric of this k6 type."""
        if self.quantile is not None:
            return kind == "trend"
        return self.stat in STATS_BY_TYPE.get(kind, frozenset())


def _split_stat(rest: str) -> tuple[str, str]:
    """`head.stat` split at the last dot outside braces, quotes and parentheses."""
    depth, quoted, cut = 0, False, -1
    for i, c in enumerate(rest):
        if c == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
        elif c == "." and depth == 0:
            cut = i
    if cut <= 0 or cut == len(rest) - 1:
        raise ValueError("must end with .<stat>")
    return rest[:cut], rest[cut + 1 :]


def parse_tag_pairs(body: str, text: str) -> TagPairs:
    """The sorted (tag, value) pairs of a selector's body (`a:1, b:"x"`); `text` names it in errors."""
    pairs = []
    for part in body.split(","):
        key, sep, value = part.partition(":")
        key, value = key.strip().strip("\"'"), value.strip().strip("\"'")
        if not sep or not key:
            raise ValueError(f"expected tag:value in the selector of {text!r}, got {part!r}")
        pairs.append((key, value))
    return tuple(sorted(pairs))


def _stat(stat: str, allowed: frozenset[str], percentiles: bool) -> str:
    stat = stat.strip().replace(" ", "")
    m = _PERCENTILE.match(stat)
    if m is not None and percentiles:
        q = float(m.group(1) or m.group(2))
        if not 0 <= q <= 100:
            raise ValueError(f"percentile {q:g} is not between 0 and 100")
        return stat if m.group(1) else f"p({m.group(2)})"
    if stat not in allowed:
        extra = ", p50, p95, p99, p(99.9)" if percentiles else ""
        raise ValueError(f"unknown stat {stat!r} (known: {', '.join(sorted(allowed))}{extra})")
    return stat


def parse_metric_path(path: str) -> MetricPath:
    """Parse a `metric.` or `check.` rule path (globs only in a check's name).

    Raises:
        ValueError: saying what is wrong (the caller adds the rule's name).
    """
    source, dot, rest = path.partition(".")
    if source not in ("metric", "check") or not dot:
        raise ValueError("must start with metric. or check.")
    head, stat = _split_stat(rest)
    if source == "check":
        name = head[1:-1] if len(head) >= 2 and head[0] == head[-1] == '"' else head
        if not name:
            raise ValueError("the check's name is empty")
        return MetricPath("check", "checks", (), _stat(stat, CHECK_STATS, False), check=name)
    if "{" in head:
        if not head.endswith("}"):
            raise ValueError("a sub-metric selector must end with '}' before the .<stat>")
        name, _, body = head[:-1].partition("{")
        pairs = parse_tag_pairs(body, path)
    else:
        name, pairs = head, ()
    name = name.strip()
    if any(c in name for c in "*?"):
        raise ValueError("a metric rule names one metric (globs work on check names only: check.*.fail_pct)")
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a k6 metric name (letters, digits and _)")
    return MetricPath("metric", name, pairs, _stat(stat, METRIC_STATS, True))


def check_path(name: str, stat: str) -> str:
    """The value path of one check's stat, as a glob over checks sees it (`check.paid.fail_pct`)."""
    return f"check.{name}.{stat}"
