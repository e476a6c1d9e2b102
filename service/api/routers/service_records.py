"""/v1/seekers/{id}/services (the "four ones" and training) and /v1/seekers/{id}/status
(the status history)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from service.access import Action
from service.api.deps import (
    NO_STORE,
    AuditDep,
    Authorize,
    ContextDep,
    PageDep,
    Principal,
    SessionDep,
    json_response,
    no_store,
)
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.models.common import IsoDate, Page
from service.models.enums import AuditAction, ServiceType
from service.models.service_record import (
    ServiceRecordCreate,
    ServiceRecordPublic,
    StatusChangeCreate,
    StatusHistory,
)
from service.repositories.service_records import ServiceFilter
from service.services import seekers
from service.services import service_records as service

# Personal data: no shared cache may keep any of these answers.  Each route names its
# tag (the operationId is tag + name): service records under "services", the status
# history beside the seeker's other fields under "seekers".
router = APIRouter(
    prefix="/v1/seekers", dependencies=[Depends(no_store)], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)
# The POSTs may also write the seeker (a current assessment, preferences or status): one
# that loses a race with another write of the same person is 412, never a lost update.
SERVICES: list[str | Enum] = ["services"]
SEEKERS: list[str | Enum] = ["seekers"]


@router.post(
    "/{seeker_id}/services",
    tags=SERVICES,
    status_code=status.HTTP_201_CREATED,
    response_model=ServiceRecordPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    seeker_id: str,
    body: ServiceRecordCreate,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.record_service)],
) -> ServiceRecordPublic:
    """Record a service given to the person: a basic-information check, an ability
    assessment, a needs registration, an employment service, or a training course.
    `details` follow `type`.  The newest ability assessment (by date) becomes the
    person's current assessment, and the newest needs registration their current
    preferences, both of which matching uses; older ones stay as history."""
    seeker = seekers.get_for(
        session, audit, seeker_id, Action.record_service, AuditAction.service_create
    )
    record = service.create(session, ctx, audit, seeker, body)
    response.headers["Location"] = f"{router.prefix}/{seeker_id}/services/{record.id}"
    return service.to_public(record, ctx)


@router.get(
    "/{seeker_id}/services",
    tags=SERVICES,
    response_model=Page[ServiceRecordPublic],
    responses=problem_responses(*AUTH, 404, 422),
)
def list_(
    seeker_id: str,
    session: SessionDep,
    ctx: ContextDep,
    page: PageDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_services)],
    type: ServiceType | None = None,
    since: Annotated[IsoDate | None, Query(description="on or after")] = None,
    until: Annotated[IsoDate | None, Query(description="on or before")] = None,
) -> Page[ServiceRecordPublic]:
    """The person's service records, newest first (by date, then by the order recorded)."""
    seeker = seekers.get_for(
        session, audit, seeker_id, Action.read_services, AuditAction.service_list
    )
    flt = ServiceFilter(type=type, since=since, until=until)
    rows, cursor = service.page(session, audit, seeker, flt, page)
    return Page(items=[service.to_public(r, ctx) for r in rows], next_cursor=cursor)


@router.get(
    "/{seeker_id}/services/{service_id}",
    tags=SERVICES,
    response_model=ServiceRecordPublic,
    responses=problem_responses(*AUTH, 404),
)
def read(
    seeker_id: str,
    service_id: str,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_services)],
) -> Response:
    """One record; its ETag is a digest of the answer (records are never changed)."""
    seeker = seekers.get_for(
        session, audit, seeker_id, Action.read_services, AuditAction.service_read
    )
    record = service.to_public(service.read(session, audit, seeker, service_id), ctx)
    return json_response(record, etag=True, headers=NO_STORE)


@router.get(
    "/{seeker_id}/status-history",
    tags=SEEKERS,
    response_model=StatusHistory,
    responses=problem_responses(*AUTH, 404),
)
def status_history(
    seeker_id: str,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_services)],
) -> Response:
    """Every change of the person's status, oldest first, with its date and cause; the
    current status is the newest entry's.  The ETag is a digest of the answer."""
    seeker = seekers.get_for(
        session, audit, seeker_id, Action.read_services, AuditAction.status_list
    )
    return json_response(
        service.status_history(session, audit, seeker), etag=True, headers=NO_STORE
    )


@router.post(
    "/{seeker_id}/status",
    tags=SEEKERS,
    status_code=status.HTTP_201_CREATED,
    response_model=StatusHistory,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def change_status(
    seeker_id: str,
    body: StatusChangeCreate,
    response: Response,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.record_service)],
) -> StatusHistory:
    """Record a dated change of status; the answer is the history after it.  A change
    dated before the newest entry is kept as history and leaves the current status as
    it is.  Job starts and ends are recorded by placements, not here."""
    seeker = seekers.get_for(
        session, audit, seeker_id, Action.record_service, AuditAction.status_change
    )
    service.change_status(session, audit, seeker, body)
    response.headers["Location"] = f"{router.prefix}/{seeker_id}/status-history"
    return service.history_of(session, seeker)
