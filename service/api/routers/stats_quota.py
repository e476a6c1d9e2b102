"""/v1/stats/quota: quota compliance of a year, from the employers' declarations.

Counts of organisations, not of people: nothing is suppressed (docs/statistics.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service.access import Action
from service.api.csv_response import QUOTA_CSV_CONTENT, quota_response
from service.api.deps import Authorize, Principal, SessionDep
from service.api.errors import problem_responses
from service.api.stats_params import District, StatsContextDep
from service.models.stats import DistrictLevel
from service.models.stats_quota import QuotaStats
from service.services import stats_quota

router = APIRouter(prefix="/v1/stats", tags=["stats"], responses=problem_responses(503))

Reader = Annotated[Principal, Authorize(Action.read_stats)]


@router.get(
    "/quota",
    response_model=QuotaStats,
    responses={**QUOTA_CSV_CONTENT, **problem_responses(401, 403, 406, 422, 429)},
)
def quota(
    request: Request,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="the calendar year assessed (default this year)"),
    ] = None,
    district: District = None,
    district_level: Annotated[
        DistrictLevel, Query(description="the level of the `by_district` rows")
    ] = DistrictLevel.county,
    include_units: Annotated[
        bool,
        Query(
            description="also list the units: every unit below the quota, and those below "
            "it three years running (else only their counts)"
        ),
    ] = False,
) -> Response:
    """Employers assessed and below the quota, the shortfall and the levy (by rule and by
    district), the lead-by-example duty and who has not met it, and the units below the
    quota three years running.  ``Accept: text/csv`` gives the district table as CSV."""
    stats = stats_quota.quota_stats(
        session,
        ctx,
        principal,
        year=year,
        district=district,
        district_level=district_level,
        include_units=include_units,
    )
    return quota_response(request, stats)
