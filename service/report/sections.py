"""The report's sections, each from the published statistics it shows (pure: no database).

A section whose statistics are not given (None) says so rather than showing zeros."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from service.models.stats import RateDefinition, StatsTable
from service.report.adapt import (
    bar_chart,
    base_of,
    count_of,
    grouped_chart,
    notes,
    percent_of,
    pivot,
)
from service.report.labels import district_label
from service.report.model import (
    Bar,
    BarChart,
    Block,
    Cell,
    Chart,
    Mark,
    Section,
    Table,
    Value,
)
from service.report.text import number

NOT_YET = "These figures are not produced by this version of the service yet."
RATE_NAMES = {
    RateDefinition.able_to_work: "Among people able to work (有劳动能力)",
    RateDefinition.certificate_holders: "Among certificate holders of working age (就业年龄段持证)",
}


def _shown(value: Value, unit: str = "") -> str:
    if value is None or isinstance(value, Mark):
        return "suppressed" if value is None or value is Mark.SUPPRESSED else "not available"
    return number(value) + (f" {unit}" if unit else "")


def _drawn(chart: Chart, nothing: str) -> Block:
    """The chart, or ``nothing`` (a sentence) when it would have no bars."""
    empty = (
        not chart.bars if isinstance(chart, BarChart) else not chart.series or not chart.categories
    )
    return nothing if empty else chart


def seekers_section(
    by_county: StatsTable | None, by_category_grade: StatsTable | None, *, as_of: dt.date
) -> Section:
    """(a) Registered seekers by county, and by category and grade."""
    heading = "Registered job seekers"
    if by_county is None and by_category_grade is None:
        return Section(heading, (NOT_YET,))
    blocks: list[Block] = []
    if by_county is not None:
        blocks.append(
            f"People registered with the service on {as_of:%d %B %Y}: "
            f"{_shown(count_of(by_county.total), 'people')}."
        )
        blocks.append(
            pivot(
                by_county,
                rows="district",
                heading="County",
                caption=f"Registered seekers by county, {as_of}",
            )
        )
        blocks.append(
            _drawn(
                bar_chart(
                    by_county,
                    dim="district",
                    title="Registered seekers by county",
                    description=f"Registered seekers on {as_of}, by county.",
                ),
                "No seekers were registered by then.",
            )
        )
    if by_category_grade is not None:
        blocks.append(
            pivot(
                by_category_grade,
                rows="category",
                columns="grade",
                heading="Category",
                caption=f"Registered seekers by disability category and grade, {as_of}",
            )
        )
    return Section(heading, tuple(blocks))


def employment_section(
    by_form: StatsTable | None, by_month: StatsTable | None, *, year: int
) -> Section:
    """(b) New employment by form and by month."""
    heading = "New employment"
    if by_form is None and by_month is None:
        return Section(heading, (NOT_YET,))
    blocks: list[Block] = []
    if by_form is not None:
        blocks.append(
            f"Job starts counted as new employment in {year}: {_shown(count_of(by_form.total))}."
        )
        blocks.append(
            pivot(
                by_form,
                rows="form",
                heading="Form of employment",
                caption=f"New employment by form, {year}",
            )
        )
    if by_month is not None:
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
        blocks.append(
            bar_chart(
                by_month,
                dim="month",
                keys=months,
                title=f"New employment by month, {year}",
                description=f"Job starts counted as new employment in each month of {year}.",
            )
        )
    return Section(heading, tuple(blocks))


def rates_section(
    rates: Mapping[RateDefinition, StatsTable | None],
    *,
    targets: Mapping[RateDefinition, float] | None = None,
) -> Section:
    """(c) The employment rate under both plans' definitions (district totals)."""
    heading = "Employment rate"
    shown = {d: t for d, t in rates.items() if t is not None}
    if not shown:
        return Section(heading, (NOT_YET,))
    rows: list[tuple[Cell, ...]] = []
    bars = []
    for definition, table in shown.items():
        rate = percent_of(table.total)
        rows.append((RATE_NAMES[definition], count_of(table.total), base_of(table.total), rate))
        bars.append(Bar(RATE_NAMES[definition], rate))
    definitions = tuple(f"{RATE_NAMES[d]}: {t.definition}." for d, t in shown.items())
    table_out = Table(
        caption="Employment rate under both definitions",
        columns=("Definition", "Employed", "Base (people)", "Rate (%)"),
        rows=tuple(rows),
        decimals=1,
        notes=(*definitions, notes(next(iter(shown.values())))[1]),
    )
    target_values = set((targets or {}).values())
    target = target_values.pop() if len(target_values) == 1 else None
    chart = BarChart(
        title="Employment rate (%)",
        bars=tuple(bars),
        unit="%",
        decimals=1,
        category="Definition",
        target=target,
        target_label="plan target",
        description="The employment rate of people with disabilities under "
        "the two definitions the plans use.",
    )
    blocks: list[Block] = [
        "The plans measure the employment rate on two different bases; both are shown.",
        table_out,
        chart,
    ]
    return Section(heading, tuple(blocks))


def four_ones_section(coverage: StatsTable | None, *, year: int) -> Section:
    """(d) "Four ones" service coverage per county."""
    heading = '"Four ones" service coverage'
    if coverage is None:
        return Section(heading, (NOT_YET,))
    chart = grouped_chart(
        coverage,
        categories="district",
        series="service",
        unit="%",
        value=percent_of,
        missing=Mark.NOT_AVAILABLE,
        decimals=1,
        title=f'"Four ones" coverage by county, {year} (%)',
        description="Share of the people owed each service who received it, by county.",
    )
    counts = pivot(
        coverage,
        rows="district",
        columns="service",
        heading="County",
        missing=Mark.NOT_AVAILABLE,
        total=False,
        caption=f"People who received each service, by county, {year}",
    )
    return Section(
        heading,
        (
            "The basic information check is owed to people of working age not in work; the "
            "other three to those the check found in need of them.",
            _drawn(chart, "No one was owed these services."),
            counts,
        ),
    )


def funnel_section(
    by_group: StatsTable | None, overall: StatsTable | None, *, year: int
) -> Section:
    """(e) The referral funnel, overall and per priority group."""
    heading = "Referral funnel"
    if by_group is None:
        return Section(heading, (NOT_YET,))
    chart = grouped_chart(
        by_group,
        categories="priority_group",
        series="stage",
        lead=("All referrals", overall) if overall is not None else None,
        title=f"Referral funnel by priority group, {year}",
        description="Referrals made in the year and how far they went: "
        "each stage counts those that reached it or a later "
        "one.",
    )
    return Section(
        heading,
        (
            "A person may belong to several priority groups and then counts in each.",
            _drawn(chart, f"No referrals were made in {year}."),
            *notes(by_group),
        ),
    )


def _districts(code: str) -> str:
    return district_label(code) if code.isdigit() else code


@dataclass(frozen=True)
class QuotaEmployer:
    """An employer short of its quota (organisation figures: not suppressed)."""

    name: str
    district: str
    staff: int
    counted_disabled: float  # a severely disabled employee counts twice
    required: float
    shortfall: float
    levy_due: float | None  # yuan; None where the levy is not assessed


@dataclass(frozen=True)
class QuotaFigures:
    declared: int  # employers that declared for the year
    below_quota: Sequence[QuotaEmployer]
    lead_by_example: Sequence[QuotaEmployer]  # bodies with the duty and no disabled employee
    persistent: Sequence[QuotaEmployer]  # short three years running
    ratio: float  # the province's quota ratio, in per cent


def _employers(caption: str, employers: Sequence[QuotaEmployer]) -> Table | str:
    if not employers:
        return f"{caption}: none."
    return Table(
        caption=caption,
        columns=(
            "Employer",
            "County",
            "Staff",
            "Disabled staff (counted)",
            "Required",
            "Shortfall",
            "Levy due (yuan)",
        ),
        decimals=1,
        rows=tuple(
            (
                e.name,
                _districts(e.district),
                e.staff,
                e.counted_disabled,
                e.required,
                e.shortfall,
                e.levy_due if e.levy_due is not None else Mark.NOT_AVAILABLE,
            )
            for e in sorted(employers, key=lambda e: (-e.shortfall, e.name))
        ),
    )


def quota_section(quota: QuotaFigures | None, *, year: int) -> Section:
    """(f) Quota compliance: who is short, by how much, the levy, the duty lists."""
    heading = "Quota employment compliance"
    if quota is None:
        return Section(heading, (NOT_YET,))
    short = quota.below_quota
    levy = [e.levy_due for e in short if e.levy_due is not None]
    summary = Table(
        caption=f"Quota compliance, {year}",
        columns=("Measure", "Value"),
        rows=(
            ("Employers that declared", quota.declared),
            ("Employers below the quota", len(short)),
            ("Total shortfall (posts)", float(sum(e.shortfall for e in short))),
            ("Levy due (yuan)", float(sum(levy)) if levy else Mark.NOT_AVAILABLE),
            (
                "Public bodies with the duty to lead by example and no disabled employee",
                len(quota.lead_by_example),
            ),
            ("Below the quota three years running", len(quota.persistent)),
        ),
        notes=(
            f"Quota: {number(quota.ratio, 1)} % of staff; employer figures are not "
            "suppressed (they count organisations and posts, not people).",
        ),
    )
    return Section(
        heading,
        (
            summary,
            _employers(f"Employers below the quota, {year}", short),
            _employers(
                "Public bodies with the duty to lead by example and no disabled employee",
                quota.lead_by_example,
            ),
            _employers(
                f"Employers below the quota three years running ({year - 2}–{year})",
                quota.persistent,
            ),
        ),
    )


@dataclass(frozen=True)
class TargetProgress:
    plan: str
    metric: str  # in words
    unit: str
    target: float
    figure: float | None  # None: not measurable from the service's records
    measured_on: dt.date | None
    met: bool | None
    reason: str = ""  # why there is no figure
    people: bool = False  # the figure counts people (suppressed below the threshold)
    suppressed: bool = False  # withheld already by the statistics (figure None)
    status: str = ""  # in words, e.g. "on track", "behind" (while the span runs)


def targets_section(targets: Sequence[TargetProgress] | None, *, threshold: int) -> Section:
    """(g) The plans' targets: figure, target, when measured, met."""
    heading = "Progress towards the plan targets"
    if targets is None:
        return Section(heading, (NOT_YET,))
    if not targets:
        return Section(heading, ("No plan targets are recorded for this district.",))
    rows: list[tuple[Cell, ...]] = []
    bars = []
    sentences = []
    for t in targets:
        hidden = t.suppressed or (t.people and t.figure is not None and t.figure < threshold)
        figure: Value = None if hidden else Mark.NOT_AVAILABLE if t.figure is None else t.figure
        met: Cell = Mark.NOT_AVAILABLE if t.met is None else ("yes" if t.met else "no")
        if t.status and t.met is False and t.status != "not met":
            met = f"no ({t.status})"
        sentences.append(_target_sentence(t, figure))
        rows.append(
            (
                t.plan,
                t.metric,
                figure,
                t.target,
                t.unit,
                t.measured_on.isoformat() if t.measured_on else Mark.NOT_AVAILABLE,
                met,
            )
        )
        share: Value = (
            None
            if hidden
            else Mark.NOT_AVAILABLE
            if t.figure is None or not t.target
            else t.figure / t.target * 100
        )
        bars.append(Bar(t.metric, share))
    reasons = tuple(f"{t.metric}: {t.reason}" for t in targets if t.figure is None and t.reason)
    return Section(
        heading,
        (
            " ".join(sentences),
            Table(
                caption="Plan targets",
                columns=("Plan", "Target", "Figure", "Goal", "Unit", "Measured on", "Met"),
                rows=tuple(rows),
                row_headers=2,
                decimals=1,
                notes=reasons,
            ),
            BarChart(
                title="Share of each target reached (%)",
                bars=tuple(bars),
                unit="%",
                decimals=0,
                target=100,
                target_label="target",
                category="Target",
                description="Each figure as a share of its target; 100 % means the target "
                "is reached.",
            ),
        ),
    )


def _target_sentence(t: TargetProgress, figure: Value) -> str:
    """The text alternative of one target's row and bar."""
    goal = f"{t.metric} ({t.plan}): goal {_num(t.target)} {t.unit}"
    if figure is None:
        return f"{goal}; the figure is suppressed (a small count of people)."
    if isinstance(figure, Mark):
        return f"{goal}; not measured{': ' + t.reason if t.reason else ''}."
    when = f" as of {t.measured_on.isoformat()}" if t.measured_on else ""
    state = ("met" if t.met else t.status or "not met") if t.met is not None else ""
    return (
        f"{goal}; {_num(figure)} {t.unit}{when}, "
        f"{number(figure / t.target * 100) if t.target else '–'} % of the goal"
        f"{'; ' + state if state else ''}."
    )


def _num(value: float) -> str:
    return number(value, 0 if float(value).is_integer() else 1)
