"""Inline SVG bar charts that need no external asset and say what they show.

Each chart is ``role="img"`` named by its ``<title>`` and ``<desc>``; every bar carries its
value as text, series differ by pattern as well as colour (and name their bars), and a
suppressed value is a hatched, dashed stub labelled "suppressed", never a bar of some
length.  ``chart_table`` gives the same figures as a table, shown right after the chart."""

from __future__ import annotations

import math
from dataclasses import dataclass

from service.report.model import Bar, BarChart, Chart, GroupedBarChart, Mark, Table, Value, mark_of
from service.report.text import em_width, esc, number

WIDTH = 720
FONT = 13
FONT_FAMILY = (
    "system-ui, 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', "
    "'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"
)
INK = "#1b1b1b"  # text: 16.8:1 on white
AXIS = "#595959"  # 7:1
TARGET = "#a50f15"  # 8.3:1
# Bar colours, each at least 4.5:1 on white and told apart by pattern too.
PALETTE = ("#1f4e79", "#8a4b08", "#2d6a4f", "#6a3d9a", "#9e1f63", "#3f3f3f")
PATTERNS = ("solid", "diagonal", "dots", "cross", "horizontal", "vertical")
SUPPRESSED_STUB = 36  # px: a fixed stub, so its length says nothing about the value
MAX_LABEL = 260


def value_text(value: Value, decimals: int, unit: str) -> str:
    """A bar's label: the figure (with % for a percentage), or what the mark means."""
    mark = mark_of(value)
    if mark is not None:
        return mark.value
    assert not isinstance(value, Mark) and value is not None
    return number(value, decimals) + (" %" if unit == "%" else "")


def chart_table(chart: Chart) -> Table:
    """The chart's figures as a table: its text alternative."""
    unit = f" ({chart.unit})" if chart.unit else ""
    if isinstance(chart, BarChart):
        target = (
            ""
            if chart.target is None
            else f"; {chart.target_label} {value_text(chart.target, chart.decimals, chart.unit)}"
        )
        return Table(
            caption=f"Data of the chart: {chart.title}{target}",
            columns=(chart.category or "Label", f"Value{unit}"),
            rows=tuple((b.label, b.value) for b in chart.bars),
            decimals=chart.decimals,
        )
    return Table(
        caption=f"Data of the chart: {chart.title}",
        columns=(chart.category or "Category", *(f"{s.name}{unit}" for s in chart.series)),
        rows=tuple(
            (c, *(s.values[i] for s in chart.series)) for i, c in enumerate(chart.categories)
        ),
        decimals=chart.decimals,
    )


def _px(text: str) -> float:
    return em_width(text) * FONT


def _fit(text: str, width: float) -> str:
    """``text`` cut with an ellipsis to ``width`` px (the data table has it in full)."""
    if _px(text) <= width:
        return text
    while text and _px(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _nice_max(peak: float, *, whole: bool) -> float:
    """The axis end: four equal steps of a round size (whole ones for counts)."""
    if peak <= 0:
        return 4.0 if whole else 1.0
    power = 10.0 ** math.floor(math.log10(peak / 4))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = m * power
        if whole and (step < 1 or step != int(step)):
            continue
        if 4 * step >= peak * (1 - 1e-9):
            return 4 * step
    return 40 * power


def _pattern(pid: str, kind: str, colour: str) -> str:
    if kind == "solid":
        return ""
    lines = {
        "diagonal": '<path d="M0 8L8 0M-2 2L2 -2M6 10L10 6" stroke-width="2.5"/>',
        "dots": '<circle cx="4" cy="4" r="2" stroke="none"/>',
        "cross": '<path d="M0 0L8 8M8 0L0 8" stroke-width="1.8"/>',
        "horizontal": '<path d="M0 4H8" stroke-width="3"/>',
        "vertical": '<path d="M4 0V8" stroke-width="3"/>',
    }[kind]
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="#ffffff"/>'
        f'<g stroke="{colour}" fill="{colour}">{lines}</g></pattern>'
    )


@dataclass
class _Frame:
    """Where things go: bars from ``x0`` over ``width`` px for values up to ``top``."""

    x0: float
    width: float
    top: float

    def x(self, value: float) -> float:
        return self.x0 + max(value, 0) / self.top * self.width


def _numbers(values: list[Value]) -> list[float]:
    return [float(v) for v in values if mark_of(v) is None]  # type: ignore[arg-type]


def _label(x: float, y: float, text: str, *, italic: bool = False) -> str:
    # A white halo keeps the figure legible where the target line crosses it.
    style = ' font-style="italic"' if italic else ""
    return (
        f'<text class="value" x="{x:.1f}" y="{y:.1f}" stroke="#ffffff" stroke-width="4" '
        f'stroke-linejoin="round" paint-order="stroke"{style}>{esc(text)}</text>'
    )


def _bar(
    frame: _Frame, y: float, h: float, value: Value, *, fill: str, stroke: str, label: str, cid: str
) -> tuple[str, str]:
    """The bar's shape, and its label (drawn last, over any target line)."""
    mark = mark_of(value)
    text_y = y + h / 2 + FONT * 0.35
    if mark is Mark.SUPPRESSED:
        return (
            f'<rect x="{frame.x0:.1f}" y="{y:.1f}" width="{SUPPRESSED_STUB}" '
            f'height="{h:.1f}" fill="url(#{cid}-hatch)" stroke="{AXIS}" '
            f'stroke-dasharray="3 2"/>',
            _label(frame.x0 + SUPPRESSED_STUB + 6, text_y, label, italic=True),
        )
    if mark is Mark.NOT_AVAILABLE:
        return "", _label(frame.x0 + 6, text_y, label, italic=True)
    end = frame.x(float(value))  # type: ignore[arg-type]
    rect = (
        f'<rect x="{frame.x0:.1f}" y="{y:.1f}" width="{end - frame.x0:.1f}" '
        f'height="{h:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        if end > frame.x0
        else ""
    )
    return rect, _label(end + 6, text_y, label)


def _axis(frame: _Frame, y_top: float, y_bottom: float, unit: str) -> str:
    parts = [
        f'<line x1="{frame.x0:.1f}" y1="{y_top:.1f}" x2="{frame.x0:.1f}" '
        f'y2="{y_bottom:.1f}" stroke="{AXIS}" stroke-width="1.5"/>',
        f'<line x1="{frame.x0:.1f}" y1="{y_bottom:.1f}" x2="{frame.x0 + frame.width:.1f}" '
        f'y2="{y_bottom:.1f}" stroke="{AXIS}"/>',
    ]
    step = frame.top / 4
    places = next((d for d in range(4) if abs(round(step, d) - step) < 1e-9), 4)
    for i in range(5):
        v = float(round(step * i, places))
        x = frame.x(v)
        parts.append(
            f'<line x1="{x:.1f}" y1="{y_bottom:.1f}" x2="{x:.1f}" '
            f'y2="{y_bottom + 4:.1f}" stroke="{AXIS}"/>'
            f'<text class="tick" x="{x:.1f}" y="{y_bottom + 18:.1f}" '
            f'text-anchor="middle">{esc(value_text(v, places, unit))}</text>'
        )
    return "".join(parts)


def _describe(chart: Chart, values: list[Value], count: int) -> str:
    kind = (
        "Horizontal bar chart"
        if isinstance(chart, BarChart)
        else f"Grouped horizontal bar chart of {len(chart.series)} series "
        f"({', '.join(s.name for s in chart.series)})"
    )
    parts = [chart.description] if chart.description else []
    parts.append(
        f"{kind} of {count} {'bars' if isinstance(chart, BarChart) else 'groups'}"
        + (f", in {chart.unit}" if chart.unit else "")
        + "."
    )
    shown = _numbers(values)
    if shown:
        parts.append(
            f"Values from {value_text(min(shown), chart.decimals, chart.unit)} "
            f"to {value_text(max(shown), chart.decimals, chart.unit)}."
        )
    hidden = sum(1 for v in values if mark_of(v) is Mark.SUPPRESSED)
    if hidden:
        parts.append(f"{hidden} suppressed.")
    if isinstance(chart, BarChart) and chart.target is not None:
        parts.append(
            f"Dashed line: {chart.target_label} "
            f"{value_text(chart.target, chart.decimals, chart.unit)}."
        )
    parts.append("The table after the chart gives every value.")
    return " ".join(parts)


def _open(chart: Chart, cid: str, height: float, desc: str, defs: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" font-family="{esc(FONT_FAMILY)}" '
        f'font-size="{FONT}" fill="{INK}">'
        f'<title id="{cid}-title">{esc(chart.title)}</title>'
        f'<desc id="{cid}-desc">{esc(desc)}</desc>'
        f'<defs><pattern id="{cid}-hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{AXIS}" stroke-width="2"/>'
        f"</pattern>{defs}</defs>"
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>'
    )


def _frame(labels: list[str], value_labels: list[str], values: list[float]) -> tuple[_Frame, float]:
    label_w = min(max([_px(s) for s in labels] + [40]) + 12, MAX_LABEL)
    room = max([_px(s) for s in value_labels] + [_px("suppressed") + SUPPRESSED_STUB]) + 16
    x0 = label_w + 8
    top = _nice_max(max([*values, 0]), whole=all(v == int(v) for v in values))
    return _Frame(x0=x0, width=max(WIDTH - x0 - room, 120), top=top), label_w


def bar_chart_svg(chart: BarChart, cid: str) -> str:
    bars: tuple[Bar, ...] = chart.bars
    values = [b.value for b in bars]
    texts = [value_text(v, chart.decimals, chart.unit) for v in values]
    scale = _numbers(values) + ([chart.target] if chart.target is not None else [])
    frame, label_w = _frame([b.label for b in bars], texts, scale)
    top, h, gap = (30 if chart.target is not None else 10), 22, 8
    bottom = top + len(bars) * (h + gap)
    parts, labels = [], []
    for i, (bar, text) in enumerate(zip(bars, texts, strict=True)):
        y = top + i * (h + gap) + gap / 2
        parts.append(
            f'<text class="label" x="{label_w:.1f}" y="{y + h / 2 + FONT * 0.35:.1f}"'
            f' text-anchor="end">{esc(_fit(bar.label, label_w - 4))}</text>'
        )
        shape, label = _bar(
            frame, y, h, bar.value, fill=PALETTE[0], stroke=PALETTE[0], label=text, cid=cid
        )
        parts.append(shape)
        labels.append(label)
    parts.append(_axis(frame, top, bottom, chart.unit))
    if chart.target is not None:
        x = frame.x(chart.target)
        label = f"{chart.target_label} {value_text(chart.target, chart.decimals, chart.unit)}"
        anchor_x = min(max(x, _px(label) / 2 + 2), WIDTH - _px(label) / 2 - 2)
        parts.append(
            f'<line class="target" x1="{x:.1f}" y1="{top - 8:.1f}" x2="{x:.1f}" '
            f'y2="{bottom:.1f}" stroke="{TARGET}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>'
            f'<text class="target" x="{anchor_x:.1f}" y="{top - 12:.1f}" '
            f'text-anchor="middle" fill="{TARGET}">{esc(label)}</text>'
        )
    height = bottom + 28
    return (
        _open(chart, cid, height, _describe(chart, values, len(bars)), "")
        + "".join(parts)
        + "".join(labels)
        + "</svg>"
    )


def _fill(cid: str, i: int) -> tuple[str, str]:
    colour, kind = PALETTE[i % len(PALETTE)], PATTERNS[i % len(PATTERNS)]
    return (colour if kind == "solid" else f"url(#{cid}-s{i})"), colour


def grouped_chart_svg(chart: GroupedBarChart, cid: str) -> str:
    n = len(chart.series)
    values = [v for s in chart.series for v in s.values]
    texts = [
        [f"{s.name}: {value_text(v, chart.decimals, chart.unit)}" for v in s.values]
        for s in chart.series
    ]
    frame, label_w = _frame(
        list(chart.categories), [t for ts in texts for t in ts], _numbers(values)
    )
    defs = "".join(
        _pattern(f"{cid}-s{i}", PATTERNS[i % len(PATTERNS)], PALETTE[i % len(PALETTE)])
        for i in range(n)
    )
    parts, x, y = [], 8.0, 8.0
    for i, s in enumerate(chart.series):  # the legend, wrapping across lines
        item = 14 + 6 + _px(s.name) + 18
        if x + item > WIDTH and x > 8:
            x, y = 8.0, y + 22
        fill, colour = _fill(cid, i)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{fill}" '
            f'stroke="{colour}" stroke-width="1.5"/>'
            f'<text class="legend" x="{x + 20:.1f}" y="{y + 11.5:.1f}">'
            f"{esc(s.name)}</text>"
        )
        x += item
    top, h, inner, gap = y + 30, 16, 3, 14
    cluster = n * h + (n - 1) * inner
    for c, category in enumerate(chart.categories):
        y0 = top + c * (cluster + gap) + gap / 2
        parts.append(
            f'<text class="label" x="{label_w:.1f}" '
            f'y="{y0 + cluster / 2 + FONT * 0.35:.1f}" text-anchor="end">'
            f"{esc(_fit(category, label_w - 4))}</text>"
        )
        for i, s in enumerate(chart.series):
            fill, colour = _fill(cid, i)
            parts.extend(
                _bar(
                    frame,
                    y0 + i * (h + inner),
                    h,
                    s.values[c],
                    fill=fill,
                    stroke=colour,
                    label=texts[i][c],
                    cid=cid,
                )
            )
    bottom = top + len(chart.categories) * (cluster + gap)
    parts.append(_axis(frame, top, bottom, chart.unit))
    height = bottom + 28
    return (
        _open(chart, cid, height, _describe(chart, values, len(chart.categories)), defs)
        + "".join(parts)
        + "</svg>"
    )


def chart_svg(chart: Chart, cid: str) -> str:
    """The chart as an inline ``<svg>``; ``cid`` prefixes its ids (unique in the page)."""
    if isinstance(chart, BarChart):
        return bar_chart_svg(chart, cid)
    return grouped_chart_svg(chart, cid)
