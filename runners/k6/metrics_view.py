"""Builds the Metrics view a frame carries: k6's end-of-test summary, live, from the metric model."""

from __future__ import annotations

from collections.abc import Sequence

from runners.k6.aggregate import Agg
from runners.k6.metric_info import COUNTER, TREND, MetricInfo
from runners.k6.metric_model import MetricModel
from runners.k6.selectors import parse_selector, selector_name
from runners.k6.tagsets import TagPairs
from runners.model.frames import CheckStat, GroupStat, MetricStat, MetricsView, ScenarioStat, ThresholdRow
from runners.model.units import format_count, format_duration_ms, format_rate

_SECTIONS = (("http_", "HTTP"), ("ws_", "WEBSOCKETS"), ("grpc_", "GRPC"), ("browser_", "BROWSER"),
             ("data_", "NETWORK"))  # fmt: skip
_EXECUTION = ("iteration_duration", "iterations", "vus", "vus_max", "dropped_iterations", "group_duration")
SECTION_ORDER = ("HTTP", "WEBSOCKETS", "GRPC", "BROWSER", "EXECUTION", "NETWORK", "CUSTOM")


def section_of(name: str) -> str:
    """The section of k6's summary a metric is printed in."""
    if name in _EXECUTION:
        return "EXECUTION"
    for prefix, section in _SECTIONS:
        if name.startswith(prefix):
            return section
    return "CUSTOM"


def submetric_names(
    model: MetricModel, thresholds: Sequence[ThresholdRow]
) -> dict[tuple[str, TagPairs], str]:
    """(metric, tag pairs) -> the name k6 gives that sub-metric (its Metric line's, else the threshold's)."""
    names: dict[tuple[str, TagPairs], str] = {}
    for info in model.infos.values():
        for name, pairs in info.submetrics:
            names[(info.name, pairs)] = name
    for r in thresholds:
        try:
            base, pairs = parse_selector(r.metric)
        except ValueError:
            continue
        if pairs:
            names.setdefault((base, pairs), r.metric)
    return names


def metric_stat(name: str, info: MetricInfo, agg: Agg, model: MetricModel, now_per_s: float | None = None,
                thresholds: Sequence[ThresholdRow] = ()) -> MetricStat:  # fmt: skip
    """One row: k6's stats for the type, and the thresholds set on exactly this name."""
    values = tuple(agg.stats(model.duration_s).items())
    marks = tuple((r.expression, r.ok_by_k6) for r in thresholds if r.metric == name)
    return MetricStat(name, info.type, info.contains, section_of(info.name), values, now_per_s, marks)


def build_metrics_view(
    model: MetricModel, thresholds: Sequence[ThresholdRow], now: float, window_s: int = 10
) -> MetricsView:
    """The Metrics view at `now` (whole-run values; Counters also per second over the window)."""
    end = int(now - 0.5)
    span = max(1, min(window_s, end - (model.first_t if model.first_t is not None else end)))
    subs = submetric_names(model, thresholds)
    rows: list[MetricStat] = []
    names = sorted(model.metric_names(), key=lambda n: (SECTION_ORDER.index(section_of(n)), n))
    for name in names:
        info = model.info(name)
        agg = model.total(name)
        if agg is None:
            continue
        rate = None
        if info.type == COUNTER:
            win = model.window(name, (), end, span)
            rate = (win.total if win is not None else 0.0) / span
        rows.append(metric_stat(name, info, agg, model, rate, thresholds))
        for (base, pairs), sub_name in sorted(subs.items(), key=lambda kv: kv[1]):
            sub = model.total(base, pairs) if base == name else None
            if sub is not None:
                rows.append(metric_stat(sub_name, info, sub, model, None, thresholds))
    return MetricsView(
        metrics=tuple(rows),
        checks=_checks(model),
        groups=_groups(model),
        scenarios=_scenarios(model, end, span),
        protocol=_protocol(model),
        headline=_headline(model, end, span),
        duration_s=model.duration_s,
        folded_tagsets=model.folded,
    )


def _checks(model: MetricModel) -> tuple[CheckStat, ...]:
    out = []
    for pairs, agg in model.series_of("checks"):
        tags = dict(pairs)
        if len(pairs) == 2 and "check" in tags and "group" in tags:
            out.append(CheckStat(tags["check"], tags["group"], agg.nonzero, agg.n - agg.nonzero))
    return tuple(out)


def _groups(model: MetricModel) -> tuple[GroupStat, ...]:
    paths: set[str] = set()
    for _metric, pairs in model.run:
        if len(pairs) == 1 and pairs[0][0] == "group" and pairs[0][1].startswith("::"):
            parts = pairs[0][1].split("::")[1:]
            paths.update("::" + "::".join(parts[: i + 1]) for i in range(len(parts)))
    out = []
    for path in sorted(paths, key=lambda p: p.split("::")):
        stats = []
        for name in sorted(model.metric_names(), key=lambda n: (SECTION_ORDER.index(section_of(n)), n)):
            agg = model.run.get((name, (("group", path),)))
            if agg is not None and agg.n and name != "checks":
                stats.append(
                    metric_stat(selector_name(name, (("group", path),)), model.info(name), agg, model)
                )
        out.append(GroupStat(path, tuple(stats)))
    return tuple(out)


def _count(model: MetricModel, metric: str, pairs: TagPairs) -> float:
    agg = model.total(metric, pairs)
    return agg.total if agg is not None else 0.0


def _scenarios(model: MetricModel, end: int, span: int) -> tuple[ScenarioStat, ...]:
    names = sorted({p[0][1] for (_m, p) in model.run if len(p) == 1 and p[0][0] == "scenario"})
    out = []
    for name in names:
        sel = (("scenario", name),)
        win = model.window("iterations", sel, end, span)
        dur = model.total("http_req_duration", sel)
        checks = model.total("checks", sel)
        out.append(ScenarioStat(
            name=name, iterations=int(_count(model, "iterations", sel)),
            iterations_per_s=(win.total if win is not None else 0.0) / span,
            dropped_iterations=int(_count(model, "dropped_iterations", sel)),
            requests=int(_count(model, "http_reqs", sel)),
            p95_ms=dur.stat("p(95)") if dur is not None else None,
            checks_pass_pct=100.0 * checks.nonzero / checks.n if checks is not None and checks.n else None,
        ))  # fmt: skip
    return tuple(out)


def _protocol(model: MetricModel) -> str:
    if model.total("http_reqs") is not None:
        return "http"
    names = model.metric_names()
    if any(n.startswith("ws_") for n in names):
        return "websockets"
    if any(n.startswith("grpc_") for n in names):
        return "grpc"
    return "none"


def _per_s(model: MetricModel, metric: str, end: int, span: int) -> str:
    win = model.window(metric, (), end, span)
    return format_rate((win.total if win is not None else 0.0) / span)  # the label says "/s"


def _trend(model: MetricModel, metric: str, stat: str) -> str:
    agg = model.total(metric)
    return format_duration_ms(agg.stat(stat) if agg is not None and agg.kind == TREND else None)


def _headline(model: MetricModel, end: int, span: int) -> tuple[tuple[str, str], ...]:
    """A run without HTTP requests: its own protocol's figures (sessions, messages/s, connecting time)."""
    proto = _protocol(model)
    if proto == "websockets":
        sessions = model.total("ws_sessions")
        return (
            ("sessions", format_count(sessions.total if sessions is not None else 0)),
            ("sessions/s", _per_s(model, "ws_sessions", end, span)),
            ("msgs sent/s", _per_s(model, "ws_msgs_sent", end, span)),
            ("msgs received/s", _per_s(model, "ws_msgs_received", end, span)),
            ("connecting p95", _trend(model, "ws_connecting", "p(95)")),
            ("session p95", _trend(model, "ws_session_duration", "p(95)")),
        )
    if proto == "grpc":
        calls = model.total("grpc_req_duration")
        return (
            ("calls", format_count(calls.n if calls is not None else 0)),
            ("calls p50", _trend(model, "grpc_req_duration", "med")),
            ("calls p95", _trend(model, "grpc_req_duration", "p(95)")),
            ("stream msgs sent/s", _per_s(model, "grpc_streams_msgs_sent", end, span)),
            ("stream msgs received/s", _per_s(model, "grpc_streams_msgs_received", end, span)),
        )
    if proto == "none":
        return (("iterations/s", _per_s(model, "iterations", end, span)),
                ("iteration p95", _trend(model, "iteration_duration", "p(95)")))  # fmt: skip
    return ()
