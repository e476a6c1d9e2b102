"""/v1/employers"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from service.access import Action
from service.api.deps import (
    Authorize,
    ContextDep,
    IfMatch,
    PageDep,
    Principal,
    SessionDep,
    etag_of,
    json_response,
    require_match,
)
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.models.common import Page
from service.models.employer import EmployerCreate, EmployerPublic, EmployerUpdate, QuotaReport
from service.models.enums import EmployerKind
from service.repositories.employers import EmployerFilter
from service.rules import today_in_china
from service.services import employers as service
from service.services.quota import quota_report

router = APIRouter(
    prefix="/v1/employers", tags=["employers"], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EmployerPublic,
    responses=problem_responses(*AUTH, 400, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    body: EmployerCreate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.create_employer)],
) -> EmployerPublic:
    employer = service.create(session, principal.owner_id, body)
    response.headers["Location"] = f"{router.prefix}/{employer.id}"
    response.headers["ETag"] = etag_of(employer.version)
    return service.to_public(employer)


@router.get("", response_model=Page[EmployerPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, Authorize(Action.read_employer)],
    kind: EmployerKind | None = None,
    district_code: Annotated[
        str | None, Query(pattern=r"^[0-9]{2,6}$", description="prefix")
    ] = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
) -> Page[EmployerPublic]:
    flt = EmployerFilter(
        kind=kind,
        district_code=district_code,
        credit_code=credit_code.upper() if credit_code else None,
    )
    rows, cursor = service.page(session, flt, page)
    return Page(items=[service.to_public(e) for e in rows], next_cursor=cursor)


@router.get(
    "/{employer_id}", response_model=EmployerPublic, responses=problem_responses(*AUTH, 404)
)
def read(
    employer_id: str,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.read_employer)],
) -> EmployerPublic:
    employer = service.get_for(session, principal, employer_id, Action.read_employer)
    response.headers["ETag"] = etag_of(employer.version)
    return service.to_public(employer)


@router.patch(
    "/{employer_id}",
    response_model=EmployerPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428),
)
def update(
    employer_id: str,
    body: EmployerUpdate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.update_employer)],
    if_match: IfMatch = None,
) -> EmployerPublic:
    """Change fields; send If-Match with the ETag of the version you read."""
    employer = service.get_for(session, principal, employer_id, Action.update_employer)
    require_match(if_match, employer.version)
    employer = service.update(session, employer, body)
    response.headers["ETag"] = etag_of(employer.version)
    return service.to_public(employer)


@router.delete(
    "/{employer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*AUTH, 404, 409, 412),
)
def delete(
    employer_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.delete_employer)],
) -> Response:
    employer = service.get_for(session, principal, employer_id, Action.delete_employer)
    service.delete(session, employer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{employer_id}/quota", response_model=QuotaReport, responses=problem_responses(*AUTH, 404)
)
def quota(
    employer_id: str,
    session: SessionDep,
    ctx: ContextDep,
    principal: Annotated[Principal, Authorize(Action.read_quota)],
) -> Response:
    """Quota-employment figures and the levy due, by the rules in force today."""
    employer = service.get_for(session, principal, employer_id, Action.read_quota)
    return json_response(quota_report(employer, ctx.rules, today_in_china()), etag=True)
