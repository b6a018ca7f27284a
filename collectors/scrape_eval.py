"""Evaluates the direct-scrape PromQL subset over one scrape, with counter history for rate()."""

from __future__ import annotations

import itertools
import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from collectors.scrape_ast import (
    COMPARISONS,
    Aggregate,
    Binary,
    ExprError,
    LabelReplace,
    Negate,
    Node,
    Number,
    RangeCall,
    Selector,
)

LabelKey = tuple[tuple[str, str], ...]
"""A series' labels, sorted, `__name__` included for raw samples."""
Vector = dict[LabelKey, float]
NAME = "__name__"


def label_key(labels: Mapping[str, str]) -> LabelKey:
    """The hashable, sorted form of a label set."""
    return tuple(sorted(labels.items()))


class SampleIndex:
    """One scrape's samples by metric name."""

    def __init__(self, samples: Iterable[tuple[str, Mapping[str, str], float]] = ()) -> None:
        """Index samples.

        Args:
            samples: `(metric name, labels without the name, value)` triples.
        """
        self._by_name: dict[str, list[tuple[LabelKey, float]]] = {}
        for name, labels, value in samples:
            self.add(name, labels, value)

    def add(self, name: str, labels: Mapping[str, str], value: float) -> None:
        """Add one sample."""
        self._by_name.setdefault(name, []).append((label_key({**labels, NAME: name}), value))

    def select(self, sel: Selector) -> list[tuple[LabelKey, float]]:
        """The samples a selector matches (a missing label reads as "", as in PromQL)."""
        rows = self._by_name.get(sel.metric, [])
        if not sel.matchers:
            return rows
        out = []
        for key, value in rows:
            labels = dict(key)
            if all(m.matches(labels.get(m.label, "")) for m in sel.matchers):
                out.append((key, value))
        return out


class CounterHistory:
    """Recent samples of the counters used in rate(), bounded in series, points and age."""

    def __init__(self, max_series: int = 10_000, max_points: int = 512) -> None:
        """Create an empty history.

        Args:
            max_series: Series kept at most; new ones beyond it are ignored.
            max_points: Points kept per series.
        """
        self._points: dict[LabelKey, deque[tuple[float, float]]] = {}
        self._max_series = max_series
        self._max_points = max_points

    def record(self, t: float, index: SampleIndex, selectors: Sequence[Selector]) -> None:
        """Store this scrape's values of every series the selectors match, and forget old points.

        Args:
            t: Time of the scrape (Unix seconds).
            index: The scrape's samples.
            selectors: Selectors used inside range functions.
        """
        keep_s = max((s.range_s or 0.0 for s in selectors), default=0.0) * 1.5 + 1.0
        for sel in selectors:
            for key, value in index.select(sel):
                points = self._points.get(key)
                if points is None:
                    if len(self._points) >= self._max_series:
                        continue
                    points = self._points[key] = deque(maxlen=self._max_points)
                if not points or points[-1][0] != t:
                    points.append((t, value))
        for key in list(self._points):
            points = self._points[key]
            while points and points[0][0] < t - keep_s:
                points.popleft()
            if not points:
                del self._points[key]

    def window(self, key: LabelKey, start: float, end: float) -> list[tuple[float, float]]:
        """The points of one series with start < t <= end."""
        return [p for p in self._points.get(key, ()) if start < p[0] <= end]


def evaluate(node: Node, index: SampleIndex, history: CounterHistory, now: float) -> float | Vector:
    """Evaluate an expression over one scrape.

    Args:
        node: The parsed expression.
        index: This scrape's samples.
        history: Counter history, already holding this scrape's points.
        now: Time of this scrape.

    Returns:
        A scalar, or a vector of label sets to values.

    Raises:
        ExprError: A runtime problem, such as many-to-many matching.
    """
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Selector):
        return dict(index.select(node))
    if isinstance(node, RangeCall):
        return _range_call(node, index, history, now)
    if isinstance(node, Negate):
        inner = evaluate(node.expr, index, history, now)
        return -inner if isinstance(inner, float) else {_drop_name(k): -v for k, v in inner.items()}
    if isinstance(node, Aggregate):
        return _aggregate(node, evaluate(node.expr, index, history, now))
    if isinstance(node, LabelReplace):
        return _label_replace(node, evaluate(node.expr, index, history, now))
    return _binary(node, evaluate(node.left, index, history, now), evaluate(node.right, index, history, now))


def _drop_name(key: LabelKey) -> LabelKey:
    return tuple(kv for kv in key if kv[0] != NAME)


def _range_call(node: RangeCall, index: SampleIndex, history: CounterHistory, now: float) -> Vector:
    range_s = node.selector.range_s or 0.0
    out: Vector = {}
    for key, _ in index.select(node.selector):
        points = history.window(key, now - range_s, now)
        if node.func == "irate":
            points = points[-2:]
        if len(points) < 2:
            continue
        increase = 0.0
        for (_, before), (_, after) in itertools.pairwise(points):
            increase += after if after < before else after - before  # a drop is a counter reset
        per_s = increase / (points[-1][0] - points[0][0])
        out[_drop_name(key)] = per_s * range_s if node.func == "increase" else per_s
    return out


def _label_replace(node: LabelReplace, value: float | Vector) -> Vector:
    if isinstance(value, float):
        raise ExprError("label_replace() needs a vector, got a scalar")
    template = re.sub(r"\$(\d+)|\$\{(\w+)\}", lambda m: f"\\g<{m.group(1) or m.group(2)}>", node.replacement)
    out: Vector = {}
    for key, v in value.items():
        labels = dict(key)
        match = re.fullmatch(node.regex, labels.get(node.src, ""))
        if match is not None:
            labels[node.dst] = match.expand(template)
            if not labels[node.dst]:
                del labels[node.dst]
        out[label_key(labels)] = v
    return out


def _aggregate(node: Aggregate, value: float | Vector) -> Vector:
    if isinstance(value, float):
        raise ExprError(f"{node.op}() needs a vector, got a scalar")
    groups: dict[LabelKey, list[float]] = {}
    for key, v in value.items():
        if node.labels is None:
            group: LabelKey = ()
        elif node.without:
            group = tuple(kv for kv in key if kv[0] != NAME and kv[0] not in node.labels)
        else:
            group = tuple(kv for kv in key if kv[0] in node.labels)
        groups.setdefault(group, []).append(v)
    return {group: _reduce(node.op, vs) for group, vs in groups.items()}


def _reduce(op: str, values: list[float]) -> float:
    if op == "sum":
        return math.fsum(values)
    if op == "avg":
        return math.fsum(values) / len(values)
    if op == "count":
        return float(len(values))
    return min(values) if op == "min" else max(values)


def _arith(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _compare(op: str, a: float, b: float) -> bool:
    return {"==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]


def _apply(node: Binary, key: LabelKey, a: float, b: float, keep: float) -> tuple[LabelKey, float] | None:
    """One element of a binary operation; None when a comparison filters it out."""
    if node.op not in COMPARISONS:
        return _drop_name(key), _arith(node.op, a, b)
    if node.as_bool:
        return _drop_name(key), 1.0 if _compare(node.op, a, b) else 0.0
    return (key, keep) if _compare(node.op, a, b) else None


def _binary(node: Binary, left: float | Vector, right: float | Vector) -> float | Vector:
    if isinstance(left, float) and isinstance(right, float):
        if node.op in COMPARISONS and not node.as_bool:
            raise ExprError("comparisons between two numbers need the bool modifier")
        done = _apply(node, (), left, right, left)
        assert done is not None
        return done[1]
    out: Vector = {}
    if isinstance(left, float):
        for key, v in _vector(right).items():
            _put(out, _apply(node, key, left, v, v))
        return out
    if isinstance(right, float):
        for key, v in left.items():
            _put(out, _apply(node, key, v, right, v))
        return out
    right_by_sig: dict[LabelKey, float] = {}
    for key, v in right.items():
        sig = _signature(node, key)
        if sig in right_by_sig:
            raise ExprError(f"many-to-many matching: several right-hand series for {dict(sig)}")
        right_by_sig[sig] = v
    for key, v in left.items():
        sig = _signature(node, key)
        if sig not in right_by_sig:
            continue
        done = _apply(node, _result_labels(node, key), v, right_by_sig[sig], v)
        if done is not None and done[0] in out:
            raise ExprError(f"several left-hand series match {dict(sig)}; aggregate them first")
        _put(out, done)
    return out


def _vector(value: float | Vector) -> Vector:
    assert isinstance(value, dict)
    return value


def _put(out: Vector, done: tuple[LabelKey, float] | None) -> None:
    if done is not None:
        out[done[0]] = done[1]


def _signature(node: Binary, key: LabelKey) -> LabelKey:
    if node.on is not None:
        return tuple(kv for kv in key if kv[0] in node.on)
    return tuple(kv for kv in key if kv[0] != NAME and kv[0] not in node.ignoring)


def _result_labels(node: Binary, key: LabelKey) -> LabelKey:
    if node.on is not None:
        return tuple(kv for kv in key if kv[0] in node.on or (kv[0] == NAME and node.op in COMPARISONS))
    return tuple(kv for kv in key if kv[0] not in node.ignoring)
