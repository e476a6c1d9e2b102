"""/v1/seekers"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from service.access import Action
from service.api.deps import (
    NO_STORE,
    AuditDep,
    Authorize,
    ContextDep,
    IfMatch,
    PageDep,
    Principal,
    SessionDep,
    etag_of,
    json_response,
    no_store,
    require_match,
)
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.models.common import Page
from service.models.enums import AuditAction, Category, PriorityGroup, SeekerStatus
from service.models.export import SeekerExport
from service.models.seeker import SeekerCreate, SeekerPublic, SeekerUpdate
from service.repositories.seekers import SeekerFilter
from service.services import seeker_privacy as privacy
from service.services import seekers as service

# Personal data: no shared cache may keep any of these answers.
router = APIRouter(
    prefix="/v1/seekers",
    tags=["seekers"],
    dependencies=[Depends(no_store)],
    responses=problem_responses(503),
)  # database unavailable
AUTH = (401, 403, 429)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SeekerPublic,
    responses=problem_responses(*AUTH, 400, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    body: SeekerCreate,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.create_seeker)],
) -> SeekerPublic:
    """Register a job seeker with their certificate and (optionally) an assessment."""
    seeker = service.create(session, ctx, audit, body)
    response.headers["Location"] = f"{router.prefix}/{seeker.id}"
    response.headers["ETag"] = etag_of(seeker.version)
    return service.to_public(seeker, ctx)


@router.get("", response_model=Page[SeekerPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    ctx: ContextDep,
    page: PageDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_seeker)],
    district_code: Annotated[
        str | None, Query(pattern=r"^[0-9]{2,6}$", description="prefix")
    ] = None,
    category: Category | None = None,
    priority_group: PriorityGroup | None = None,
    status: SeekerStatus | None = None,
) -> Page[SeekerPublic]:
    """Seekers the key may read: all for counselors, their own for partners and kiosks."""
    flt = SeekerFilter(
        district_code=district_code, category=category, priority_group=priority_group, status=status
    )
    rows, cursor = service.page(session, ctx, audit, flt, page)
    return Page(items=[service.to_public(s, ctx) for s in rows], next_cursor=cursor)


@router.get("/{seeker_id}", response_model=SeekerPublic, responses=problem_responses(*AUTH, 404))
def read(
    seeker_id: str,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_seeker)],
) -> SeekerPublic:
    seeker = service.read(session, audit, seeker_id)
    response.headers["ETag"] = etag_of(seeker.version)
    return service.to_public(seeker, ctx)


@router.patch(
    "/{seeker_id}",
    response_model=SeekerPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428),
)
def update(
    seeker_id: str,
    body: SeekerUpdate,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.update_seeker)],
    if_match: IfMatch = None,
) -> SeekerPublic:
    """Change fields; send If-Match with the ETag of the version you read.  A change of
    `consent` is recorded in the consent history and applies to matching at once."""
    seeker = service.get_for(
        session, audit, seeker_id, Action.update_seeker, AuditAction.seeker_update
    )
    require_match(if_match, seeker.version)
    seeker = service.update(session, ctx, audit, seeker, body)
    response.headers["ETag"] = etag_of(seeker.version)
    return service.to_public(seeker, ctx)


@router.delete(
    "/{seeker_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*AUTH, 404, 412),
)
def delete(
    seeker_id: str,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.delete_seeker)],
) -> Response:
    """Erase the person: personal fields, identifiers and consent history are deleted;
    only an anonymised remainder stays for statistics."""
    seeker = service.get_for(
        session, audit, seeker_id, Action.delete_seeker, AuditAction.seeker_erase
    )
    privacy.erase(session, ctx, audit, seeker)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{seeker_id}/export", response_model=SeekerExport, responses=problem_responses(*AUTH, 404)
)
def export(
    seeker_id: str,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.export_seeker)],
) -> Response:
    """Everything held about the person (access request): full identifiers, consent
    history and every recorded access to their data."""
    seeker = service.get_for(
        session, audit, seeker_id, Action.export_seeker, AuditAction.seeker_export
    )
    return json_response(privacy.export(session, ctx, audit, seeker), etag=True, headers=NO_STORE)
