"""The report as a PDF (fpdf2): the same sections, tables and charts as the HTML file.

The HTML file is the accessible edition (tagged structure, text alternatives); the PDF is
for printing and filing.  It has the title and language in its metadata, an outline of the
sections, and every figure as text.  Characters its font cannot draw (Chinese, where no
CJK font is installed) are shown as [?], and the first page says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace as Style

from service.report.fonts import FontFace, find_font
from service.report.model import (
    SYMBOL,
    BarChart,
    Block,
    Chart,
    GroupedBarChart,
    Mark,
    Report,
    Table,
    Value,
    legend,
    mark_of,
)
from service.report.svg import AXIS, INK, PALETTE, TARGET, value_text
from service.report.text import cell_text, clean, em_width, is_number

MISSING = "[?]"
# Stand-ins a font without the character can still draw.
SUBSTITUTES = {
    "—": "-",
    "–": "-",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "…": "...",
    "≥": ">=",
    "≤": "<=",
    "×": "x",
    "·": "-",
    "\u00a0": " ",
    "\u202f": " ",
}
FAMILY = "body"
BAR, INNER, GAP = 5.0, 1.0, 2.5  # mm


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class _Glyphs:
    """What the font draws; the rest replaced, a run of them by one [?]."""

    def __init__(self, can_draw: Callable[[str], bool]) -> None:
        self.can_draw = can_draw

    def lost(self, text: str) -> set[str]:
        return {ch for ch in clean(text) if not self._drawable(ch)}

    def _drawable(self, ch: str) -> bool:
        sub = SUBSTITUTES.get(ch)
        return (
            ch in "\n\t"
            or self.can_draw(ch)
            or (sub is not None and all(self.can_draw(c) for c in sub))
        )

    def __call__(self, text: str) -> str:
        out, in_run = [], False
        for ch in clean(text):
            if ch in "\n\t" or self.can_draw(ch):
                out.append(ch)
                in_run = False
            elif (sub := SUBSTITUTES.get(ch)) is not None and all(map(self.can_draw, sub)):
                out.append(sub)
                in_run = False
            elif not in_run:
                out.append(MISSING)
                in_run = True
        return "".join(out)


class _PDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(size=8)
        self.set_text_color(*_rgb(AXIS))
        self.cell(0, 5, f"{self.footer_text}   {self.page_no()} / {{nb}}", align="C")
        self.set_text_color(*_rgb(INK))


def _fonts(pdf: FPDF, face: FontFace | None) -> tuple[str, _Glyphs]:
    if face is None:
        pdf.core_fonts_encoding = "windows-1252"  # the dashes and quotes latin-1 lacks

        def encodable(ch: str) -> bool:
            try:
                ch.encode("windows-1252")
            except UnicodeEncodeError:
                return False
            return True

        return "helvetica", _Glyphs(encodable)
    pdf.add_font(FAMILY, "", face.path, collection_font_number=face.index)
    pdf.add_font(
        FAMILY,
        "B",
        face.bold or face.path,
        collection_font_number=face.bold_index if face.bold else face.index,
    )
    cmap = pdf.fonts[FAMILY].cmap  # type: ignore[union-attr]
    return FAMILY, _Glyphs(lambda ch: ord(ch) in cmap)


class _Writer:
    def __init__(self, pdf: _PDF, family: str, fix: _Glyphs, threshold: int) -> None:
        self.pdf, self.family, self.fix, self.threshold = pdf, family, fix, threshold

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def text(
        self,
        text: str,
        *,
        size: float = 10,
        bold: bool = False,
        height: float = 5,
        colour: str = INK,
    ) -> None:
        self.font(size, bold)
        self.pdf.set_text_color(*_rgb(colour))
        self.pdf.multi_cell(
            0, height, self.fix(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.pdf.set_text_color(*_rgb(INK))

    def heading(self, text: str, level: int, keep: float = 0) -> None:
        """A heading, on a new page if the ``keep`` mm after it would not fit under it."""
        pdf = self.pdf
        if level > 0 and pdf.will_page_break(15 + keep):
            pdf.add_page()
        pdf.ln(4 if level else 0)
        self.font(18 if level == 0 else 14, bold=True)
        # The outline is Unicode text, drawn by the viewer: no font is needed for it.
        pdf.start_section(clean(text), level=max(level - 1, 0), strict=False)
        self.text(text, size=18 if level == 0 else 14, bold=True, height=8 if level == 0 else 7)
        pdf.ln(1)

    def table(self, table: Table) -> None:
        pdf = self.pdf
        if pdf.will_page_break(20):
            pdf.add_page()
        self.text(table.caption, size=10, bold=True)
        columns = list(zip(*table.rows, strict=True)) if table.rows else [() for _ in table.columns]
        numeric = [
            bool(col)
            and any(is_number(c) or mark_of(c) is not None for c in col)
            and not i < table.row_headers
            for i, col in enumerate(columns)
        ]
        widths = [
            min(
                max([em_width(h) * 0.8] + [em_width(cell_text(c, table.decimals)) for c in col])
                + 1.5,
                24,
            )
            for h, col in zip(table.columns, columns, strict=True)
        ]
        self.font(8.5)
        # A chart leaves its last bar's colours set: the table's cells and rules take these.
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(*_rgb(AXIS))
        heading = Style(emphasis="BOLD", fill_color=(232, 238, 244))
        with pdf.table(
            col_widths=widths,
            width=pdf.epw,
            line_height=4.6,
            headings_style=heading,
            text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
            padding=1,
            repeat_headings=1,
        ) as out:
            row = out.row()
            for name in table.columns:
                row.cell(self.fix(name))
            for cells in table.rows:
                row = out.row()
                for i, c in enumerate(cells):
                    row.cell(
                        self.fix(cell_text(c, table.decimals)),
                        style=Style(emphasis="BOLD") if i < table.row_headers else None,
                    )
        for mark in Mark:
            if mark in table.marks():
                self.text(f"{SYMBOL[mark]} {legend(mark, self.threshold)}", size=8, height=4)
        for note in table.notes:
            self.text(note, size=8, height=4)
        pdf.ln(3)

    def _fit(self, text: str, width: float) -> str:
        text = self.fix(text)
        if self.pdf.get_string_width(text) <= width:
            return text
        while text and self.pdf.get_string_width(text + "...") > width:
            text = text[:-1]
        return text + "..."

    def _bar(
        self, x0: float, y: float, h: float, scale: float, value: Value, label: str, colour: str
    ) -> tuple[float, float, float, str]:
        """Draw the bar; where its label goes (drawn last, over any target line)."""
        pdf = self.pdf
        mark = mark_of(value)
        end = x0
        if mark is Mark.SUPPRESSED:
            pdf.set_draw_color(*_rgb(AXIS))
            pdf.set_dash_pattern(dash=0.8, gap=0.6)
            pdf.rect(x0, y, 8, h, style="D")
            pdf.set_dash_pattern()
            end = x0 + 8
        elif mark is None:
            width = max(float(value), 0) * scale  # type: ignore[arg-type]
            if width > 0:
                pdf.set_fill_color(*_rgb(colour))
                pdf.set_draw_color(*_rgb(colour))
                pdf.rect(x0, y, width, h, style="DF")
            end = x0 + width
        return end + 1.2, y, h, label

    def _lines(
        self,
        x0: float,
        top: float,
        bottom: float,
        target_x: float | None,
        labels: list[tuple[float, float, float, str]],
    ) -> None:
        """A page's part of a chart: its axis, the target line, then the bars' labels."""
        pdf = self.pdf
        pdf.set_draw_color(*_rgb(AXIS))
        pdf.line(x0, top - 1, x0, bottom)
        if target_x is not None:
            pdf.set_draw_color(*_rgb(TARGET))
            pdf.set_dash_pattern(dash=1.5, gap=1)
            pdf.line(target_x, top - 3, target_x, bottom)
            pdf.set_dash_pattern()
        pdf.set_fill_color(255, 255, 255)
        for x, y, h, text in labels:
            pdf.set_xy(x, y)
            pdf.cell(pdf.get_string_width(text) + 2 * pdf.c_margin, h, text, fill=True)

    def chart(self, chart: Chart) -> None:
        pdf = self.pdf
        if isinstance(chart, GroupedBarChart):
            labels = list(chart.categories)
            columns = [(f"{s.name}: ", s.values) for s in chart.series]
        else:
            labels = [b.label for b in chart.bars]
            columns = [("", tuple(b.value for b in chart.bars))]
        rows = [
            [
                (
                    values[i],
                    self.fix(prefix + value_text(values[i], chart.decimals, chart.unit)),
                    PALETTE[k % len(PALETTE)],
                )
                for k, (prefix, values) in enumerate(columns)
            ]
            for i in range(len(labels))
        ]
        bar, cluster = _cluster(chart)
        if pdf.will_page_break(_start(chart)):
            pdf.add_page()
        self.text(chart.title, size=10, bold=True)
        unit = f"Unit: {chart.unit}. " if chart.unit else ""
        self.text(unit + "Values are printed on the bars.", size=8, height=4, colour=AXIS)
        self.font(8)
        if isinstance(chart, GroupedBarChart):
            self.text(
                "Bars, top to bottom: " + ", ".join(s.name for s in chart.series) + ".",
                size=8,
                height=4,
                colour=AXIS,
            )
        label_w = min(
            max([pdf.get_string_width(self.fix(s)) for s in labels] + [10]) + 2, pdf.epw * 0.35
        )
        value_w = max([pdf.get_string_width(t) for r in rows for _, t, _ in r] + [15]) + 4
        x0 = pdf.l_margin + label_w + 2
        plot = pdf.epw - label_w - 2 - value_w
        numbers = [float(v) for r in rows for v, _, _ in r if mark_of(v) is None]  # type: ignore[arg-type]
        target = chart.target if isinstance(chart, BarChart) else None
        peak = max(numbers + ([target] if target is not None else []) + [1e-9])
        scale = plot / peak
        top = pdf.get_y() + (6 if target is not None else 1)
        target_x = None if target is None else x0 + target * scale
        if target is not None and target_x is not None:
            pdf.set_text_color(*_rgb(TARGET))
            label = self.fix(
                f"{chart.target_label} "  # type: ignore[union-attr]
                f"{value_text(target, chart.decimals, chart.unit)}"
            )
            pdf.set_xy(
                min(target_x - pdf.get_string_width(label) / 2, pdf.w - pdf.r_margin - 30), top - 7
            )
            pdf.cell(pdf.get_string_width(label) + 1, 4, label)
            pdf.set_text_color(*_rgb(INK))
        texts: list[tuple[float, float, float, str]] = []
        page_top = top
        for i, (label, row) in enumerate(zip(labels, rows, strict=True)):
            y = top + i * (cluster + GAP)
            pdf.set_y(y)
            if pdf.will_page_break(cluster + GAP):  # the rest overleaf, lines and all
                self._lines(x0, page_top, y, target_x, texts)
                texts = []
                pdf.add_page()
                page_top = pdf.get_y() + 1
                top = page_top - i * (cluster + GAP)
                y = page_top
            pdf.set_xy(pdf.l_margin, y + (cluster - bar) / 2)
            self.font(8)
            pdf.cell(label_w, bar, self._fit(label, label_w - 1), align="R")
            for k, (value, text, colour) in enumerate(row):
                texts.append(self._bar(x0, y + k * (bar + INNER), bar, scale, value, text, colour))
        bottom = top + len(labels) * (cluster + GAP)
        self._lines(x0, page_top, bottom, target_x, texts)
        pdf.set_xy(pdf.l_margin, bottom + 2)
        pdf.ln(2)


def _cluster(chart: Chart) -> tuple[float, float]:
    """The height of one bar and of one label's cluster of bars, in mm."""
    if isinstance(chart, BarChart):
        return BAR, BAR
    n = len(chart.series)
    return 4.0, n * 4.0 + (n - 1) * INNER


def _start(block: Block) -> float:
    """How much of a block must fit on a page for it to start there (a long chart or
    table goes on overleaf), in mm."""
    if isinstance(block, str):
        return 12
    if isinstance(block, Table):
        return 20
    _, cluster = _cluster(block)
    count = len(block.bars) if isinstance(block, BarChart) else len(block.categories)
    return min(count * (cluster + GAP) + 24, 80)


def render_pdf(report: Report, *, font: FontFace | Literal["auto", "core"] = "auto") -> bytes:
    """The report as PDF bytes; ``font`` a face to set it in, "auto" the best one installed,
    "core" the PDF core font (Latin only)."""
    face = find_font() if font == "auto" else None if font == "core" else font
    pdf = _PDF(format="A4")
    family, fix = _fonts(pdf, face)
    pdf.set_title(clean(report.title))
    pdf.set_lang(report.lang)
    pdf.set_author("AccessMatch")
    pdf.set_creator("AccessMatch")
    pdf.set_subject(
        clean(
            f"Annual monitoring report {report.year}, {report.district.name} "
            f"({report.district.code})"
        )
    )
    pdf.set_creation_date(report.generated_at)
    pdf.page_mode = "USE_OUTLINES"  # type: ignore[assignment]
    pdf.footer_text = fix(report.title)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    w = _Writer(pdf, family, fix, report.threshold)
    w.heading(report.title, 0)
    for line in (
        f"District: {report.district.name} ({report.district.code})",
        f"Year: {report.year}",
        f"Generated: {report.generated_at.isoformat(timespec='minutes')}",
        f"Counts of fewer than {report.threshold} people are not shown.",
    ):
        w.text(line, size=10)
    lost = {ch for t in report.texts() for ch in fix.lost(t)}
    if lost:
        pdf.ln(2)
        w.text(
            f"This PDF was made without a font for {len(lost)} of the characters it holds "
            f"(such as Chinese names): each run of them is shown as {MISSING}. The HTML "
            "edition of this report shows them in full; installing a Chinese font "
            "(Debian: fonts-noto-cjk) includes them here.",
            size=9,
            bold=True,
            colour=TARGET,
        )
    for note in report.notes:
        w.text(note)
    for section in report.sections:
        w.heading(section.heading, 1, keep=_start(section.blocks[0]) if section.blocks else 0)
        for block in section.blocks:
            if isinstance(block, str):
                w.text(block)
                pdf.ln(2)
            elif isinstance(block, Table):
                w.table(block)
            else:
                w.chart(block)
    marks = [m for m in Mark if m in report.marks()]
    if marks:
        w.heading("Symbols", 1)
        for mark in marks:
            w.text(f"{SYMBOL[mark]}  {legend(mark, report.threshold)}")
    return bytes(pdf.output())
