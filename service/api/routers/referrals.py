"""/v1/referrals"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

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
from service.models.common import Page
from service.models.enums import ReferralStatus
from service.models.referral import ReferralCreate, ReferralPublic, ReferralUpdate
from service.services import referrals as service
from service.services.matching import Matcher

# Personal data: no shared cache may keep any of these answers.
router = APIRouter(
    prefix="/v1/referrals",
    tags=["referrals"],
    dependencies=[Depends(no_store)],
    responses=problem_responses(503),
)  # database unavailable
AUTH = (401, 403, 429)
Id = Annotated[str | None, Query(min_length=1, max_length=40)]


def _matcher(request: Request) -> Matcher:
    matcher: Matcher = request.app.state.matcher.current()  # once per request
    return matcher


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    body: ReferralCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.create_referral)],
) -> ReferralPublic:
    """Put a person forward for a vacancy, with the ranking context of this moment.  A pair
    the constraints block is refused (409 naming them) unless a counselor overrides with a
    reason.  A partner refers a candidate of its own vacancy by its candidate_id."""
    referral = service.create(session, ctx, _matcher(request), audit, body)
    response.headers["Location"] = f"{router.prefix}/{referral.id}"
    response.headers["ETag"] = etag_of(referral.version)
    return service.view(session, ctx, principal, referral)


@router.get("", response_model=Page[ReferralPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    ctx: ContextDep,
    page: PageDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_referral)],
    seeker_id: Id = None,
    candidate_id: Annotated[
        str | None, Query(min_length=1, max_length=40, description="partners: the pseudonym")
    ] = None,
    vacancy_id: Id = None,
    status: ReferralStatus | None = None,
) -> Page[ReferralPublic]:
    """Referrals the key may read: all for counselors, those to its own vacancies for a
    partner (who filters by candidate_id, never seeker_id)."""
    query = service.ListQuery(
        seeker_id=seeker_id, candidate_id=candidate_id, vacancy_id=vacancy_id, status=status
    )
    rows, cursor = service.page(session, audit, query, page)
    return Page(items=service.views(session, ctx, principal, rows), next_cursor=cursor)


@router.get(
    "/{referral_id}", response_model=ReferralPublic, responses=problem_responses(*AUTH, 404)
)
def read(
    referral_id: str,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.read_referral)],
) -> ReferralPublic:
    """The referral and every status it passed through."""
    referral = service.read(session, audit, referral_id)
    response.headers["ETag"] = etag_of(referral.version)
    return service.view(session, ctx, principal, referral)


@router.patch(
    "/{referral_id}",
    response_model=ReferralPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428),
)
def update(
    referral_id: str,
    body: ReferralUpdate,
    response: Response,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.update_referral)],
    if_match: IfMatch = None,
) -> ReferralPublic:
    """Move the referral along the pipeline; send If-Match with the ETag you read.  A
    partner moves only the employer's side: interview_scheduled, interviewed, offered,
    rejected_by_employer."""
    referral = service.get_for(session, principal, referral_id, Action.update_referral)
    require_match(if_match, referral.version)
    referral = service.update(session, audit, referral, body)
    response.headers["ETag"] = etag_of(referral.version)
    return service.view(session, ctx, principal, referral)
