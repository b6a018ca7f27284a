"""One formatting module: the screen, the rules and the report print a value the same way."""

from __future__ import annotations

from runners.model import units
from runners.report import format as report_format
from runners.rules import format as rules_format


def test_clocks_durations_and_values() -> None:
    assert units.format_clock(65.9) == "01:05"  # a running clock truncates
    assert units.format_clock(65.6, short=True) == "1:06"  # the report rounds
    assert units.format_clock(3725, short=True) == units.format_clock(3725) == "1:02:05"
    assert units.format_clock(None) == "--:--"
    assert units.format_seconds(90) == "1m30s" and units.format_seconds(0.25) == "250ms"
    assert units.format_value("k6.p95_ms", 612.34) == "612 ms"
    assert units.format_value("container.api.mem_bytes", 1.5 * 1024**3) == "1.5 GiB"
    assert units.format_value("gauge.db_pool", 97.25, exact=True) == "97.25 %"
    assert units.format_bytes(31_457_280) == units.format_gauge_value(31_457_280, "bytes") == "31.5 MB"
    assert units.format_unit_value(3.5712, "%") == "3.57 %"


def test_the_layers_use_the_one_module() -> None:
    # The rules and the report take their number formatting from runners.model.units (no copies left).
    assert vars(rules_format)["format_value"] is units.format_value
    assert vars(report_format)["format_unit_value"] is units.format_unit_value
    assert not hasattr(report_format, "fmt_value") and not hasattr(rules_format, "_number")
