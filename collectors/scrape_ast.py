"""The syntax tree of the direct-scrape PromQL subset, and walks over it."""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})


class ExprError(ValueError):
    """The expression is not in the supported subset; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Matcher:
    """A label matcher: `name op "value"` with op one of = != =~ !~."""

    label: str
    op: str
    value: str

    def matches(self, actual: str) -> bool:
        """Whether a label value satisfies this matcher (regexes are anchored, as in PromQL)."""
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True, slots=True)
class Number:
    """A number literal."""

    value: float


@dataclass(frozen=True, slots=True)
class Selector:
    """`metric{label="v",...}`, with a range in seconds when written `[1m]`."""

    metric: str
    matchers: tuple[Matcher, ...] = ()
    range_s: float | None = None


@dataclass(frozen=True, slots=True)
class RangeCall:
    """`rate(sel[range])`, `irate(...)` or `increase(...)` over a counter."""

    func: str
    selector: Selector


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`sum by (a, b) (expr)`; `without` drops the listed labels instead of keeping them."""

    op: str
    expr: Node
    labels: tuple[str, ...] | None = None
    without: bool = False


@dataclass(frozen=True, slots=True)
class LabelReplace:
    """`label_replace(expr, "dst", "replacement", "src", "regex")`, as in PromQL (`$1` refers to a group)."""

    expr: Node
    dst: str
    replacement: str
    src: str
    regex: str


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    expr: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """`left op right`, with optional `on(...)`/`ignoring(...)` matching and `bool` for comparisons."""

    op: str
    left: Node
    right: Node
    on: tuple[str, ...] | None = None
    ignoring: tuple[str, ...] = ()
    as_bool: bool = False


Node = Number | Selector | RangeCall | Aggregate | LabelReplace | Negate | Binary


def range_selectors(node: Node) -> list[Selector]:
    """Every selector used inside a range function (its counter history must be kept).

    Args:
        node: A parsed expression.

    Returns:
        The selectors, in order of appearance.
    """
    if isinstance(node, RangeCall):
        return [node.selector]
    if isinstance(node, Aggregate | Negate | LabelReplace):
        return range_selectors(node.expr)
    if isinstance(node, Binary):
        return range_selectors(node.left) + range_selectors(node.right)
    return []


def selectors(node: Node) -> list[Selector]:
    """Every selector of an expression (to know which metrics a scrape must keep).

    Args:
        node: A parsed expression.

    Returns:
        The selectors, in order of appearance.
    """
    if isinstance(node, Selector):
        return [node]
    if isinstance(node, RangeCall):
        return [node.selector]
    if isinstance(node, Aggregate | Negate | LabelReplace):
        return selectors(node.expr)
    if isinstance(node, Binary):
        return selectors(node.left) + selectors(node.right)
    return []
