"""/v1/stats: aggregates for dashboards; counts of people are suppressed (docs/privacy.md).

Every answer is JSON, or CSV with ``Accept: text/csv``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service.access import Action
from service.api.csv_response import CSV_CONTENT, table_response
from service.api.deps import Authorize, Principal, SessionDep
from service.api.errors import problem_responses
from service.api.stats_params import AsOf, District, StatsContextDep
from service.models.enums import (
    Category,
    EmployerKind,
    EmploymentForm,
    Hukou,
    PriorityGroup,
    SeekerStatus,
    Sex,
    TrainingKind,
    WorkMode,
)
from service.models.stats import (
    AgeBand,
    DistrictLevel,
    EmployerDim,
    EmploymentDim,
    FunnelDim,
    RateDefinition,
    SeekerDim,
    StatsTable,
    TrainingDim,
    VacancyDim,
)
from service.services import stats_casework, stats_rates, stats_registry, stats_seekers

router = APIRouter(prefix="/v1/stats", tags=["stats"], responses=problem_responses(503))
ERRORS = problem_responses(401, 403, 406, 422, 429)
RESPONSES = {**ERRORS, **CSV_CONTENT}

Reader = Annotated[Principal, Authorize(Action.read_stats)]
Level = Annotated[DistrictLevel, Query(description="the level a `district` breakdown is shown at")]
YearFrom = Annotated[
    int | None, Query(ge=2000, le=2100, description="first calendar year (default year_to)")
]
YearTo = Annotated[
    int | None, Query(ge=2000, le=2100, description="last calendar year (default this year)")
]
Group = Annotated[PriorityGroup | None, Query(description="only people in this group")]


def _filters(**values: object) -> dict[str, str]:
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in values.items()
        if value is not None
    }


@router.get("/seekers", response_model=StatsTable, responses=RESPONSES)
def seekers(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    by: Annotated[list[SeekerDim], Query()] = [],  # noqa: B006 (FastAPI copies it)
    district: District = None,
    district_level: Level = DistrictLevel.county,
    as_of: AsOf = None,
    category: Category | None = None,
    grade: Annotated[int | None, Query(ge=1, le=4)] = None,
    status: SeekerStatus | None = None,
    sex: Sex | None = None,
    hukou: Hukou | None = None,
    age_band: AgeBand | None = None,
    priority_group: Group = None,
) -> Response:
    """Registered seekers as of a day, by any combination of dimensions."""
    table = stats_seekers.seekers_table(
        session,
        ctx,
        principal,
        by=[d.value for d in by],
        district=district,
        district_level=district_level,
        as_of=as_of,
        filters=_filters(
            category=category,
            grade=grade,
            status=status,
            sex=sex,
            hukou=hukou,
            age_band=age_band,
            priority_group=priority_group,
        ),
    )
    return table_response(request, table)


@router.get("/employment", response_model=StatsTable, responses=RESPONSES)
def employment(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    by: Annotated[list[EmploymentDim], Query()] = [],  # noqa: B006
    year_from: YearFrom = None,
    year_to: YearTo = None,
    district: District = None,
    district_level: Level = DistrictLevel.county,
    form: EmploymentForm | None = None,
    priority_group: Group = None,
) -> Response:
    """New employment (job starts counted as new) by form, county, group, month or year."""
    table = stats_casework.new_employment_table(
        session,
        ctx,
        principal,
        by=[d.value for d in by],
        district=district,
        district_level=district_level,
        years=stats_casework.year_span(year_from, year_to),
        filters=_filters(form=form, priority_group=priority_group),
    )
    return table_response(request, table)


@router.get("/training", response_model=StatsTable, responses=RESPONSES)
def training(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    by: Annotated[list[TrainingDim], Query()] = [],  # noqa: B006
    year_from: YearFrom = None,
    year_to: YearTo = None,
    district: District = None,
    district_level: Level = DistrictLevel.county,
    kind: TrainingKind | None = None,
    priority_group: Group = None,
) -> Response:
    """Training in person-times, vocational and rural practical apart."""
    table = stats_casework.training_table(
        session,
        ctx,
        principal,
        by=[d.value for d in by],
        district=district,
        district_level=district_level,
        years=stats_casework.year_span(year_from, year_to),
        filters=_filters(kind=kind, priority_group=priority_group),
    )
    return table_response(request, table)


@router.get("/funnel", response_model=StatsTable, responses=RESPONSES)
def funnel(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    by: Annotated[list[FunnelDim], Query()] = [],  # noqa: B006
    year_from: YearFrom = None,
    year_to: YearTo = None,
    district: District = None,
    district_level: Level = DistrictLevel.county,
    priority_group: Group = None,
) -> Response:
    """Referred → interviewed → hired → retained at six months, e.g. per priority group."""
    table = stats_casework.funnel_table(
        session,
        ctx,
        principal,
        by=[d.value for d in by],
        district=district,
        district_level=district_level,
        years=stats_casework.year_span(year_from, year_to),
        filters=_filters(priority_group=priority_group),
    )
    return table_response(request, table)


@router.get("/employment-rate", response_model=StatsTable, responses=RESPONSES)
def employment_rate(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    definition: RateDefinition,
    by_district: Annotated[
        bool, Query(description="one rate per district (at district_level)")
    ] = False,
    district: District = None,
    district_level: Level = DistrictLevel.county,
    as_of: AsOf = None,
) -> Response:
    """The employment rate on one of the plans' two bases, stated in the answer."""
    table = stats_rates.employment_rate_table(
        session,
        ctx,
        principal,
        definition=definition,
        as_of=as_of,
        district=district,
        by=["district"] if by_district else [],
        district_level=district_level,
    )
    return table_response(request, table)


@router.get("/four-ones", response_model=StatsTable, responses=RESPONSES)
def four_ones(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    district: District = None,
    district_level: Level = DistrictLevel.county,
) -> Response:
    """ "Four ones" coverage per county in a calendar year."""
    years = stats_casework.year_span(year, year)
    table = stats_rates.four_ones_table(
        session, ctx, principal, year=years[0], district=district, district_level=district_level
    )
    return table_response(request, table)


@router.get("/follow-ups", response_model=StatsTable, responses=RESPONSES)
def follow_ups(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    district: District = None,
    district_level: Level = DistrictLevel.county,
) -> Response:
    """Follow-up visits due in a year, and done, missed or still open."""
    years = stats_casework.year_span(year, year)
    table = stats_casework.follow_up_table(
        session, ctx, principal, year=years[0], district=district, district_level=district_level
    )
    return table_response(request, table)


@router.get("/vacancies", response_model=StatsTable, responses=RESPONSES)
def vacancies(
    request: Request,
    session: SessionDep,
    principal: Reader,
    by: Annotated[list[VacancyDim], Query()] = [],  # noqa: B006
    district: District = None,
    district_level: Level = DistrictLevel.county,
    employer_kind: EmployerKind | None = None,
    work_mode: WorkMode | None = None,
    occupation: Annotated[str | None, Query(pattern=r"^[0-9]$", description="major group")] = None,
    targeted: bool | None = None,
    public_welfare: bool | None = None,
) -> Response:
    """Open vacancies and their unfilled openings."""
    table = stats_registry.vacancies_table(
        session,
        principal,
        by=[d.value for d in by],
        district=district,
        district_level=district_level,
        filters=_filters(
            employer_kind=employer_kind,
            work_mode=work_mode,
            occupation=occupation,
            targeted=targeted,
            public_welfare=public_welfare,
        ),
    )
    return table_response(request, table)


@router.get("/employers", response_model=StatsTable, responses=RESPONSES)
def employers(
    request: Request,
    session: SessionDep,
    principal: Reader,
    by: Annotated[list[EmployerDim], Query()] = [],  # noqa: B006
    district: District = None,
    district_level: Level = DistrictLevel.county,
    kind: EmployerKind | None = None,
    school_stage: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
) -> Response:
    """Registered employers by kind, county and school stage."""
    table = stats_registry.employers_table(
        session,
        principal,
        by=[d.value for d in by],
        district=district,
        district_level=district_level,
        filters=_filters(kind=kind, school_stage=school_stage),
    )
    return table_response(request, table)
