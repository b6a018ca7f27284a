"""A recursive-descent parser (never `eval`) for the small PromQL subset direct scrape evaluates."""

from __future__ import annotations

import re
from collections.abc import Callable

from collectors.scrape_ast import (
    COMPARISONS,
    Aggregate,
    Binary,
    ExprError,
    LabelReplace,
    Matcher,
    Negate,
    Node,
    Number,
    RangeCall,
    Selector,
)

AGGREGATIONS = frozenset({"sum", "avg", "min", "max", "count"})
RANGE_FUNCTIONS = frozenset({"rate", "irate", "increase"})
_ADDITIVE = frozenset({"+", "-"})
_MULTIPLICATIVE = frozenset({"*", "/"})
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<range>\[\s*(?:\d+(?:ms|[smhdw]))+\s*\])
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|>=|<=|=~|!~|[-+*/(){}\[\],=<>])
    )""",
    re.VERBOSE,
)


def parse_expr(text: str) -> Node:
    """Parse an expression of the supported PromQL subset.

    Supported: numbers, `metric{l="v", l2=~"re"}`, `rate|irate|increase(metric[5m])`, `sum|avg|min|max|count
    [by|without (labels)] (expr)`, `label_replace(...)`, `+ - * /` and comparisons (`> 0` filters),
    `on(...)`/`ignoring(...)`, parentheses and unary minus.

    Args:
        text: The expression.

    Returns:
        Its syntax tree.

    Raises:
        ExprError: Naming the position and the problem.
    """
    return _Parser(text).parse()


def _duration(text: str) -> float:
    return sum(float(n) * _DURATION_UNITS[u] for n, u in re.findall(r"(\d+)(ms|[smhdw])", text))


class _Parser:
    """Precedence, lowest first: comparisons, `+ -`, `* /`, unary minus, primaries (as in PromQL)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise ExprError(f"unexpected character {text[pos:].lstrip()[0]!r} at {pos + 1}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise ExprError("empty expression")
        node = self._comparison()
        if self.i < len(self.tokens):
            raise ExprError(f"unexpected {self._peek()[1]!r} at {self._peek()[2] + 1}")
        return node

    def _peek(self) -> tuple[str, str, int]:
        return (
            self.tokens[self.i] if self.i < len(self.tokens) else ("end", "end of expression", len(self.text))
        )

    def _take(self, value: str) -> bool:
        if self._peek()[1] == value and self._peek()[0] in {"op", "ident"}:
            self.i += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._take(value):
            _kind, got, pos = self._peek()
            raise ExprError(f"expected {value!r} at {pos + 1}, got {got!r}")

    def _modifiers(self, op: str) -> tuple[bool, tuple[str, ...] | None, tuple[str, ...]]:
        as_bool = op in COMPARISONS and self._take("bool")
        on: tuple[str, ...] | None = None
        ignoring: tuple[str, ...] = ()
        if self._take("on"):
            on = self._label_list()
        elif self._take("ignoring"):
            ignoring = self._label_list()
        if self._peek()[1] in {"group_left", "group_right"}:
            raise ExprError("group_left/group_right are not supported by direct scrape")
        return as_bool, on, ignoring

    def _level(self, ops: frozenset[str], operand: Callable[[], Node]) -> Node:
        node = operand()
        while self._peek()[0] == "op" and self._peek()[1] in ops:
            op = self._peek()[1]
            self.i += 1
            as_bool, on, ignoring = self._modifiers(op)
            node = Binary(op, node, operand(), on, ignoring, as_bool)
        return node

    def _comparison(self) -> Node:
        return self._level(COMPARISONS, self._sum)

    def _sum(self) -> Node:
        return self._level(_ADDITIVE, self._product)

    def _product(self) -> Node:
        return self._level(_MULTIPLICATIVE, self._unary)

    def _unary(self) -> Node:
        if self._take("-"):
            inner = self._unary()
            return Number(-inner.value) if isinstance(inner, Number) else Negate(inner)
        self._take("+")
        return self._primary()

    def _primary(self) -> Node:
        kind, value, pos = self._peek()
        if kind == "number":
            self.i += 1
            return Number(float(value))
        if kind == "op" and value == "(":
            self.i += 1
            node = self._comparison()
            self._expect(")")
            return node
        if kind == "op" and value == "{":
            raise ExprError(f"a selector needs a metric name at {pos + 1}")
        if kind != "ident":
            raise ExprError(f"unexpected {value!r} at {pos + 1}")
        self.i += 1
        if value in AGGREGATIONS and self._peek()[1] in {"(", "by", "without"}:
            return self._aggregate(value)
        if value in RANGE_FUNCTIONS and self._peek()[1] == "(":
            self._expect("(")
            sel = self._selector(self._ident())
            self._expect(")")
            if sel.range_s is None:
                raise ExprError(f"{value}() needs a range, e.g. {value}({sel.metric}[1m])")
            return RangeCall(value, sel)
        if value == "label_replace" and self._peek()[1] == "(":
            return self._label_replace()
        if self._peek()[1] == "(":
            raise ExprError(f"function {value}() is not supported by direct scrape")
        sel = self._selector(value)
        if sel.range_s is not None:
            raise ExprError(f"a range selector needs rate(), irate() or increase() at {pos + 1}")
        return sel

    def _aggregate(self, op: str) -> Node:
        labels: tuple[str, ...] | None = None
        without = False
        if self._peek()[1] in {"by", "without"}:
            without = self._peek()[1] == "without"
            self.i += 1
            labels = self._label_list()
        self._expect("(")
        inner = self._comparison()
        self._expect(")")
        if labels is None and self._peek()[1] in {"by", "without"}:
            without = self._peek()[1] == "without"
            self.i += 1
            labels = self._label_list()
        return Aggregate(op, inner, labels, without)

    def _label_replace(self) -> Node:
        self._expect("(")
        inner = self._comparison()
        args: list[str] = []
        for _ in range(4):
            self._expect(",")
            args.append(self._string())
        self._expect(")")
        try:
            re.compile(args[3])
        except re.error as exc:
            raise ExprError(f"invalid regex {args[3]!r} in label_replace: {exc}") from None
        return LabelReplace(inner, *args)

    def _ident(self) -> str:
        kind, value, pos = self._peek()
        if kind != "ident":
            raise ExprError(f"expected a name at {pos + 1}, got {value!r}")
        self.i += 1
        return value

    def _label_list(self) -> tuple[str, ...]:
        self._expect("(")
        labels: list[str] = []
        while not self._take(")"):
            labels.append(self._ident())
            if not self._take(","):
                self._expect(")")
                break
        return tuple(labels)

    def _selector(self, metric: str) -> Selector:
        matchers: list[Matcher] = []
        if self._take("{"):
            while not self._take("}"):
                label = self._ident()
                _kind, op, pos = self._peek()
                if op not in {"=", "!=", "=~", "!~"}:
                    raise ExprError(f"expected a label matcher operator at {pos + 1}, got {op!r}")
                self.i += 1
                value = self._string()
                if op in {"=~", "!~"}:
                    try:
                        re.compile(value)
                    except re.error as exc:
                        raise ExprError(f"invalid regex {value!r} for label {label}: {exc}") from None
                matchers.append(Matcher(label, op, value))
                if not self._take(","):
                    self._expect("}")
                    break
        range_s = None
        if self._peek()[0] == "range":
            range_s = _duration(self._peek()[1])
            self.i += 1
        return Selector(metric, tuple(matchers), range_s)

    def _string(self) -> str:
        kind, value, pos = self._peek()
        if kind != "string":
            raise ExprError(f"expected a quoted label value at {pos + 1}, got {value!r}")
        self.i += 1
        body = value[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
