"""The annual report's renderers: accessible self-contained HTML with SVG charts, and PDF."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest

from service import config as config_module
from service.cli import main as cli_main
from service.models.stats import StatsCell, StatsTable
from service.report import fonts as fonts_module
from service.report.build import ReportError, report_area, report_as_of
from service.report.fonts import FontFace
from service.report.html import render_html
from service.report.model import (
    Bar,
    BarChart,
    District,
    GroupedBarChart,
    Mark,
    Report,
    Section,
    Series,
    Table,
)
from service.report.pdf import render_pdf
from service.report.sections import (
    NOT_YET,
    TargetProgress,
    funnel_section,
    seekers_section,
    targets_section,
)

SECRET = "report-test-secret-0123456789-abcdefghijkl"
EVIL = "<script>alert('x')</script> & Co"
TZ = dt.timezone(dt.timedelta(hours=8))


def sample() -> Report:
    return Report(
        title="Annual monitoring report 2025: 城区",
        district=District("140302", "城区"),
        year=2025,
        generated_at=dt.datetime(2026, 1, 15, 9, 30, tzinfo=TZ),
        notes=("Figures as of 2025-12-31.",),
        sections=(
            Section(
                "Registered seekers",
                (
                    f"By county; a label reading {EVIL}.",
                    Table(
                        "Seekers by county and category",
                        ("County", "Visual", "Hearing"),
                        (
                            ("城区 (140302)", 12, None),
                            ("矿区 (140303)", 7, 9),
                            (EVIL, 1234, Mark.NOT_AVAILABLE),
                        ),
                    ),
                    BarChart(
                        "Seekers by county",
                        (Bar("城区", 52), Bar("矿区", None), Bar(EVIL, 17), Bar("郊区", 0)),
                        unit="people",
                        category="County",
                    ),
                    BarChart(
                        "Employment rate",
                        (Bar("able to work", 63.24), Bar("certificate holders", 41.5)),
                        unit="%",
                        decimals=1,
                        target=60,
                    ),
                ),
            ),
            Section(
                "Referral funnel",
                (
                    GroupedBarChart(
                        "Funnel",
                        ("graduate", "盲人"),
                        (Series("referred", (40, None)), Series("hired", (9, Mark.NOT_AVAILABLE))),
                        unit="people",
                        category="Group",
                    ),
                ),
            ),
        ),
    )


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None):  # type: ignore[no-untyped-def]
        for c in self.children:
            if isinstance(c, Node):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.iter(tag)


VOID = {"meta", "link", "br", "img", "input", "hr"}


class Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.at = Node("#root", {}, None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.at.children.append(Node(tag, dict(attrs), self.at))

    def handle_endtag(self, tag: str) -> None:
        assert self.at.tag == tag, f"</{tag}> closes <{self.at.tag}>"
        assert self.at.parent is not None
        self.at = self.at.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)


def parse(html: str) -> Node:
    tree = Tree()
    tree.feed(html)
    tree.close()
    assert tree.at is tree.root, "unclosed elements"
    return tree.root


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample())


def test_the_page_is_one_accessible_document(page: str) -> None:
    root = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    [html] = list(root.iter("html"))
    assert html.attrs["lang"] == "en"
    assert len(list(root.iter("main"))) == 1 and len(list(root.iter("h1"))) == 1
    ids = [n.attrs["id"] for n in root.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids)), "ids are unique"
    links = [n.attrs["href"] for n in root.iter("a")]
    assert links[0] == "#main", "the skip link comes first"
    assert all(h and h[1:] in ids for h in links), "the skip link and contents point inside"
    levels = [int(n.tag[1]) for n in root.iter() if re.fullmatch(r"h[1-6]", n.tag)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels))
    assert "@media print" in page


def test_text_is_escaped_and_nothing_is_loaded_from_outside(page: str) -> None:
    root = parse(page)
    assert not list(root.iter("script")) and not list(root.iter("link"))
    assert EVIL in root.text(), "the label is shown as text"
    for node in root.iter():
        for name, value in node.attrs.items():
            if name in ("src", "href", "xlink:href", "action"):
                assert value is not None and value.startswith("#"), (name, value)
    assert not re.search(r"url\((?!#)", page) and "@import" not in page
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?\s*(https?:|//)", page)


def test_chinese_runs_are_marked_as_chinese(page: str) -> None:
    spans = [n for n in parse(page).iter("span") if n.attrs.get("lang") == "zh-CN"]
    assert {"城区", "矿区", "盲人"} <= {s.text() for s in spans}


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_every_chart_is_an_image_with_a_name_a_description_and_its_data(page: str) -> None:
    root = parse(page)
    svgs = list(root.iter("svg"))
    assert len(svgs) == 3
    order = list(root.iter())
    for svg in svgs:
        assert svg.attrs["role"] == "img"
        title_id, desc_id = (svg.attrs["aria-labelledby"] or "").split()
        [title] = [n for n in svg.iter("title") if n.attrs.get("id") == title_id]
        [desc] = [n for n in svg.iter("desc") if n.attrs.get("id") == desc_id]
        assert title.text().strip() and len(desc.text()) > 20
        table = next(n for n in order[order.index(svg) :] if n.tag == "table")
        shown = [n.text() for n in svg.iter("text") if n.attrs.get("class") == "value"]
        cells = [_cell(td) for td in table.iter("td")]
        if len(list(svg.iter("pattern"))) > 1:  # grouped: "series: value", row by row
            shown = [s.split(": ", 1)[1] for s in shown]
        assert [s.removesuffix(" %") for s in shown] == cells
        # Standalone XML too: every label escaped.
        ET.fromstring(re.findall(r"<svg.*?</svg>", page, re.S)[svgs.index(svg)])
    values = [
        _cell(td)
        for td in next(
            t for t in root.iter("table") if "Seekers by county" in t.text() and "Data" in t.text()
        ).iter("td")
    ]
    assert values == ["52", "suppressed", "17", "0"], "the model's figures"


def _cell(td: Node) -> str:
    if td.attrs.get("class") == "mark":
        [hidden] = [n for n in td.iter("span") if n.attrs.get("class") == "vh"]
        return hidden.text()
    return td.text()


def test_chart_colours_have_contrast_and_suppressed_bars_are_hatched(page: str) -> None:
    root = parse(page)
    for svg in root.iter("svg"):
        for node in svg.iter():
            for name in ("fill", "stroke"):
                colour = node.attrs.get(name) or ""
                if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) and colour.lower() != "#ffffff":
                    ratio = 1.05 / (_luminance(colour) + 0.05)
                    assert ratio >= 3, (colour, ratio)
    bar_chart = next(iter(root.iter("svg")))
    stubs = [n for n in bar_chart.iter("rect") if "hatch" in (n.attrs.get("fill") or "")]
    assert len(stubs) == 1 and stubs[0].attrs.get("stroke-dasharray")
    ticks = [n.text() for n in bar_chart.iter("text") if n.attrs.get("class") == "tick"]
    assert ticks == ["0", "15", "30", "45", "60"], "whole steps for counts"
    rate_chart = list(root.iter("svg"))[1]
    [line] = [n for n in rate_chart.iter("line") if n.attrs.get("class") == "target"]
    assert line.attrs.get("stroke-dasharray"), "the target differs by line style too"
    assert "target 60 %" in rate_chart.text()


def test_every_table_has_a_caption_and_scoped_headers(page: str) -> None:
    root = parse(page)
    tables = list(root.iter("table"))
    assert len(tables) == 4
    for table in tables:
        [caption] = list(table.iter("caption"))
        assert caption.text().strip()
        [thead] = list(table.iter("thead"))
        assert all(th.attrs.get("scope") == "col" for th in thead.iter("th"))
        [tbody] = list(table.iter("tbody"))
        assert all(th.attrs.get("scope") == "row" for th in tbody.iter("th"))
        assert len(list(tbody.iter("th"))) == len(list(tbody.iter("tr")))
    assert page.count("fewer than 5 people, or hidden so that") >= 3, "each table's legend"


def _pdf_streams(data: bytes) -> bytes:
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return b"\n".join(out)


def _info_title(data: bytes) -> str:
    info = data[data.rindex(b"/Author (AccessMatch)") :]
    value = re.search(rb"/Title\s*<feff([0-9a-f]+)>", info)
    assert value is not None
    return bytes.fromhex(value.group(1).decode()).decode("utf-16-be")


def test_the_pdf_in_the_core_font_says_what_it_could_not_draw() -> None:
    data = render_pdf(sample(), font="core")
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert _info_title(data) == sample().title
    assert b"/Lang (en)" in data
    text = _pdf_streams(data)
    for words in (
        b"Registered seekers",
        b"Referral funnel",
        b"suppressed",
        b"1,234",
        b"63.2 %",
        b"was made without a font",
        b"[?] \\(140302\\)",
    ):
        assert words in text, words


def _tiny_font(path: Path, chars: set[str]) -> Path:
    """A TrueType font with a box for each of ``chars``: enough to embed and map."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def box() -> object:
        pen = TTGlyphPen(None)
        for x, y in ((50, 0), (50, 700), (450, 700), (450, 0)):
            (pen.lineTo if x != 50 or y != 0 else pen.moveTo)((x, y))
        pen.closePath()
        return pen.glyph()

    cmap = {ord(c): f"u{ord(c):04X}" for c in sorted(chars)}
    order = [".notdef", *cmap.values()]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupGlyf({name: box() for name in order})
    wide = {name for code, name in cmap.items() if code >= 0x2E80}
    fb.setupHorizontalMetrics({name: (1000 if name in wide else 550, 50) for name in order})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "Report Test", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path


def test_the_pdf_embeds_a_chinese_font_when_given_one(tmp_path: Path) -> None:
    report = sample()
    chars = (
        {chr(c) for c in range(0x20, 0x7F)}
        | set("—–“”‘’…·")
        | {ch for t in report.texts() for ch in t}
    )
    font = _tiny_font(tmp_path / "tiny.ttf", chars)
    data = render_pdf(report, font=FontFace(font))
    assert data.startswith(b"%PDF-") and b"/FontFile2" in data
    assert _info_title(data) == report.title
    maps = _pdf_streams(data)
    mapped = {m.upper() for m in re.findall(rb"<[0-9A-Fa-f]{4}> <([0-9A-Fa-f]{4,8})>", maps)}
    assert {f"{ord(c):04X}".encode() for c in "城区矿盲"} <= mapped
    assert b"005B" not in mapped, "no '[?]' stand-in: every character was drawn"


def test_a_chinese_font_is_found_at_a_debian_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    font = _tiny_font(tmp_path / "wqy-microhei.ttf", set("城区 ab"))
    monkeypatch.setattr(
        fonts_module, "KNOWN_CJK", ((str(tmp_path / "absent.ttc"), None), (str(font), None))
    )
    assert fonts_module.find_cjk_font() == FontFace(path=font)


def _stats(
    by: list[str],
    cells: dict[tuple[str, ...], int | None],
    total: int | None,
    *,
    unit: str = "people",
) -> StatsTable:
    def cell(key: dict[str, str], n: int | None) -> StatsCell:
        return StatsCell(key=key, count=n, suppressed=n is None)

    return StatsTable(
        measure="m",
        unit=unit,
        definition="people counted",
        by=by,
        filters={},
        threshold=5,
        suppression="small cells hidden",
        cells=[cell(dict(zip(by, k, strict=True)), n) for k, n in cells.items()],
        total=cell({}, total),
    )


def test_the_seekers_section_shows_the_published_cells_and_total() -> None:
    by_county = _stats(["district"], {("140303",): 12, ("140302",): None, ("140311",): 30}, 47)
    grid = _stats(
        ["category", "grade"],
        {("physical", "1"): 8, ("visual", "2"): None, ("visual", "1"): 6},
        None,
    )
    section = seekers_section(by_county, grid, as_of=dt.date(2025, 12, 31))
    county, cross = section.tables
    assert county.rows == (
        ("城区 (140302)", None),
        ("矿区 (140303)", 12),
        ("郊区 (140311)", 30),
        ("Total", 47),
    ), "the published total"
    assert cross.columns == ("Category", "Grade 1", "Grade 2")
    assert cross.rows == (("Visual (视力)", 6, None), ("Physical (肢体)", 8, 0))
    assert "Total: suppressed people." in cross.notes
    [chart] = section.charts
    assert [b.value for b in chart.bars] == [None, 12, 30]
    assert "47 people" in section.paragraphs[0]
    assert seekers_section(None, None, as_of=dt.date(2025, 1, 1)).blocks == (NOT_YET,)


def test_the_funnel_section_leads_with_all_referrals_in_stage_order() -> None:
    by_group = _stats(
        ["priority_group", "stage"],
        {
            ("rural", "hired"): 6,
            ("rural", "referred"): 20,
            ("blind", "referred"): None,
            ("blind", "hired"): None,
        },
        40,
        unit="referrals",
    )
    overall = _stats(["stage"], {("referred",): 40, ("hired",): 11}, 40, unit="referrals")
    [chart] = funnel_section(by_group, overall, year=2025).charts
    assert isinstance(chart, GroupedBarChart)
    assert chart.categories == ("All referrals", "Rural hukou", "Blind")
    assert [(s.name, s.values) for s in chart.series] == [
        ("Referred", (40, 20, None)),
        ("Hired", (11, 6, None)),
    ]
    nothing = _stats(["priority_group", "stage"], {}, 0, unit="referrals")
    empty = funnel_section(nothing, _stats(["stage"], {}, 0), year=2025)
    assert not empty.charts and "No referrals were made in 2025." in empty.paragraphs


def test_a_small_target_figure_of_people_is_suppressed() -> None:
    section = targets_section(
        [
            TargetProgress(
                plan="P",
                metric="new jobs",
                unit="people",
                target=100,
                figure=3,
                measured_on=dt.date(2025, 12, 31),
                met=False,
                people=True,
            ),
            TargetProgress(
                plan="P",
                metric="share of posts",
                unit="%",
                target=10,
                figure=None,
                measured_on=None,
                met=None,
                reason="not in the records",
            ),
        ],
        threshold=5,
    )
    [table] = section.tables
    assert table.rows[0][2] is None and table.rows[0][6] == "no"
    assert table.rows[1][2] is Mark.NOT_AVAILABLE
    [chart] = section.charts
    assert [b.value for b in chart.bars] == [None, Mark.NOT_AVAILABLE]
    assert render_html(
        Report(
            "T", District("140302", "城区"), 2025, dt.datetime(2026, 1, 1, tzinfo=TZ), (section,)
        )
    )


def test_the_report_area_and_year_are_checked() -> None:
    assert report_area("140302") == (District("140302", "城区"), "140302")
    assert report_area("140300")[1] == "1403" and report_area("140000")[1] == "14"
    for bad in ("14030", "999999", "abcdef"):
        with pytest.raises(ReportError, match="district"):
            report_area(bad)
    assert report_as_of(2025, dt.date(2025, 6, 30)) == dt.date(2025, 6, 30)
    assert report_as_of(2024, dt.date(2025, 6, 30)) == dt.date(2024, 12, 31)
    with pytest.raises(ReportError, match="year"):
        report_as_of(2026, dt.date(2025, 6, 30))


def test_the_report_command_writes_html_and_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.report import build

    asked = {}

    def fake(session: object, ctx: object, *, district: str, year: int) -> Report:
        asked.update(district=district, year=year)
        return sample()

    monkeypatch.setattr(build, "build_report", fake)
    monkeypatch.setenv("ACCESSMATCH_SECRET_KEY", SECRET)
    monkeypatch.setenv("ACCESSMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    config_module.get_settings.cache_clear()
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    try:
        assert (
            cli_main(
                [
                    "report",
                    "--district",
                    "140302",
                    "--year",
                    "2025",
                    "--output",
                    str(html),
                    "--pdf",
                    str(pdf),
                ]
            )
            == 0
        )
    finally:
        config_module.get_settings.cache_clear()
    assert asked == {"district": "140302", "year": 2025}
    assert html.read_text(encoding="utf-8") == render_html(sample())
    assert pdf.read_bytes().startswith(b"%PDF-")
    printed = json.loads(capsys.readouterr().out)
    assert printed["html"] == str(html) and printed["pdf"] == str(pdf)
