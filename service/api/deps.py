"""Request dependencies: the session, the calling key, authorisation, pagination."""

from __future__ import annotations

import hashlib
import typing
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlmodel import Session

from service.access import Action, Principal, allowed
from service.api.errors import (
    Forbidden,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    field_error,
)
from service.context import Context
from service.db import session_scope
from service.logging import request_id_var
from service.models.enums import AuditAction, Role
from service.ratelimit import retry_after
from service.repositories import changes
from service.repositories.pagination import PageParams, decode_cursor
from service.services import api_keys
from service.services.audit import Audit


def get_session(request: Request) -> Iterator[Session]:
    def notify_index(session: Session) -> None:
        # This process's next match query sees its own writes at once.
        if session.info.get(changes.SESSION_FLAG):
            request.app.state.matcher.index.notify()

    yield from session_scope(request.app.state.engine, after_commit=notify_index)


# scope="function": the commit happens before the response is sent, so a failed commit
# is never reported to the client as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="API key issued by an administrator"
)


def current_key(
    request: Request, session: SessionDep, api_key: Annotated[str | None, Security(_api_key_header)]
) -> Principal:
    if not api_key:
        raise Unauthorized(
            "send an API key in the X-API-Key header", headers={"WWW-Authenticate": "ApiKey"}
        )
    key = api_keys.authenticate(session, api_key, request.app.state.key_cache)
    if key is None:
        raise Unauthorized(
            "the API key is unknown, revoked or expired", headers={"WWW-Authenticate": "ApiKey"}
        )
    request.state.key_id = key.id  # for the access line (the id, never the key)
    _enforce_rate_limit(request, key.id)
    return Principal(
        key_id=key.id,
        role=Role(key.role),
        name=key.name,
        owner_id=key.owner_id,
        district_code=key.district_code,
    )


def _enforce_rate_limit(request: Request, key_id: str) -> None:
    limit = request.app.state.rate_limit
    retry = retry_after(request.app.state.limiter, limit, key_id)
    if retry is not None:
        raise RateLimited(
            f"rate limit {limit} exceeded for this key; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


CurrentKey = Annotated[Principal, Depends(current_key)]


# Refusals of these actions concern a person's data: the attempt goes to the audit log.
_ATTEMPTS = {
    Action.create_seeker: AuditAction.seeker_create,
    Action.read_seeker: AuditAction.seeker_read,
    Action.update_seeker: AuditAction.seeker_update,
    Action.delete_seeker: AuditAction.seeker_erase,
    Action.export_seeker: AuditAction.seeker_export,
    Action.match_seeker: AuditAction.matches_for_seeker,
    Action.record_service: AuditAction.service_create,
    Action.read_services: AuditAction.service_list,
}


def requires(action: Action) -> Callable[..., Principal]:
    """A dependency that admits only roles allowed to perform ``action``."""

    def check(request: Request, principal: CurrentKey, audit: AuditDep) -> Principal:
        if not allowed(principal.role, action):
            if action in _ATTEMPTS:
                _audit_refusal(request, audit, action)
            raise Forbidden(f"role '{principal.role}' may not {action.replace('_', ' ')}")
        return principal

    return check


def _audit_refusal(request: Request, audit: Audit, action: Action) -> None:
    seeker_id = request.path_params.get("seeker_id")
    attempted = _ATTEMPTS[action]
    if action is Action.read_seeker and seeker_id is None:
        attempted = AuditAction.seeker_list
    elif action is Action.match_seeker and "vacancy_id" in request.path_params:
        attempted = AuditAction.matches_pair
    elif action is Action.read_services and "service_id" in request.path_params:
        attempted = AuditAction.service_read
    elif request.url.path.endswith("/status-history"):
        attempted = AuditAction.status_list
    elif request.url.path.endswith("/status"):
        attempted = AuditAction.status_change
    audit.refused(attempted, "seeker", seeker_id, seekers=[seeker_id] if seeker_id else [])


def Authorize(action: Action) -> Any:
    """``principal: Annotated[Principal, Authorize(Action.x)]``: the one access check."""
    return Depends(requires(action))


def page_params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page")
    ] = None,
) -> PageParams:
    after = None
    if cursor is not None:
        after = decode_cursor(cursor)
        if after is None:
            raise ValidationFailed(
                "cursor: not a cursor this service issued",
                errors=[
                    field_error("cursor", "cursor_invalid", "not a cursor this service issued")
                ],
            )
    return PageParams(limit=limit, after=after)


PageDep = Annotated[PageParams, Depends(page_params)]


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def get_audit(session: SessionDep, principal: CurrentKey) -> Audit:
    return Audit(session=session, principal=principal, request_id=request_id_var.get())


# What the calling key does to personal data goes to the audit log, in the request's
# transaction: no entry, no answer.
AuditDep = Annotated[Audit, Depends(get_audit)]


def _declared_query(route: APIRoute) -> dict[str, bool]:
    """The route's query parameters (its dependencies' too): name -> takes a list."""
    cached: dict[str, bool] | None = getattr(route, "_declared_query", None)
    if cached is not None:
        return cached
    names: dict[str, bool] = {}
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        for param in dependant.query_params:
            annotation = param.field_info.annotation
            options = (annotation, *typing.get_args(annotation))
            names[param.alias] = any(typing.get_origin(t) in (list, tuple, set) for t in options)
        pending.extend(dependant.dependencies)
    route._declared_query = names  # type: ignore[attr-defined]
    return names


def check_parameters(request: Request) -> None:
    """A misspelt filter must not silently return everything: unknown query parameters
    are 422; so is a single-valued one given twice (which value would count?), and a NUL
    character in any query or path parameter (no id or filter holds one, and PostgreSQL
    text cannot)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared_query(route)
    given = request.query_params.multi_items()
    counts = Counter(name for name, _ in given)
    problems = [
        field_error(name, "unknown_parameter", "this operation has no such query parameter")
        for name in sorted(counts)
        if name not in declared
    ]
    problems += [
        field_error(name, "repeated_parameter", "give this parameter once")
        for name in sorted(counts)
        if counts[name] > 1 and declared.get(name) is False
    ]
    with_nul = {
        name for name, value in [*given, *request.path_params.items()] if "\x00" in str(value)
    }
    problems += [
        field_error(name, "nul_character", "the value contains a NUL (U+0000) character")
        for name in sorted(with_nul)
    ]
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.message}" for p in problems), errors=problems
        )


def etag_of(version: int) -> str:
    return f'"v{version}"'


def content_etag(body: bytes) -> str:
    """The ETag of a derived resource (no version of its own): a digest of its body."""
    return f'"h{hashlib.sha256(body).hexdigest()[:32]}"'


def json_response(
    result: BaseModel, *, etag: bool = False, headers: dict[str, str] | None = None
) -> Response:
    """Serialise once: the result was built from validated models, so FastAPI's second
    validation against ``response_model`` (which still documents it) is skipped."""
    body = result.model_dump_json().encode()
    out = dict(headers or {})
    if etag:
        out["ETag"] = content_etag(body)
    return Response(body, media_type="application/json", headers=out)


# Answers that carry personal data must not be kept by shared caches.
NO_STORE = {"Cache-Control": "no-store"}


def no_store(response: Response) -> None:
    """For routes returning models; a route returning its own Response sends NO_STORE."""
    response.headers.update(NO_STORE)


IfMatch = Annotated[
    str | None, Header(alias="If-Match", description="the ETag of the version being changed")
]


def require_match(if_match: str | None, version: int) -> None:
    """Optimistic concurrency: a PATCH must name the version it read (RFC 9110 §13.1.1)."""
    if if_match is None or not if_match.strip():  # an empty header names no version
        raise PreconditionRequired(
            "send If-Match with the ETag from your last read, so "
            "that a concurrent change is not overwritten"
        )
    offered = {tag.strip() for tag in if_match.split(",")}
    if "*" not in offered and etag_of(version) not in offered:
        raise PreconditionFailed(
            f"the current version is {etag_of(version)}; read the "
            "record again and reapply your change"
        )
