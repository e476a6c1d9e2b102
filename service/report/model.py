"""What an annual monitoring report holds, independent of how it is rendered (HTML or PDF)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum


class Mark(Enum):
    """A cell or bar that shows no figure, and why."""

    SUPPRESSED = "suppressed"
    NOT_AVAILABLE = "not available"


# A figure: a number, or a mark saying why there is none.  None means suppressed, as a
# published statistics cell's null count does.
Value = int | float | Mark | None
Cell = str | Value

SYMBOL = {Mark.SUPPRESSED: "—", Mark.NOT_AVAILABLE: "n/a"}


def mark_of(value: Cell) -> Mark | None:
    """The mark a cell shows instead of a figure, or None for a figure or text."""
    if value is None:
        return Mark.SUPPRESSED
    return value if isinstance(value, Mark) else None


def legend(mark: Mark, threshold: int) -> str:
    """The footnote explaining a mark."""
    if mark is Mark.SUPPRESSED:
        return (
            f"suppressed: fewer than {threshold} people, or hidden so that such a "
            "count cannot be recomputed from the table's totals"
        )
    return "not available: not measured from this service's records"


@dataclass(frozen=True)
class District:
    code: str
    name: str


@dataclass(frozen=True)
class Table:
    """A table: the first ``row_headers`` cells of each row head that row."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    row_headers: int = 1
    decimals: int = 1  # for float cells
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.row_headers <= len(self.columns):
            raise ValueError(f"{self.caption}: row_headers outside the columns")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"{self.caption}: a row of {len(row)} cells under {len(self.columns)} columns"
                )

    def marks(self) -> set[Mark]:
        return {m for row in self.rows for c in row if (m := mark_of(c)) is not None}


@dataclass(frozen=True)
class Bar:
    label: str
    value: Value


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per label, with an optional target line."""

    title: str
    bars: tuple[Bar, ...]
    unit: str
    description: str = ""
    category: str = ""  # what the labels are (the data table's first column)
    target: float | None = None
    target_label: str = "target"
    decimals: int = 0

    def marks(self) -> set[Mark]:
        return {m for b in self.bars if (m := mark_of(b.value)) is not None}


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class GroupedBarChart:
    """One cluster of bars per category, one bar per series (e.g. funnel stages)."""

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str
    description: str = ""
    category: str = ""
    decimals: int = 0

    def __post_init__(self) -> None:
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(
                    f"{self.title}: series {s.name!r} has {len(s.values)} "
                    f"values for {len(self.categories)} categories"
                )

    def marks(self) -> set[Mark]:
        return {m for s in self.series for v in s.values if (m := mark_of(v)) is not None}


Chart = BarChart | GroupedBarChart
Block = str | Table | Chart  # a str is a paragraph


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...] = ()

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b for b in self.blocks if isinstance(b, str))

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Table))

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(b for b in self.blocks if isinstance(b, BarChart | GroupedBarChart))


@dataclass(frozen=True)
class Report:
    title: str
    district: District
    year: int
    generated_at: dt.datetime
    sections: tuple[Section, ...]
    threshold: int = 5  # cells of fewer people are suppressed
    notes: tuple[str, ...] = ()  # shown under the title
    lang: str = "en"  # the labels' language; Chinese names are marked zh-CN where shown

    def marks(self) -> set[Mark]:
        return {
            m for s in self.sections for b in s.blocks if not isinstance(b, str) for m in b.marks()
        }

    def texts(self) -> Iterator[str]:
        """Every string the report shows (for a renderer checking what it can draw)."""
        yield from (self.title, self.district.name, self.district.code, *self.notes)
        for section in self.sections:
            yield section.heading
            for block in section.blocks:
                yield from _block_texts(block)


def _block_texts(block: Block) -> Iterator[str]:
    if isinstance(block, str):
        yield block
    elif isinstance(block, Table):
        yield from (block.caption, *block.columns, *block.notes)
        yield from (c for row in block.rows for c in row if isinstance(c, str))
    elif isinstance(block, BarChart):
        yield from (
            block.title,
            block.unit,
            block.description,
            block.category,
            block.target_label,
            *(b.label for b in block.bars),
        )
    else:
        yield from (
            block.title,
            block.unit,
            block.description,
            block.category,
            *block.categories,
            *(s.name for s in block.series),
        )
