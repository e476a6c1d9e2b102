"""Published statistics tables (StatsTable) as report tables and charts.

The report never adds published cells up itself: a sum of shown cells beside a shown total
could give away a suppressed one, so every total it prints is one the statistics service
published (and suppressed) as such."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.models.stats import StatsCell, StatsTable
from service.report.labels import label, ordered
from service.report.model import Bar, BarChart, GroupedBarChart, Mark, Series, Table, Value

Measure = Callable[[StatsCell], Value]


def count_of(cell: StatsCell) -> Value:
    return None if cell.suppressed or cell.count is None else cell.count


def percent_of(cell: StatsCell) -> Value:
    """A rate cell's value (a fraction) in per cent."""
    if cell.suppressed:
        return None
    return Mark.NOT_AVAILABLE if cell.value is None else cell.value * 100


def base_of(cell: StatsCell) -> Value:
    """A rate's denominator (null in a published rate: suppressed)."""
    return None if cell.denominator is None else cell.denominator


def sum_of(cell: StatsCell) -> Value:
    return None if cell.suppressed else (cell.value if cell.value is not None else 0)


def notes(stats: StatsTable) -> tuple[str, ...]:
    return (f"Counted: {stats.definition}.", f"Suppression: {stats.suppression}.")


def _index(stats: StatsTable, dims: Sequence[str]) -> dict[tuple[str, ...], StatsCell]:
    return {tuple(c.key[d] for d in dims): c for c in stats.cells}


def keys_of(stats: StatsTable, dim: str) -> list[str]:
    return ordered(dim, {c.key[dim] for c in stats.cells})


def pivot(
    stats: StatsTable,
    *,
    rows: str,
    caption: str,
    columns: str | None = None,
    value: Measure = count_of,
    missing: Value = 0,
    total: bool = True,
    row_keys: Sequence[str] | None = None,
    heading: str | None = None,
    decimals: int = 0,
) -> Table:
    """``rows`` down, ``columns`` (or the one measure) across; an absent cell is
    ``missing`` (0 for counts: the statistics list no empty cells)."""
    row_keys = list(row_keys) if row_keys is not None else keys_of(stats, rows)
    head = heading or rows.replace("_", " ").capitalize()
    if columns is None:
        cells = _index(stats, [rows])
        body = [
            (label(rows, k), value(cells[(k,)]) if (k,) in cells else missing) for k in row_keys
        ]
        if total:
            body.append(("Total", value(stats.total)))
        return Table(
            caption=caption,
            columns=(head, stats.unit.capitalize()),
            rows=tuple(body),
            decimals=decimals,
            notes=notes(stats),
        )
    col_keys = keys_of(stats, columns)
    grid = _index(stats, [rows, columns])
    body2 = [
        (label(rows, r), *(value(grid[(r, c)]) if (r, c) in grid else missing for c in col_keys))
        for r in row_keys
    ]
    extra: tuple[str, ...] = ()
    if total:
        shown = value(stats.total)
        extra = (f"Total: {'suppressed' if shown is None else shown} {stats.unit}.",)
    return Table(
        caption=caption,
        columns=(head, *(label(columns, c) for c in col_keys)),
        rows=tuple(body2),
        decimals=decimals,
        notes=extra + notes(stats),
    )


def bar_chart(
    stats: StatsTable,
    *,
    dim: str,
    title: str,
    value: Measure = count_of,
    unit: str | None = None,
    missing: Value = 0,
    keys: Sequence[str] | None = None,
    target: float | None = None,
    target_label: str = "target",
    description: str = "",
    decimals: int = 0,
    short: Callable[[str, str], str] = label,
) -> BarChart:
    cells = _index(stats, [dim])
    keys = list(keys) if keys is not None else keys_of(stats, dim)
    return BarChart(
        title=title,
        unit=unit if unit is not None else stats.unit,
        bars=tuple(
            Bar(short(dim, k), value(cells[(k,)]) if (k,) in cells else missing) for k in keys
        ),
        category=dim.replace("_", " ").capitalize(),
        target=target,
        target_label=target_label,
        description=description,
        decimals=decimals,
    )


def grouped_chart(
    stats: StatsTable,
    *,
    categories: str,
    series: str,
    title: str,
    value: Measure = count_of,
    unit: str | None = None,
    missing: Value = 0,
    lead: tuple[str, StatsTable] | None = None,
    description: str = "",
    decimals: int = 0,
) -> GroupedBarChart:
    """One cluster per ``categories`` value, one bar per ``series`` value; ``lead`` adds a
    first cluster (e.g. "All") from a table keyed by ``series`` alone."""
    cat_keys = keys_of(stats, categories)
    ser_keys = ordered(
        series,
        {c.key[series] for c in stats.cells}
        | ({c.key[series] for c in lead[1].cells} if lead else set()),
    )
    grid = _index(stats, [categories, series])
    names = [label(categories, k) for k in cat_keys]
    columns: list[list[Value]] = [
        [value(grid[(k, s)]) if (k, s) in grid else missing for k in cat_keys] for s in ser_keys
    ]
    if lead is not None:
        first = _index(lead[1], [series])
        names.insert(0, lead[0])
        for values, s in zip(columns, ser_keys, strict=True):
            values.insert(0, value(first[(s,)]) if (s,) in first else missing)
    return GroupedBarChart(
        title=title,
        categories=tuple(names),
        unit=unit if unit is not None else stats.unit,
        series=tuple(
            Series(label(series, s), tuple(v)) for s, v in zip(ser_keys, columns, strict=True)
        ),
        category=categories.replace("_", " ").capitalize(),
        description=description,
        decimals=decimals,
    )
