"""Statistics schemas: a table of suppressed counts, and the vocabularies to ask for one."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field


class SeekerDim(StrEnum):
    """What seeker counts can be broken down by."""

    district = "district"
    category = "category"
    grade = "grade"
    priority_group = "priority_group"
    status = "status"
    sex = "sex"
    age_band = "age_band"
    hukou = "hukou"


class DistrictLevel(StrEnum):
    county = "county"
    city = "city"
    province = "province"


class Period(StrEnum):
    month = "month"
    year = "year"


class AgeBand(StrEnum):
    """The age bands of service.profile.age_band (a test keeps the two equal)."""

    under_16 = "0-15"
    from_16 = "16-24"
    from_25 = "25-34"
    from_35 = "35-44"
    from_45 = "45-54"
    from_55 = "55+"


class EmploymentDim(StrEnum):
    """What new employment can be broken down by; month and year are the period."""

    district = "district"
    form = "form"
    priority_group = "priority_group"
    month = "month"
    year = "year"


class TrainingDim(StrEnum):
    district = "district"
    kind = "kind"
    priority_group = "priority_group"
    month = "month"
    year = "year"


class FunnelDim(StrEnum):
    district = "district"
    priority_group = "priority_group"
    year = "year"


class VacancyDim(StrEnum):
    employer_kind = "employer_kind"
    work_mode = "work_mode"
    occupation = "occupation"  # the major group of the national classification (1st digit)
    targeted = "targeted"
    public_welfare = "public_welfare"
    district = "district"


class EmployerDim(StrEnum):
    kind = "kind"
    district = "district"
    school_stage = "school_stage"


class RateDefinition(StrEnum):
    """The two bases the plans compute an employment rate on."""

    able_to_work = "able_to_work"  # Yangquan: 有劳动能力的残疾人就业率
    certificate_holders = "certificate_holders"  # Liaocheng: 就业年龄段持证残疾人就业率


class StatsCell(BaseModel):
    key: dict[str, str] = Field(description="the cell's value of each `by` dimension")
    count: int | None = Field(description="null when suppressed")
    suppressed: bool
    value: float | None = Field(
        default=None,
        description="a sum or a rate, where the measure has one (null when suppressed)",
    )
    denominator: int | None = Field(
        default=None, description="the base of a rate (null when suppressed or not a rate)"
    )


class StatsTable(BaseModel):
    measure: str
    unit: str = Field(description="what `count` counts, e.g. people, placements, vacancies")
    definition: str = Field(description="what is counted, in words")
    as_of: dt.date | None = None
    year_from: int | None = None
    year_to: int | None = None
    by: list[str]
    filters: dict[str, str]
    threshold: int | None = Field(
        description="cells of fewer people are suppressed; null "
        "for counts of organisations, which are not suppressed"
    )
    suppression: str
    cells: list[StatsCell]
    total: StatsCell
    computed_at: dt.datetime | None = Field(
        default=None,
        description="when these figures were computed: the same question is answered again "
        "from a stored summary until anything is written (null: always computed afresh)",
    )
