"""Charts as inline SVG, drawn in Python: lines, a muted baseline overlay, breach spans and marks. No script."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from runners.model.units import format_clock

WIDTH, HEIGHT = 960, 256
PAD_L, PAD_R, PAD_T, PAD_B = 62, 18, 52, 30
MAX_POINTS = 1200  # per line; longer runs are thinned to the min and max of each slice, so spikes survive
PALETTE = ("#2563eb", "#ea580c", "#7c3aed", "#0891b2", "#65a30d", "#db2777")
LEVEL_COLOUR = {"warning": "#d97706", "critical": "#dc2626"}
MARK_COLOUR = "#334155"
FAULT_COLOUR = "#64748b"
GRID = "#e5e7eb"
INK = "#1f2937"
MUTED = "#6b7280"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'DejaVu Sans', Arial, sans-serif"
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def fmt_tick(v: float) -> str:
    """A compact axis label: 0.25, 12, 1.5k, 3M."""
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


def nice_ticks(top: float, n: int = 5) -> list[float]:
    """Ticks from 0 to at least `top`, on a 1-2-5 step."""
    top = top if top > 0 else 1.0
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def time_ticks(end: float, n: int = 10) -> list[float]:
    """Ticks on the time axis, at most about n, on round steps (seconds, minutes)."""
    step = next((s for s in _TIME_STEPS if end / s <= n), _TIME_STEPS[-1])
    return [float(i * step) for i in range(int(end // step) + 1)]


def decimate(
    points: Sequence[Sequence[float | None]], max_points: int = MAX_POINTS
) -> list[list[float | None]]:
    """Thin a line to about max_points, keeping each slice's lowest and highest point and its gaps."""
    if len(points) <= max_points:
        return [list(p) for p in points]
    size = math.ceil(len(points) / (max_points / 2))
    out: list[list[float | None]] = []
    for i in range(0, len(points), size):
        chunk = [p for p in points[i : i + size] if p[1] is not None]
        if not chunk:
            out.append([points[i][0], None])
            continue
        lo = min(chunk, key=lambda p: p[1] or 0.0)
        hi = max(chunk, key=lambda p: p[1] or 0.0)
        out.extend(list(p) for p in sorted({id(lo): lo, id(hi): hi}.values(), key=lambda p: p[0] or 0.0))
    return out


class _Scale:
    def __init__(self, x_end: float, y_top: float, width: int, height: int) -> None:
        self.x_end, self.y_top, self.w, self.h = max(x_end, 1.0), max(y_top, 1e-9), width, height

    def x(self, v: float) -> float:
        return round(PAD_L + (self.w - PAD_L - PAD_R) * min(max(v, 0.0), self.x_end) / self.x_end, 1)

    def y(self, v: float) -> float:
        return round(self.h - PAD_B - (self.h - PAD_T - PAD_B) * min(v, self.y_top) / self.y_top, 1)


def _path(points: Sequence[Sequence[float | None]], sc: _Scale) -> str:
    parts: list[str] = []
    pen_up = True
    for x, y in decimate(points):
        if x is None or y is None:
            pen_up = True
            continue
        parts.append(f"{'M' if pen_up else 'L'}{sc.x(x)} {sc.y(y)}")
        pen_up = False
    return "".join(parts)


def _legend(items: list[tuple[str, str, str]], y: int) -> list[str]:
    """Legend entries (label, colour, dash pattern) in one row, from the left."""
    out, x = [], PAD_L
    for label, colour, dash in items:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<text x="{x + 23}" y="{y}" fill="{INK}">{escape(label)}</text>'
        )
        x += 34 + 7 * len(label)
    return out


def chart_svg(
    chart: dict[str, Any],
    marks: Sequence[dict[str, Any]],
    x_end: float,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """One chart of the report as an SVG element (valid inline in HTML and as a standalone .svg file).

    Args:
        chart: A chart of the report JSON (title, unit, lines, spans and optional baseline_lines).
        marks: The run's marks (n, elapsed_s, note), drawn as dashed vertical lines.
        x_end: The time axis' end in seconds (shared by every chart of a report).
        width: The SVG's width in px.
        height: The SVG's height in px.

    Returns:
        The `<svg>` markup; every text in it is escaped.
    """
    lines, base = chart["lines"], chart.get("baseline_lines") or []
    values = [p[1] for line in (*lines, *base) for p in line["points"] if p[1] is not None]
    top = max(values, default=0.0)
    unit = str(chart.get("unit") or "")
    ticks = nice_ticks(
        100.0 if unit == "%" and 50.0 < top <= 100.0 else top * 1.05
    )  # a full % axis ends at 100
    sc = _Scale(x_end, ticks[-1], width, height)
    title = str(chart["title"])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" font-family="{escape(FONT)}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{PAD_L}" y="17" font-size="14" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]
    for s in chart.get("spans") or []:
        x0, x1 = sc.x(float(s["start_s"])), sc.x(float(s["end_s"]))
        colour = LEVEL_COLOUR.get(str(s.get("level")), MUTED)
        tip = f"{s.get('rule')} ({s.get('metric')}) {s.get('level')} {format_clock(s['start_s'], short=True)}-{format_clock(s['end_s'], short=True)}"
        out.append(
            f'<g class="breach"><title>{escape(tip)}</title><rect x="{x0}" y="{PAD_T}" width="{max(x1 - x0, 1.0)}" '
            f'height="{height - PAD_T - PAD_B}" fill="{colour}" fill-opacity="0.14"/><rect x="{x0}" y="{PAD_T}" '
            f'width="{max(x1 - x0, 1.0)}" height="4" fill="{colour}"/></g>'
        )
    for f in chart.get("faults") or []:
        x0, x1 = sc.x(float(f["start_s"])), sc.x(float(f["end_s"]))
        tip = f"{f.get('gauge')}: {f.get('state')} {f.get('reason') or ''} {format_clock(f['start_s'], short=True)}-{format_clock(f['end_s'], short=True)}"
        out.append(
            f'<g class="fault"><title>{escape(tip)}</title><rect x="{x0}" y="{PAD_T}" width="{max(x1 - x0, 1.0)}" '
            f'height="{height - PAD_T - PAD_B}" fill="{FAULT_COLOUR}" fill-opacity="0.18"/><text x="{x0 + 3}" '
            f'y="{height - PAD_B - 6}" fill="{MUTED}" font-size="11">{escape(str(f.get("state")).replace("_", " "))}</text></g>'
        )
    for v in ticks:
        y = sc.y(v)
        out.append(
            f'<line x1="{PAD_L}" y1="{y}" x2="{width - PAD_R}" y2="{y}" stroke="{GRID}"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4}" text-anchor="end" fill="{MUTED}">{fmt_tick(v)}</text>'
        )
    for t in time_ticks(sc.x_end):
        out.append(
            f'<text x="{sc.x(t)}" y="{height - PAD_B + 17}" text-anchor="middle" fill="{MUTED}">{format_clock(t, short=True)}</text>'
        )
    mid = (PAD_T + height - PAD_B) // 2
    out.append(
        f'<text x="14" y="{mid}" transform="rotate(-90 14 {mid})" text-anchor="middle" fill="{MUTED}">{escape(unit)}</text>'
    )
    out.append(
        f'<line x1="{PAD_L}" y1="{height - PAD_B}" x2="{width - PAD_R}" y2="{height - PAD_B}" stroke="{MUTED}"/>'
    )
    for i, line in enumerate(base):
        d = _path(line["points"], sc)
        if d:
            out.append(
                f'<path d="{d}" fill="none" stroke="{PALETTE[i % len(PALETTE)]}" stroke-opacity="0.38" '
                f'stroke-width="1.6" stroke-dasharray="5 3"><title>baseline {escape(str(line["label"]))}</title></path>'
            )
    for i, line in enumerate(lines):
        d = _path(line["points"], sc)
        if d:
            out.append(
                f'<path d="{d}" fill="none" stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="1.8" '
                f'stroke-linejoin="round"><title>{escape(str(line["label"]))}</title></path>'
            )
    for m in marks:
        x = sc.x(float(m.get("elapsed_s") or 0.0))
        tip = f"M{m.get('n')} at {format_clock(float(m.get('elapsed_s') or 0.0), short=True)}: {m.get('note') or '(no note)'}"
        out.append(
            f'<g class="mark"><title>{escape(tip)}</title><line x1="{x}" y1="{PAD_T}" x2="{x}" y2="{height - PAD_B}" '
            f'stroke="{MARK_COLOUR}" stroke-width="1.2" stroke-dasharray="4 3"/><text x="{x + 3}" y="{PAD_T + 16}" '
            f'fill="{MARK_COLOUR}" font-size="11">M{m.get("n")}</text></g>'
        )
    legend = [(str(line["label"]), PALETTE[i % len(PALETTE)], "") for i, line in enumerate(lines)]
    if base:
        legend.append(("baseline", MUTED, "5 3"))
    levels = sorted({str(s.get("level")) for s in chart.get("spans") or []}, key=lambda lvl: lvl != "warning")
    legend += [(f"{lvl} breach", LEVEL_COLOUR.get(lvl, MUTED), "") for lvl in levels]
    if chart.get("faults"):
        legend.append(("no data (source fault)", FAULT_COLOUR, ""))
    if marks:
        legend.append(("mark", MARK_COLOUR, "4 3"))
    out += _legend(legend, 36)
    out.append("</svg>")
    return "\n".join(out)
