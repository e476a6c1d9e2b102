"""The plans' targets (as data) and their progress.

Rates are fractions from 0 to 1 (a target of 55 % is 0.55); counts are whole numbers of
job starts, person-times or events."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from service.models.common import PatchBody, Strict
from service.models.identifiers import district_name


class TargetMetric(StrEnum):
    """What a target measures (docs: /work/design/targets_doc.md)."""

    new_employment = "new_employment"
    new_employment_rural = "new_employment_rural"
    sheltered_employment = "sheltered_employment"
    employment_rate_able_to_work = "employment_rate_able_to_work"
    employment_rate_working_age_certified = "employment_rate_working_age_certified"
    public_welfare_post_share = "public_welfare_post_share"
    trained_person_times = "trained_person_times"
    rural_practical_training_person_times = "rural_practical_training_person_times"
    fairs_held = "fairs_held"


class TargetKind(StrEnum):
    """How a target's period is read."""

    cumulative = "cumulative"  # a total over the whole span (2,500 over 2022–24)
    per_year = "per_year"  # reached in each year of the span ("每年")
    level = "level"  # a rate reached by the end of the span


RATES = frozenset(
    {
        TargetMetric.employment_rate_able_to_work,
        TargetMetric.employment_rate_working_age_certified,
        TargetMetric.public_welfare_post_share,
    }
)
PER_YEAR = frozenset(
    {
        TargetMetric.trained_person_times,
        TargetMetric.rural_practical_training_person_times,
        TargetMetric.fairs_held,
    }
)


def kind_of(metric: str) -> TargetKind:
    if metric in RATES:
        return TargetKind.level
    return TargetKind.per_year if metric in PER_YEAR else TargetKind.cumulative


class TargetStatus(StrEnum):
    met = "met"
    on_track = "on_track"  # in progress, at least the share of the target the time elapsed
    behind = "behind"  # in progress, below that share
    not_met = "not_met"  # the period is over and the figure falls short
    not_started = "not_started"
    suppressed = "suppressed"  # the figure is a small count of people, withheld
    not_measured = "not_measured"  # the service has no records to measure it from


FIRST_YEAR, LAST_YEAR = 2000, 2100


def _area_code(value: str) -> str:
    """A GB/T 2260 division in force at any level: province, city or county."""
    if len(value) != 6 or not value.isdigit():
        raise PydanticCustomError(
            "district_code_format", "a district code is six digits (GB/T 2260)"
        )
    if district_name(value) is None:
        raise PydanticCustomError(
            "district_code_unknown", "no GB/T 2260 division in force has this code"
        )
    return value


AreaCode = Annotated[
    str,
    AfterValidator(_area_code),
    Field(
        examples=["420200"],
        description="GB/T 2260 code of the province (xx0000), city "
        "(xxxx00) or county the target is set for",
    ),
]
Year = Annotated[int, Field(strict=True, ge=FIRST_YEAR, le=LAST_YEAR)]
TargetValue = Annotated[
    float,
    Field(
        strict=True,
        gt=0,
        le=100_000_000,
        allow_inf_nan=False,
        description="the goal: a count, or for a rate metric a fraction from 0 to 1 (55 % is 0.55)",
    ),
]
Plan = Annotated[
    str,
    Field(
        min_length=1,
        max_length=60,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        examples=["huangshi-2022-2024"],
        description="the plan's slug (lower case, digits, hyphens)",
    ),
]
Note = Annotated[str, Field(max_length=500)]


class PlanTargetBase(Strict):
    plan: Plan
    district_code: AreaCode
    year_from: Year
    year_to: Year
    metric: TargetMetric
    target: TargetValue
    note: Note | None = Field(default=None, description="the plan's words, the source")


class PlanTargetCreate(PlanTargetBase):
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="a stable id (default: made up)",
    )


class PlanTargetUpdate(PatchBody):
    NOT_NULL: ClassVar[tuple[str, ...]] = (
        "plan",
        "district_code",
        "year_from",
        "year_to",
        "metric",
        "target",
    )

    plan: Plan | None = None
    district_code: AreaCode | None = None
    year_from: Year | None = None
    year_to: Year | None = None
    metric: TargetMetric | None = None
    target: TargetValue | None = None
    note: Note | None = None


class PlanTargetPublic(BaseModel):
    id: str
    plan: str
    district_code: str
    district_name: str | None
    year_from: int
    year_to: int
    metric: TargetMetric
    kind: TargetKind
    target: float
    unit: str
    note: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class YearProgress(BaseModel):
    year: int
    figure: float | None = Field(description="null when suppressed or not measured")
    status: TargetStatus
    covered_from: dt.date | None
    covered_to: dt.date | None


class TargetProgress(PlanTargetPublic):
    figure: float | None = Field(
        description="the measured value: a count, or a rate as a "
        "fraction; for a per-year target the latest year measured; "
        "null when suppressed or not measured"
    )
    count: int | None = Field(
        default=None,
        description="a rate's numerator (people or job starts); null when suppressed or not a rate",
    )
    denominator: int | None = Field(
        default=None, description="a rate's base; null when suppressed or not a rate"
    )
    share_of_target: float | None = Field(description="figure / target (1 = reached)")
    status: TargetStatus
    suppressed: bool
    measured_at: dt.date | None = Field(description="the day the figure is as of")
    covered_from: dt.date | None = Field(description="first day the figure covers")
    covered_to: dt.date | None = Field(description="last day the figure covers")
    years: list[YearProgress] = Field(
        default_factory=list, description="per-year targets: each year's figure"
    )
    computed_at: dt.datetime | None = Field(
        default=None,
        description="when the figure was computed: the same question is answered again from "
        "a stored summary until anything is written (docs/statistics.md)",
    )
    definition: str = Field(description="what is counted, in words")
    reason: str | None = Field(default=None, description="why there is no figure")
