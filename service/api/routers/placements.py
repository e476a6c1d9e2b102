"""/v1/placements and /v1/follow-ups"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from service.access import Action
from service.api.deps import (
    AuditDep,
    Authorize,
    ContextDep,
    IfMatch,
    PageDep,
    Principal,
    SessionDep,
    etag_of,
    no_store,
    require_match,
)
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.models.common import IsoDate, Page
from service.models.placement import (
    FollowUpCreate,
    FollowUpDue,
    PlacementCreate,
    PlacementPublic,
    PlacementUpdate,
)
from service.models.tables import Placement
from service.repositories.placements import PlacementFilter
from service.rules import today_in_china
from service.services import follow_ups, placement_cancel
from service.services import placements as service

AUTH = (401, 403, 429)
# Personal data: no shared cache may keep these answers; 503 while the database is down.
placements = APIRouter(
    prefix="/v1/placements",
    tags=["placements"],
    dependencies=[Depends(no_store)],
    responses=problem_responses(503),
)
due = APIRouter(
    prefix="/v1/follow-ups",
    tags=["follow-ups"],
    dependencies=[Depends(no_store)],
    responses=problem_responses(503),
)
DistrictPrefix = Annotated[
    str | None, Query(pattern=r"^[0-9]{2,6}$", description="prefix of the placement's county")
]
Id = Annotated[str | None, Query(max_length=40)]


def _answer(session: SessionDep, response: Response, placement: Placement) -> PlacementPublic:
    response.headers["ETag"] = etag_of(placement.version)
    visits = service.visits_by_placement(session, [placement]).get(placement.id, [])
    return service.to_public(placement, visits)


@placements.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PlacementPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    body: PlacementCreate,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.create_placement)],
) -> PlacementPublic:
    """Record a job start.  The seeker becomes employed, an offered referral hired, and
    the vacancy counts the opening (filled at its last one, when it stops matching), all
    in one transaction."""
    placement = service.create(session, ctx, audit, body)
    response.headers["Location"] = f"{placements.prefix}/{placement.id}"
    return _answer(session, response, placement)


@placements.get("", response_model=Page[PlacementPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    page: PageDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_placement)],
    seeker_id: Id = None,
    employer_id: Id = None,
    vacancy_id: Id = None,
    district_code: DistrictPrefix = None,
    active: Annotated[bool | None, Query(description="true: still running")] = None,
    started_from: Annotated[IsoDate | None, Query()] = None,
    started_to: Annotated[IsoDate | None, Query()] = None,
    retained_6_months: bool | None = None,
) -> Page[PlacementPublic]:
    flt = PlacementFilter(
        seeker_id=seeker_id,
        employer_id=employer_id,
        vacancy_id=vacancy_id,
        district_code=district_code,
        active=active,
        started_from=started_from,
        started_to=started_to,
        retained_6_months=retained_6_months,
    )
    rows, cursor = service.page(session, audit, flt, page)
    visits = service.visits_by_placement(session, rows)
    return Page(
        items=[service.to_public(p, visits.get(p.id, [])) for p in rows], next_cursor=cursor
    )


@placements.get(
    "/{placement_id}", response_model=PlacementPublic, responses=problem_responses(*AUTH, 404)
)
def read(
    placement_id: str,
    response: Response,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_placement)],
) -> PlacementPublic:
    return _answer(session, response, service.read(session, audit, placement_id))


@placements.patch(
    "/{placement_id}",
    response_model=PlacementPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428),
)
def update(
    placement_id: str,
    body: PlacementUpdate,
    response: Response,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.update_placement)],
    if_match: IfMatch = None,
) -> PlacementPublic:
    """End the placement (`end_date` and `end_reason` together; the seeker returns to
    seeking) or correct `form` and `counts_as_new`; send If-Match."""
    placement = service.get_for(session, principal, placement_id, Action.update_placement)
    require_match(if_match, placement.version)
    return _answer(session, response, service.update(session, audit, placement, body))


@placements.delete(
    "/{placement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*AUTH, 404, 409, 412),
)
def cancel(
    placement_id: str,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.update_placement)],
) -> Response:
    """Cancel a start still to come (the person did not take the job up): the opening,
    the status and the referral's hire move back.  A started job is ended, not cancelled."""
    placement = service.get_for(session, principal, placement_id, Action.update_placement)
    placement_cancel.cancel(session, audit, placement)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@placements.post(
    "/{placement_id}/follow-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=PlacementPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def record_follow_up(
    placement_id: str,
    body: FollowUpCreate,
    response: Response,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.update_placement)],
) -> PlacementPublic:
    """Record a follow-up visit; the answer is the placement with its schedule.  A visit
    finding the person no longer employed ends the placement on its date."""
    placement = service.get_for(session, principal, placement_id, Action.update_placement)
    service.record_visit(session, audit, placement, body)
    response.headers["Location"] = f"{placements.prefix}/{placement.id}"
    return _answer(session, response, placement)


@due.get("", name="list", response_model=Page[FollowUpDue], responses=problem_responses(*AUTH, 422))
def list_due(
    session: SessionDep,
    page: PageDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_placement)],
    due_before: Annotated[
        IsoDate | None, Query(description="on or before; default today + 14 days")
    ] = None,
    district_code: DistrictPrefix = None,
    mine: Annotated[
        bool, Query(description="only placements recorded by this key's owner")
    ] = False,
) -> Page[FollowUpDue]:
    """Follow-up visits to make: milestones due (window open), overdue, or upcoming by
    `due_before`, of placements running or ended after the window opened."""
    today = today_in_china()
    items, cursor = follow_ups.page(
        session,
        audit,
        today=today,
        due_before=due_before or today + dt.timedelta(days=14),
        district_code=district_code,
        mine=mine,
        params=page,
    )
    return Page(items=items, next_cursor=cursor)


router = APIRouter()
router.include_router(placements)
router.include_router(due)
