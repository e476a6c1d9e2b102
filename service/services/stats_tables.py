"""From grouped counts to a published table: filters as dimensions, suppression, slicing.

A filter is a slice of a finer table, so a filtered answer is cut from the table that has
the filter's dimension too, and suppressed as that table is: the same cell gets the same
treatment however it is asked for.  A district prefix is such a filter, at the level of
its length.  Priority groups overlap (one person may be in several), so each group is a
yes/no dimension of its own and only its "yes" cells are shown."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.errors import field_error, raise_if_errors
from service.models.stats import DistrictLevel, StatsCell
from service.stats.suppression import Dimension, district_dimension, flat_dimension, suppress

GROUP = "priority_group"
DISTRICT = "district"
_LEVEL_DIGITS = {DistrictLevel.province: 2, DistrictLevel.city: 4, DistrictLevel.county: 6}
MAX_DIMENSIONS = 5


def level_of_prefix(prefix: str) -> DistrictLevel:
    return {2: DistrictLevel.province, 4: DistrictLevel.city, 6: DistrictLevel.county}[len(prefix)]


def district_at(code: str, level: DistrictLevel) -> str:
    digits = _LEVEL_DIGITS[level]
    return code[:digits].ljust(6, "0")


@dataclass(frozen=True)
class Row:
    """One grouped count: ``values`` by field name (district as a county code)."""

    values: dict[str, str]
    count: int
    groups: frozenset[str] = frozenset()
    value: float = 0.0  # a sum carried along (openings), for unsuppressed tables


@dataclass(frozen=True)
class Ask:
    by: Sequence[str]
    filters: dict[str, str] = field(default_factory=dict)
    district: str = ""  # a code prefix; '' = everywhere
    district_level: DistrictLevel = DistrictLevel.county  # of a `district` in `by`
    # The overlapping yes/no dimension (priority groups; covered services; employed).
    group_name: str = GROUP


def check_ask(ask: Ask) -> None:
    """Refuse a question the tables cannot answer consistently (422 naming the part)."""
    problems = []
    if len(set(ask.by)) != len(ask.by):
        problems.append(field_error("by", "duplicate", "a dimension is named twice"))
    used = set(ask.by) | set(ask.filters) | ({DISTRICT} if ask.district else set())
    if len(used) > MAX_DIMENSIONS:
        problems.append(
            field_error(
                "by",
                "too_many_dimensions",
                f"at most {MAX_DIMENSIONS} dimensions, filters and the district included",
            )
        )
    if ask.group_name in ask.by and ask.group_name in ask.filters:
        problems.append(
            field_error(
                ask.group_name,
                "both_by_and_filter",
                "break down by it or filter by one value, not both",
            )
        )
    if (
        ask.district
        and DISTRICT in ask.by
        and (_LEVEL_DIGITS[ask.district_level] < len(ask.district))
    ):
        problems.append(
            field_error(
                "district_level",
                "coarser_than_district",
                f"a {ask.district_level} breakdown of district "
                f"{ask.district} has one cell; ask for a finer level",
            )
        )
    raise_if_errors(problems)


@dataclass
class _Plan:
    names: list[str]  # the table's dimensions, group flag last if any
    levels: dict[str, DistrictLevel]
    wanted: dict[str, str]  # the slice: name -> value ("yes" for a group flag)
    group: str = GROUP


def _dimension(name: str, levels: dict[str, DistrictLevel]) -> Dimension:
    if name == DISTRICT:
        return district_dimension(levels[DISTRICT].value)
    return flat_dimension(name)


def _counts(rows: Iterable[Row], plan: _Plan, group: str | None) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for row in rows:
        key = []
        for name in plan.names:
            if name == plan.group:
                key.append("yes" if group in row.groups else "no")
            elif name == DISTRICT:
                key.append(district_at(row.values[DISTRICT], plan.levels[DISTRICT]))
            else:
                key.append(row.values[name])
        out[tuple(key)] += row.count
    return dict(out)


_STEPS = {DistrictLevel.county: 0, DistrictLevel.city: 1, DistrictLevel.province: 2}


def _published(
    rows: Sequence[Row], plan: _Plan, *, group: str | None, threshold: int
) -> tuple[dict[tuple[str, ...], int | None], int | None]:
    """The plan's table, cut from the pattern of its county-level table, so that a city or
    province answer is suppressed exactly as the county answer's margins are."""
    county = _Plan(plan.names, {DISTRICT: DistrictLevel.county}, plan.wanted, plan.group)
    counts = _counts(rows, county, group)
    dims = [_dimension(n, county.levels) for n in plan.names]
    steps = [_STEPS[plan.levels[DISTRICT]] if n == DISTRICT else 0 for n in plan.names]
    result = suppress(counts, dims, threshold=threshold, levels=steps)
    return result.cells, result.total


def _matches(key: tuple[str, ...], plan: _Plan) -> bool:
    for name, value in zip(plan.names, key, strict=True):
        want = plan.wanted.get(name)
        if want is None:
            continue
        if name == DISTRICT and len(want) < 6:
            if not value.startswith(want):
                return False
        elif value != want:
            return False
    return True


def _cell(key: dict[str, str], count: int | None, value: float | None = None) -> StatsCell:
    return StatsCell(
        key=key, count=count, suppressed=count is None, value=None if count is None else value
    )


def _slice_total(rows: Sequence[Row], ask: Ask, *, threshold: int) -> int | None:
    """The total of the slice: a cell of the table of the filters alone."""
    names = sorted(ask.filters) + ([DISTRICT] if ask.district else [])
    if not names:
        return _published(rows, _Plan([], {}, {}), group=None, threshold=threshold)[1]
    levels = {DISTRICT: level_of_prefix(ask.district)} if ask.district else {}
    wanted = {n: ("yes" if n == ask.group_name else v) for n, v in ask.filters.items()}
    if ask.district:
        wanted[DISTRICT] = ask.district.ljust(6, "0")
    plan = _Plan(names, levels, wanted, ask.group_name)
    group = ask.filters.get(ask.group_name)
    cells, _ = _published(rows, plan, group=group, threshold=threshold)
    key = tuple(wanted[n] for n in names)
    return cells.get(key, 0)


def publish(
    rows: Sequence[Row], ask: Ask, *, groups: Sequence[str], threshold: int | None
) -> tuple[list[StatsCell], StatsCell]:
    """The table ``ask`` describes, cut and suppressed; ``threshold=None`` publishes counts of
    organisations as they are."""
    if threshold is None:
        return _unsuppressed(rows, ask)
    levels = {
        DISTRICT: ask.district_level
        if DISTRICT in ask.by
        else (level_of_prefix(ask.district) if ask.district else ask.district_level)
    }
    base = [n for n in ask.by if n != ask.group_name]
    extra = sorted(
        n
        for n in set(ask.filters) | ({DISTRICT} if ask.district else set())
        if n not in ask.by and n != ask.group_name
    )
    wanted = {n: v for n, v in ask.filters.items() if n != ask.group_name}
    if ask.district:
        wanted[DISTRICT] = ask.district if DISTRICT in ask.by else ask.district.ljust(6, "0")
    by_group = ask.group_name in ask.by
    flag = ask.group_name in ask.filters or by_group
    names = base + extra + ([ask.group_name] if flag else [])
    if flag:
        wanted[ask.group_name] = "yes"
    plan = _Plan(names, levels, wanted, ask.group_name)
    cells: list[StatsCell] = []
    for group in groups if by_group else [ask.filters.get(ask.group_name)]:
        table, _ = _published(rows, plan, group=group, threshold=threshold)
        for key in sorted(table):
            if not _matches(key, plan):
                continue
            values = dict(zip(names, key, strict=True))
            shown = {n: values[n] for n in ask.by if n != ask.group_name}
            if by_group:
                shown[ask.group_name] = str(group)
            cells.append(_cell({n: shown[n] for n in ask.by}, table[key]))
    total = _slice_total(rows, ask, threshold=threshold)
    return cells, _cell({}, total)


def _unsuppressed(rows: Sequence[Row], ask: Ask) -> tuple[list[StatsCell], StatsCell]:
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    total, total_sum = 0, 0.0
    for row in rows:
        values = dict(row.values)
        if DISTRICT in values:
            if ask.district and not values[DISTRICT].startswith(ask.district):
                continue
            values[DISTRICT] = district_at(values[DISTRICT], ask.district_level)
        if any(values.get(n) != v for n, v in ask.filters.items()):
            continue
        key = tuple(values[n] for n in ask.by)
        counts[key] += row.count
        sums[key] += row.value
        total += row.count
        total_sum += row.value
    cells = [
        _cell(dict(zip(ask.by, key, strict=True)), n, sums[key])
        for key, n in sorted(counts.items())
    ]
    return cells, _cell({}, total, total_sum)


YEAR = "year"


def publish_years(
    rows_by_year: dict[int, Sequence[Row]],
    ask: Ask,
    *,
    groups: Sequence[str],
    threshold: int | None,
) -> tuple[list[StatsCell], StatsCell]:
    """Flows (job starts, services, referrals) year by year: each calendar year is a table
    of its own (its months a dimension under it), so that no span of dates can be
    differenced against another; ``year`` in ``by`` labels each year's cells.  A total
    over several years is shown only if every year's total is."""
    inner = Ask(
        by=[n for n in ask.by if n != YEAR],
        filters=ask.filters,
        district=ask.district,
        district_level=ask.district_level,
        group_name=ask.group_name,
    )
    cells: list[StatsCell] = []
    totals: list[int | None] = []
    for year in sorted(rows_by_year):
        year_cells, total = publish(rows_by_year[year], inner, groups=groups, threshold=threshold)
        for cell in year_cells:
            key = {**cell.key, YEAR: str(year)} if YEAR in ask.by else cell.key
            cells.append(cell.model_copy(update={"key": {n: key[n] for n in ask.by}}))
        totals.append(total.count)
    if YEAR not in ask.by and len(rows_by_year) > 1:
        cells = _summed(cells)
    known = [t for t in totals if t is not None]
    overall = sum(known) if len(known) == len(totals) else None
    return cells, _cell({}, overall)


def _summed(cells: Sequence[StatsCell]) -> list[StatsCell]:
    """Cells of several years added up by key; a sum with a suppressed part is suppressed."""
    sums: dict[tuple[tuple[str, str], ...], int | None] = {}
    for cell in cells:
        key = tuple(cell.key.items())
        before = sums.get(key, 0)
        sums[key] = None if before is None or cell.count is None else before + cell.count
    return [_cell(dict(key), count) for key, count in sums.items()]
