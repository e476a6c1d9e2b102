"""/v1/stats/targets: the plans' targets as data, and their progress.

Progress figures that count people are suppressed below the threshold, like the tables."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from service.access import Action
from service.api.deps import (
    AuditDep,
    Authorize,
    IfMatch,
    Principal,
    SessionDep,
    etag_of,
    require_match,
)
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.api.stats_params import AsOf, District, StatsContextDep
from service.models.targets import (
    PlanTargetCreate,
    PlanTargetPublic,
    PlanTargetUpdate,
    TargetProgress,
)
from service.services import targets as service

router = APIRouter(
    prefix="/v1/stats/targets", tags=["stats"], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)

Reader = Annotated[Principal, Authorize(Action.read_stats)]
Manager = Annotated[Principal, Authorize(Action.manage_targets)]


@router.get("", response_model=list[TargetProgress], responses=problem_responses(*AUTH, 422))
def list_targets(
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    plan: Annotated[str | None, Query(max_length=60)] = None,
    district: District = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="only targets whose span includes it")
    ] = None,
    as_of: AsOf = None,
) -> list[TargetProgress]:
    """Every target within the key's jurisdiction, with its progress as of a day (today
    unless asked)."""
    return service.list_progress(
        session, ctx, principal, plan=plan, district=district, year=year, as_of=as_of
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanTargetPublic,
    responses=problem_responses(*AUTH, 400, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create_target(
    body: PlanTargetCreate,
    response: Response,
    session: SessionDep,
    principal: Manager,
    audit: AuditDep,
) -> PlanTargetPublic:
    """A new target (recorded in the audit log)."""
    target = service.create(session, audit, body)
    response.headers["Location"] = f"{router.prefix}/{target.id}"
    response.headers["ETag"] = etag_of(target.version)
    return service.to_public(target)


@router.get(
    "/{target_id}", response_model=TargetProgress, responses=problem_responses(*AUTH, 404, 422)
)
def read_target(
    target_id: str,
    response: Response,
    session: SessionDep,
    ctx: StatsContextDep,
    principal: Reader,
    as_of: AsOf = None,
) -> TargetProgress:
    """The target and its progress as of a day (today unless asked); the ETag names the
    target's version."""
    target = service.get_for(session, principal, target_id)
    response.headers["ETag"] = etag_of(target.version)
    response.headers["Cache-Control"] = "no-cache"  # the figures change with the records
    return service.progress_as_of(session, ctx, target, as_of=as_of)


@router.patch(
    "/{target_id}",
    response_model=PlanTargetPublic,
    responses=problem_responses(*AUTH, 400, 404, 412, 413, 422, 428),
)
def update_target(
    target_id: str,
    body: PlanTargetUpdate,
    response: Response,
    session: SessionDep,
    principal: Manager,
    audit: AuditDep,
    if_match: IfMatch = None,
) -> PlanTargetPublic:
    """Change fields; send If-Match with the ETag of the version you read (recorded in
    the audit log with the fields changed)."""
    target = service.get(session, target_id)
    require_match(if_match, target.version)
    target = service.update(session, audit, target, body)
    response.headers["ETag"] = etag_of(target.version)
    return service.to_public(target)


@router.delete(
    "/{target_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(*AUTH, 404)
)
def delete_target(
    target_id: str, session: SessionDep, principal: Manager, audit: AuditDep
) -> Response:
    """Remove a target (recorded in the audit log)."""
    service.delete(session, audit, service.get(session, target_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
