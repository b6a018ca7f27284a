"""Renders the report JSON as Markdown and as one self-contained HTML page (inline CSS and SVG, no script)."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from runners.model.units import format_wall
from runners.report import event_sections as later
from runners.report import metric_sections as k6
from runners.report import sections as first
from runners.report.format import Cell, Section, Table, safe_id
from runners.report.series import chart_end
from runners.report.svg import chart_svg

MD_MARK = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "warn": "⚠️ warn",
    "better": "✅ better",
    "worse": "❌ worse",
    "same": "➖ same",
}
MD_NOTE = {"fail": "> ❌ ", "warn": "> ⚠️ ", "ok": "> ✅ "}
CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'DejaVu Sans', Arial, sans-serif;
  color: #1f2937; background: #f8fafc; margin: 0; line-height: 1.45; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #e5e7eb;
  padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; color: #374151; }
.sub { color: #6b7280; margin: 0 0 12px; } nav { font-size: 13px; margin: 8px 0 4px; }
nav a { color: #2563eb; margin-right: 12px; text-decoration: none; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
th { text-align: left; background: #f1f5f9; color: #374151; font-weight: 600; }
code { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12px; }
td:first-child { white-space: nowrap; }
th, td { padding: 5px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.pass, td.better { color: #15803d; font-weight: 600; } td.fail, td.worse { color: #b91c1c; font-weight: 600; }
td.warn { color: #b45309; font-weight: 600; } td.better-soft { color: #15803d; } td.worse-soft { color: #b91c1c; } td.same, td.muted { color: #6b7280; }
p.note { margin: 6px 0; } p.info { margin: 6px 0; }
p.warn, p.fail { margin: 8px 0; padding: 8px 12px; border-radius: 4px; border-left: 4px solid; }
p.warn { background: #fffbeb; border-color: #d97706; } p.ok { margin: 8px 0; padding: 8px 12px; border-radius: 4px;
  border-left: 4px solid #16a34a; background: #f0fdf4; } p.fail { background: #fef2f2; border-color: #dc2626; }
p.muted-note { color: #6b7280; font-size: 13px; }
figure { margin: 10px 0 14px; } svg.chart { width: 100%; height: auto; border: 1px solid #e5e7eb; border-radius: 4px; }
footer { color: #6b7280; font-size: 12px; margin-top: 36px; }
@media print { body { background: #fff; } main { padding: 0; } nav { display: none; } }
"""


def sections(report: dict[str, Any]) -> list[Section]:
    """The report's sections in reading order (the baseline comparison only when there is one)."""
    out = [first.headline(report), first.run_meta(report), first.criteria(report)]
    compared, sut, sources = first.comparison(report), later.system(report), later.sources(report)
    out += [compared] if compared else []
    out += [first.totals(report), Section("charts", "Charts", charts=True)]
    found = (k6.scenarios(report), k6.checks(report), k6.metrics(report), k6.groups(report))
    out += [s for s in found if s is not None]
    out += [later.endpoints(report)]
    out += [sut] if sut else []
    out += [sources] if sources else []
    out += [
        later.codes(report),
        later.breaches(report),
        later.marks(report),
        later.generator(report),
        later.breach_log(report),
    ]
    return out


def _x_end(report: dict[str, Any]) -> float:
    charts = report["charts"]
    base = [{"lines": c.get("baseline_lines") or []} for c in charts]
    return max(chart_end(charts), chart_end(base), float(report["run"].get("duration_s") or 0.0))


def _title(report: dict[str, Any]) -> str:
    return f"Load test report: {report['run']['name']}"


def _subtitle(report: dict[str, Any]) -> str:
    run = report["run"]
    text = f"{run['folder']} · started {format_wall(run.get('started_at'))} · {run.get('status')}"
    base = report.get("baseline")
    return text + (f" · baseline {base['run']['folder']}" if base else "")


# ---- Markdown ------------------------------------------------------------------------------------------
def _md_text(text: str) -> str:
    # Only what Markdown would read as markup: a tag opening, a table bar, a line break.
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text).replace("\n", " ")


def _md_cell(c: Cell) -> str:
    if c.cls == "code" and c.text:
        return "`" + c.text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"
    return _md_text(MD_MARK.get(c.text, c.text) if c.cls == c.text else c.text)


def _md_table(t: Table) -> list[str]:
    out = [f"**{_md_text(t.caption)}**", ""] if t.caption else []
    out.append("| " + " | ".join(_md_text(h) for h in t.headers) + " |")
    out.append(
        "|"
        + "|".join("---:" if any(r[i].cls == "num" for r in t.rows) else "---" for i in range(len(t.headers)))
        + "|"
    )
    for row in t.rows:
        out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
    return [*out, ""]


def render_markdown(report: dict[str, Any], chart_dir: str | None = None) -> str:
    """The report as Markdown.

    Args:
        report: From `build_report_json`.
        chart_dir: Folder (relative to the Markdown file) holding one `<chart id>.svg` per chart, as
            `write_report` writes them; None leaves the charts to the HTML page.

    Returns:
        The Markdown text.
    """
    out = [f"# {_md_text(_title(report))}", "", f"_{_md_text(_subtitle(report))}_", ""]
    for s in sections(report):
        out += [f"## {_md_text(s.title)}", ""]
        for text, level in s.notes:
            out += [MD_NOTE.get(level, "") + _md_text(text), ""]
        for t in s.tables:
            out += _md_table(t)
        if s.charts:
            if chart_dir is None:
                out += ["Charts are in the HTML report.", ""]
            for c in report["charts"] if chart_dir is not None else []:
                out += [f"![{_md_text(c['title'])}]({chart_dir}/{safe_id(c['id'])}.svg)", ""]
    out += [
        f"_Generated by loadwatch (report version {report['report_version']}) at {format_wall(report['generated_at'])}._",
        "",
    ]
    return "\n".join(out)


def chart_files(report: dict[str, Any]) -> dict[str, str]:
    """Each chart as a standalone SVG document, by file name (`<chart id>.svg`)."""
    x_end = _x_end(report)
    return {f"{safe_id(c['id'])}.svg": chart_svg(c, report["marks"], x_end) + "\n" for c in report["charts"]}


# ---- HTML ----------------------------------------------------------------------------------------------
def _html_cell(c: Cell) -> str:
    if c.cls == "code":
        return f"<td><code>{escape(c.text)}</code></td>"
    return f'<td class="{escape(c.cls)}">{escape(c.text)}</td>' if c.cls else f"<td>{escape(c.text)}</td>"


def _html_table(t: Table) -> list[str]:
    out = [f"<h3>{escape(t.caption)}</h3>"] if t.caption else []
    out.append(
        "<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in t.headers) + "</tr></thead><tbody>"
    )
    for row in t.rows:
        out.append("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>")
    out.append("</tbody></table>")
    return out


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML page that needs nothing else: inline CSS, inline SVG charts, no script, no fonts.

    Args:
        report: From `build_report_json`.

    Returns:
        The HTML document; every text from the record is escaped.
    """
    secs = sections(report)
    x_end = _x_end(report)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(_title(report))}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{escape(_title(report))}</h1>",
        f'<p class="sub">{escape(_subtitle(report))}</p>',
        "<nav>"
        + "".join(
            f'<a href="#{s.id}">{escape("Baseline" if s.id == "baseline" else s.title)}</a>' for s in secs
        )
        + "</nav>",
    ]
    for s in secs:
        out.append(f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>')
        for text, level in s.notes:
            out.append(f'<p class="{escape(level or "muted-note")}">{escape(text)}</p>')
        for t in s.tables:
            out += _html_table(t)
        if s.charts:
            out += [f"<figure>{chart_svg(c, report['marks'], x_end)}</figure>" for c in report["charts"]]
        out.append("</section>")
    out.append(
        f"<footer>Generated by loadwatch (report version {report['report_version']}) at "
        f"{escape(format_wall(report['generated_at']))} from {escape(report['run']['run_dir'])}.</footer>"
    )
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
