"""The report as one self-contained HTML file: no script, font, image or style from outside."""

from __future__ import annotations

from service.report.model import (
    SYMBOL,
    BarChart,
    Block,
    Cell,
    GroupedBarChart,
    Mark,
    Report,
    Section,
    Table,
    legend,
    mark_of,
)
from service.report.svg import chart_svg, chart_table
from service.report.text import cell_text, esc, esc_marked, is_number

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "Noto Sans CJK SC", "Source Han Sans SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  color: #1b1b1b; background: #ffffff; }
.skip-link { position: absolute; left: 0.5rem; top: -4rem; padding: 0.5rem 1rem;
  background: #0b4f8a; color: #ffffff; z-index: 10; }
.skip-link:focus { top: 0.5rem; }
a { color: #0b4f8a; }
a:focus-visible, [tabindex]:focus-visible { outline: 3px solid #0b4f8a; outline-offset: 2px; }
header.banner, nav, main, footer { max-width: 62rem; margin: 0 auto; padding: 0 1rem; }
header.banner p { margin: 1rem 0 0; color: #4a4a4a; }
nav .toc-title { font-weight: 700; margin: 1rem 0 0.25rem; }
nav ol { margin: 0; padding-left: 1.5rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 1.5rem 0 0.5rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 0.75rem; border-bottom: 2px solid #767676; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.meta dt { font-weight: 700; }
dl.meta dd { margin: 0; }
.table-wrap { overflow-x: auto; margin: 1rem 0 0.25rem; }
table { border-collapse: collapse; min-width: 50%; }
caption { text-align: left; font-weight: 700; padding: 0.25rem 0; caption-side: top; }
th, td { border: 1px solid #767676; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }
thead th { background: #e8eef4; }
tbody th { font-weight: 600; }
td.num, td.mark { text-align: right; font-variant-numeric: tabular-nums; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.note { font-size: 0.9rem; color: #3d3d3d; margin: 0.25rem 0 1rem; }
figure.chart { margin: 1.5rem 0 0.5rem; }
figure.chart figcaption { font-weight: 700; margin-bottom: 0.25rem; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
footer { margin-top: 3rem; padding-bottom: 2rem; color: #3d3d3d; font-size: 0.9rem; }
@media print {
  @page { size: A4; margin: 16mm 14mm; }
  body { font-size: 10.5pt; }
  .skip-link, nav { display: none; }
  header.banner, main, footer { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure.chart, tr, caption { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  thead th { background: none; }
}
"""


def _cell(value: Cell, decimals: int, *, header: bool) -> str:
    mark = mark_of(value)
    if header:
        return f'<th scope="row">{esc_marked(cell_text(value, decimals))}</th>'
    if mark is not None:
        return (
            f'<td class="mark"><span aria-hidden="true">{SYMBOL[mark]}</span>'
            f'<span class="vh">{mark.value}</span></td>'
        )
    cls = ' class="num"' if is_number(value) else ""
    return f"<td{cls}>{esc_marked(cell_text(value, decimals))}</td>"


def table_html(table: Table, tid: str, threshold: int) -> str:
    """A table with its caption, column and row headers, then its footnotes."""
    head = "".join(f'<th scope="col">{esc_marked(c)}</th>' for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(_cell(c, table.decimals, header=i < table.row_headers) for i, c in enumerate(row))
        + "</tr>"
        for row in table.rows
    )
    notes = [f"{SYMBOL[m]} {legend(m, threshold)}" for m in Mark if m in table.marks()]
    notes += list(table.notes)
    return (
        f'<div class="table-wrap" role="region" aria-labelledby="{tid}-cap" tabindex="0">'
        f'<table id="{tid}"><caption id="{tid}-cap">{esc_marked(table.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        + "".join(f'<p class="note">{esc_marked(n)}</p>' for n in notes)
    )


def chart_html(chart: BarChart | GroupedBarChart, cid: str, threshold: int) -> str:
    """The chart, then its figures as a table (the text alternative, visible to all)."""
    return (
        f'<figure class="chart" id="{cid}"><figcaption>{esc_marked(chart.title)}'
        f"</figcaption>{chart_svg(chart, cid)}</figure>"
        + table_html(chart_table(chart), f"{cid}-data", threshold)
    )


def _block(block: Block, bid: str, threshold: int) -> str:
    if isinstance(block, str):
        return f"<p>{esc_marked(block)}</p>"
    if isinstance(block, Table):
        return table_html(block, f"t{bid}", threshold)
    return chart_html(block, f"c{bid}", threshold)


def _section(section: Section, n: int, threshold: int) -> str:
    blocks = "".join(
        _block(b, f"{n}-{i}", threshold) for i, b in enumerate(section.blocks, start=1)
    )
    return (
        f'<section id="s{n}" aria-labelledby="s{n}-h"><h2 id="s{n}-h">'
        f"{esc_marked(section.heading)}</h2>{blocks}</section>"
    )


def _legend(report: Report) -> str:
    marks = [m for m in Mark if m in report.marks()]
    if not marks:
        return ""
    items = "".join(
        f"<dt>{SYMBOL[m]}</dt><dd>{esc(legend(m, report.threshold))}</dd>" for m in marks
    )
    return (
        f'<section id="symbols" aria-labelledby="symbols-h"><h2 id="symbols-h">Symbols'
        f'</h2><dl class="meta">{items}</dl></section>'
    )


def render_html(report: Report) -> str:
    """The whole report as an HTML document (UTF-8 text)."""
    toc = [(f"s{n}", s.heading) for n, s in enumerate(report.sections, start=1)]
    if report.marks():
        toc.append(("symbols", "Symbols"))
    district = f"{report.district.name} ({report.district.code})"
    generated = report.generated_at.isoformat(timespec="minutes")
    meta = (
        f"<dt>District</dt><dd>{esc_marked(district)}</dd>"
        f"<dt>Year</dt><dd>{report.year}</dd>"
        f'<dt>Generated</dt><dd><time datetime="{esc(report.generated_at.isoformat())}">'
        f"{esc(generated)}</time></dd>"
        f"<dt>Suppression</dt><dd>counts of fewer than {report.threshold} people are "
        "not shown</dd>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(report.lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="AccessMatch">\n'
        f"<title>{esc(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        '<a class="skip-link" href="#main">Skip to the report</a>\n'
        '<header class="banner"><p>AccessMatch · annual monitoring report</p></header>\n'
        '<nav aria-label="Contents"><p class="toc-title" aria-hidden="true">Contents</p><ol>'
        + "".join(f'<li><a href="#{i}">{esc_marked(h)}</a></li>' for i, h in toc)
        + '</ol></nav>\n<main id="main" tabindex="-1">\n'
        f"<h1>{esc_marked(report.title)}</h1>\n"
        f'<dl class="meta">{meta}</dl>\n'
        + "".join(f"<p>{esc_marked(n)}</p>" for n in report.notes)
        + "\n".join(
            _section(s, n, report.threshold) for n, s in enumerate(report.sections, start=1)
        )
        + _legend(report)
        + f"\n</main>\n<footer><p>Generated by AccessMatch on {esc(generated)}.</p></footer>\n"
        "</body>\n</html>\n"
    )
