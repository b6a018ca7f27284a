"""k6's metric selectors (`http_req_duration{scenario:buy,status:200}`) and threshold expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from runners.k6.tagsets import TagPairs
from runners.model.metric_paths import parse_tag_pairs

_EXPR = re.compile(
    r"^\s*(avg|min|max|med|count|rate|value|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*([-+0-9.eE]+)\s*$"
)


def parse_selector(text: str) -> tuple[str, TagPairs]:
    """Split `name{k:v,...}` into the metric name and its sorted tag pairs (k6 trims spaces and quotes).

    Raises:
        ValueError: when the braces or a `tag:value` pair are malformed.
    """
    text = text.strip()
    if "{" not in text:
        if "}" in text:
            raise ValueError(f"unbalanced braces in {text!r}")
        return text, ()
    if not text.endswith("}"):
        raise ValueError(f"a sub-metric selector must end with '}}': {text!r}")
    name, _, body = text[:-1].partition("{")
    return name.strip(), parse_tag_pairs(body, text)


def selector_name(name: str, pairs: TagPairs) -> str:
    """The canonical `name{k:v,...}` of a metric or sub-metric."""
    return name + ("{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}" if pairs else "")


@dataclass(frozen=True, slots=True)
class Expression:
    """A threshold expression such as `p(95)<500`: an aggregation, an operator and a number."""

    stat: str  # avg | min | max | med | count | rate | value | p(N)
    op: str
    bound: float

    def holds(self, value: float) -> bool:
        """True when the value satisfies the expression."""
        op, b = self.op, self.bound
        if op == "<":
            return value < b
        if op == "<=":
            return value <= b
        if op == ">":
            return value > b
        if op == ">=":
            return value >= b
        if op in ("==", "==="):
            return value == b
        return value != b


def parse_expression(text: str) -> Expression | None:
    """Parse a k6 threshold expression; None when it is not one loadwatch can judge."""
    m = _EXPR.match(text)
    if m is None:
        return None
    stat = m.group(1).replace(" ", "")
    try:
        return Expression(stat, m.group(2), float(m.group(3)))
    except ValueError:
        return None
