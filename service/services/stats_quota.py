"""Quota compliance of one year over an area, from the employers' declarations.

Every employer of the area is assessed on its declaration of the year by the same rules
as its own quota report (service.services.quota.assess); one that did not declare is
counted as not declared, never guessed.  These are organisations, not people: nothing is
suppressed, and the units short of a duty are named."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from service.access import Principal
from service.context import Context
from service.errors import raise_if_errors
from service.models.stats import DistrictLevel
from service.models.stats_quota import (
    LeadByExample,
    LevyByRule,
    Persistent,
    QuotaByDistrict,
    QuotaStats,
    QuotaUnit,
)
from service.repositories import stats_quota as repo
from service.rules import DomainRules, today_in_china
from service.services.declarations import year_problems
from service.services.quota import Assessment, Figures, assess, counted_disabled
from service.services.stats_registry import NOT_SUPPRESSED
from service.services.stats_scope import jurisdiction
from service.services.stats_summary import summarised
from service.services.stats_tables import district_at

RUNNING_YEARS = 3  # Shanxi §8: below the quota three years running


def levy_day(year: int) -> dt.date:
    """The levy of a year is assessed by the rules in force on its last day."""
    return dt.date(year, 12, 31)


def _below(row: Mapping[Any, Any], offset: int, rules: DomainRules) -> bool:
    """Was the unit below the quota in year - offset (by its declaration of that year)?"""
    if not row[f"declared_{offset}"]:
        return False
    staff = row[f"staff_count_{offset}"]
    counted = counted_disabled(
        row[f"disabled_staff_{offset}"], row[f"severe_disabled_staff_{offset}"], rules
    )
    return staff * rules.quota_ratio(row["district_code"]) - counted > 0


def _unit(row: Mapping[Any, Any], a: Assessment) -> QuotaUnit:
    return QuotaUnit(
        employer_id=row["id"],
        name=row["name"],
        credit_code=row["credit_code"],
        kind=row["kind"],
        district_code=row["district_code"],
        staff_count=row["staff_count_0"],
        disabled_staff=row["disabled_staff_0"],
        counted_disabled_staff=a.counted,
        required=a.required,
        shortfall=a.shortfall,
        levy_due=a.levy_due,
    )


@dataclass
class _District:
    employers: int = 0
    not_declared: int = 0
    assessed: int = 0
    below: int = 0
    shortfall: float = 0.0
    levy: float = 0.0


@dataclass
class _Rule:
    share: float | None
    phase_until: dt.date | None
    employers: int = 0
    shortfall: float = 0.0
    levy: float = 0.0
    unknown: int = 0


@dataclass
class _Tally:
    rules: DomainRules
    on: dt.date
    level: DistrictLevel
    keep_units: bool
    employers: int = 0
    not_declared: int = 0
    districts: dict[str, _District] = field(default_factory=lambda: defaultdict(_District))
    by_rule: dict[str, _Rule] = field(default_factory=dict)
    below: list[QuotaUnit] = field(default_factory=list)
    below_count: int = 0
    shortfall: float = 0.0
    levy: float = 0.0
    levy_unknown: int = 0
    duty: int = 0
    met: int = 0
    not_met: list[QuotaUnit] = field(default_factory=list)
    persistent_count: int = 0
    persistent: list[QuotaUnit] = field(default_factory=list)  # listed when keep_units

    def add(self, row: Mapping[Any, Any]) -> None:
        district = self.districts[district_at(row["district_code"], self.level)]
        self.employers += 1
        district.employers += 1
        if not row["declared_0"]:
            self.not_declared += 1
            district.not_declared += 1
            return
        district.assessed += 1
        a = assess(
            Figures(
                kind=row["kind"],
                district_code=row["district_code"],
                staff_count=row["staff_count_0"],
                disabled_staff=row["disabled_staff_0"],
                severe_disabled_staff=row["severe_disabled_staff_0"],
                average_annual_wage=row["average_annual_wage_0"],
                established_posts=row["established_posts_0"],
                school_stage=row["school_stage"],
            ),
            self.rules,
            self.on,
        )
        rule = self.by_rule.setdefault(a.band.value, _Rule(a.share, a.phase_until))
        rule.employers += 1
        unit: QuotaUnit | None = None
        if a.lead_duty:
            self.duty += 1
            if a.lead_met:
                self.met += 1
            else:
                unit = _unit(row, a)
                self.not_met.append(unit)
        if a.meets_quota:
            return
        due = a.levy_due
        self.below_count += 1
        district.below += 1
        self.shortfall += a.shortfall
        district.shortfall += a.shortfall
        rule.shortfall += a.shortfall
        if due is None:
            self.levy_unknown += 1
            rule.unknown += 1
        else:
            self.levy += due
            district.levy += due
            rule.levy += due
        running = all(_below(row, offset, self.rules) for offset in range(1, RUNNING_YEARS))
        self.persistent_count += running
        if self.keep_units:
            unit = unit or _unit(row, a)
            self.below.append(unit)
            if running:
                self.persistent.append(unit)


def _ordered(units: Iterable[QuotaUnit]) -> list[QuotaUnit]:
    return sorted(units, key=lambda u: (-u.shortfall, u.name, u.employer_id))


@summarised(QuotaStats)
def quota_stats(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    year: int | None,
    district: str | None,
    district_level: DistrictLevel,
    include_units: bool = False,
) -> QuotaStats:
    prefix = jurisdiction(principal, district)
    year = year or today_in_china().year
    raise_if_errors(year_problems(year))
    tally = _Tally(
        rules=ctx.rules, on=levy_day(year), level=district_level, keep_units=include_units
    )
    for row in repo.employers_with_declarations(session, prefix, year, back=RUNNING_YEARS - 1):
        tally.add(row)
    return QuotaStats(
        year=year,
        levy_as_of=tally.on,
        district=prefix,
        district_level=district_level,
        suppression=NOT_SUPPRESSED,
        employers=tally.employers,
        not_declared=tally.not_declared,
        assessed=tally.employers - tally.not_declared,
        below_quota=tally.below_count,
        shortfall=tally.shortfall,
        levy_due=tally.levy,
        levy_unknown=tally.levy_unknown,
        levy_by_rule=[
            LevyByRule(
                rule=name,
                phase_until=r.phase_until,
                share=r.share,
                employers=r.employers,
                shortfall=r.shortfall,
                levy_due=r.levy,
                levy_unknown=r.unknown,
            )
            for name, r in sorted(tally.by_rule.items())
        ],
        by_district=[
            QuotaByDistrict(
                district=code,
                employers=d.employers,
                not_declared=d.not_declared,
                assessed=d.assessed,
                below_quota=d.below,
                shortfall=d.shortfall,
                levy_due=d.levy,
            )
            for code, d in sorted(tally.districts.items())
        ],
        lead_by_example=LeadByExample(
            with_duty=tally.duty, met=tally.met, not_met=_ordered(tally.not_met)
        ),
        below_three_years=Persistent(
            years=list(range(year - RUNNING_YEARS + 1, year + 1)),
            count=tally.persistent_count,
            units=_ordered(tally.persistent) if include_units else None,
        ),
        below_quota_units=_ordered(tally.below) if include_units else None,
    )
