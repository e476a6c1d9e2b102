"""/v1/api-keys (admin)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status

from service.access import Action
from service.api.deps import AuditDep, Authorize, PageDep, Principal, SessionDep
from service.api.errors import NotFound, problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.db import on_commit
from service.models.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic
from service.models.base import as_utc
from service.models.common import Page
from service.models.enums import Role
from service.models.tables import ApiKey
from service.repositories import api_keys as repo
from service.services import api_keys as service

router = APIRouter(
    prefix="/v1/api-keys", tags=["api-keys"], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)


def _public(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "role": key.role,
        "name": key.name,
        "prefix": key.prefix,
        "owner_id": key.owner_id,
        "created_at": as_utc(key.created_at),
        "expires_at": as_utc(key.expires_at) if key.expires_at else None,
        "revoked_at": as_utc(key.revoked_at) if key.revoked_at else None,
        "district_code": key.district_code,
    }


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=problem_responses(*AUTH, 400, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    body: ApiKeyCreate,
    response: Response,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.manage_keys)],
) -> ApiKeyCreated:
    """Issue a key; the secret is in this response only and never shown again."""
    key, secret = service.issue_by(
        session,
        audit,
        role=Role(body.role),
        name=body.name,
        expires_at=body.expires_at,
        replaces=body.replaces,
        district_code=body.district_code,
    )
    response.headers["Location"] = f"{router.prefix}/{key.id}"
    return ApiKeyCreated.model_validate({**_public(key), "key": secret})


@router.get("", response_model=Page[ApiKeyPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, Authorize(Action.manage_keys)],
) -> Page[ApiKeyPublic]:
    rows, cursor = repo.page(session, page)
    return Page(items=[ApiKeyPublic.model_validate(_public(k)) for k in rows], next_cursor=cursor)


@router.delete(
    "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(*AUTH, 404)
)
def revoke(
    key_id: str,
    request: Request,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.manage_keys)],
) -> Response:
    """Revoke a key; it stops working at once."""
    key = repo.get(session, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    service.revoke(session, audit, key)
    # After the commit: a request between the clear and the commit would cache it anew.
    on_commit(session, request.app.state.key_cache.clear)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
