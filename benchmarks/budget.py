"""Budget verdicts that gate: a benchmark exits non-zero when its figure misses the bound it checks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Budget:
    """One budget: the real bound (full run) and a relaxed one a busy 2-core CI box meets (--smoke).

    `higher_is_better` says which way the figure must go (lines/s: higher; MB, seconds: lower).
    """

    name: str
    unit: str
    full: float
    smoke: float
    higher_is_better: bool = False

    def bound(self, smoke: bool) -> float:
        """The bound checked in this mode."""
        return self.smoke if smoke else self.full

    def holds(self, value: float, smoke: bool) -> bool:
        """True when `value` meets the bound of this mode."""
        limit = self.bound(smoke)
        return value >= limit if self.higher_is_better else value <= limit


def check(budget: Budget, value: float, smoke: bool) -> bool:
    """Print one verdict line for `value` against the mode's bound.

    Args:
        budget: the budget checked.
        value: the measured figure, in `budget.unit`.
        smoke: True for the relaxed CI bound, False for the real budget.

    Returns:
        True when the bound holds.
    """
    ok = budget.holds(value, smoke)
    sign = ">=" if budget.higher_is_better else "<="
    mode = "smoke bound" if smoke else "budget"
    verdict = "OK" if ok else "FAILED"
    print(
        f"{budget.name}: {_num(value)} {budget.unit} ({mode} {sign} {_num(budget.bound(smoke))}): {verdict}"
    )
    return ok


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def exit_code(results: list[bool]) -> int:
    """0 when every checked bound held, 1 otherwise (with a closing line saying so)."""
    failed = results.count(False)
    if failed:
        print(f"{failed} of {len(results)} budget checks FAILED")
        return 1
    print(f"all {len(results)} budget checks held")
    return 0
