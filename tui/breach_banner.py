"""A one-line banner naming the critical rules firing now; hidden when none. Sits under the header on every screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.widgets import Static

from runners.model.rule_events import Breach
from runners.model.units import format_value
from runners.rules.format import breach_label


def banner_text(critical: Sequence[Breach], limit: int = 4) -> str:
    """The banner's line: `CRITICAL  db-connections primary 98 % > 95 % · ...  (+2 more)`.

    Args:
        critical: The critical breaches firing now, oldest first.
        limit: At most this many are named; the rest are counted.

    Returns:
        The text; empty when there are none.
    """
    if not critical:
        return ""
    parts = []
    for b in critical[:limit]:
        value = "no data" if b.data_missing else format_value(b.path, b.last)
        label = breach_label(b.rule, b.path, b.pattern)
        parts.append(f"{label} {value} {b.op} {format_value(b.path, b.threshold, exact=True)}")
    more = f"  (+{len(critical) - limit} more)" if len(critical) > limit else ""
    return "CRITICAL  " + " · ".join(parts) + more


class BreachBanner(Static):
    """Visible only while a rule fires at critical; the app calls `show_breaches` from each frame."""

    MAX_NAMED: ClassVar[int] = 4
    """Critical rules named in the line; the rest are counted."""

    DEFAULT_CSS = """
    BreachBanner {
        display: none;
        width: 1fr;
        height: 1;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    BreachBanner.-shown {
        display: block;
    }
    BreachBanner:nocolor {
        text-style: bold reverse;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """Create the banner, hidden.

        Args:
            id: The widget id.
        """
        super().__init__("", id=id, markup=False)
        self.text = ""
        """The line shown now (empty while hidden)."""

    def show_breaches(self, firing: Sequence[Breach]) -> None:
        """Show the critical ones among the firing breaches, or hide the banner.

        Args:
            firing: Breaches firing now (`RuleEngine.firing()`); only critical ones are shown.
        """
        text = banner_text([b for b in firing if b.level == "critical"], self.MAX_NAMED)
        if text == self.text:
            return
        self.text = text
        self.update(text)
        self.set_class(bool(text), "-shown")
