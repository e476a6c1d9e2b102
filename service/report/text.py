"""Text shared by the renderers: number formats, escaping, and where Chinese runs are."""

from __future__ import annotations

import html
import re
import unicodedata

from service.report.model import SYMBOL, Cell, Mark, mark_of

# Characters XML 1.0 forbids: a label carrying one would make the SVG unparseable.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Han ideographs, CJK punctuation, kana and full-width forms: text a reader hears as Chinese.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003134f]+"
)
CJK_LANG = "zh-CN"


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def esc(text: str) -> str:
    """Text for XML/HTML content or a quoted attribute."""
    return html.escape(clean(text), quote=True)


def esc_marked(text: str) -> str:
    """Escaped text with each Chinese run in a ``lang`` span, for the HTML body."""
    out, last = [], 0
    text = clean(text)
    for m in _CJK.finditer(text):
        out.append(html.escape(text[last : m.start()], quote=True))
        out.append(f'<span lang="{CJK_LANG}">{html.escape(m.group(), quote=True)}</span>')
        last = m.end()
    out.append(html.escape(text[last:], quote=True))
    return "".join(out)


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def number(value: int | float, decimals: int = 0) -> str:
    """1,234 or 63.2: thousands separated, floats to ``decimals`` places."""
    if isinstance(value, bool):
        raise TypeError("a figure is a number, not a bool")
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{decimals}f}"


def cell_text(value: Cell, decimals: int = 1) -> str:
    """A cell as printed: text as is, a number formatted, a mark as its symbol."""
    mark = mark_of(value)
    if mark is not None:
        return SYMBOL[mark]
    if isinstance(value, str):
        return value
    assert not isinstance(value, Mark) and value is not None
    return number(value, decimals)


def is_number(value: Cell) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def em_width(text: str) -> float:
    """Roughly how many ems ``text`` takes in a sans-serif face (no font to measure with)."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch in "il.,:;'|!":
            width += 0.3
        elif ch.isupper() or ch in "mwMW@%":
            width += 0.72
        else:
            width += 0.56
    return width
