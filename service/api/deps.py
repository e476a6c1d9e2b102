"""Request dependencies: the session, the calling key, authorisation, pagination."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from limits import RateLimitItem
from limits.strategies import RateLimiter
from sqlmodel import Session

from service.access import OWNER_SCOPED, Action, allowed
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
from service.models.enums import Role
from service.repositories import changes
from service.repositories.pagination import PageParams, decode_cursor
from service.services import api_keys


def get_session(request: Request) -> Iterator[Session]:
    def notify_index(session: Session) -> None:
        # This process's next match query sees its own writes at once.
        if session.info.get(changes.SESSION_FLAG):
            request.app.state.matcher.index.notify()

    yield from session_scope(request.app.state.engine, after_commit=notify_index)


# scope="function": the commit happens before the response is sent, so a failed commit
# is never reported to the client as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="API key issued by an administrator")


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    name: str

    @property
    def owner_scoped(self) -> bool:
        return self.role in OWNER_SCOPED


def current_key(request: Request, session: SessionDep,
                api_key: Annotated[str | None, Security(_api_key_header)]) -> Principal:
    if not api_key:
        raise Unauthorized("send an API key in the X-API-Key header",
                           headers={"WWW-Authenticate": "ApiKey"})
    key = api_keys.authenticate(session, api_key, request.app.state.key_cache)
    if key is None:
        raise Unauthorized("the API key is unknown, revoked or expired",
                           headers={"WWW-Authenticate": "ApiKey"})
    _enforce_rate_limit(request, key.id)
    return Principal(key_id=key.id, role=Role(key.role), name=key.name)


def _enforce_rate_limit(request: Request, key_id: str) -> None:
    limiter: RateLimiter = request.app.state.limiter
    limit: RateLimitItem = request.app.state.rate_limit
    if not limiter.hit(limit, key_id):
        reset_at, _ = limiter.get_window_stats(limit, key_id)
        retry = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(f"rate limit {limit} exceeded for this key; retry in {retry} s",
                          headers={"Retry-After": str(retry)})


CurrentKey = Annotated[Principal, Depends(current_key)]


def requires(action: Action) -> Callable[[Principal], Principal]:
    """A dependency that admits only roles allowed to perform ``action``."""

    def check(principal: CurrentKey) -> Principal:
        if not allowed(principal.role, action):
            raise Forbidden(f"role '{principal.role}' may not {action.replace('_', ' ')}")
        return principal

    return check


def Authorize(action: Action) -> Any:
    """``principal: Annotated[Principal, Authorize(Action.x)]``: the one access check."""
    return Depends(requires(action))


def page_params(limit: Annotated[int, Query(ge=1, le=200)] = 50,
                cursor: Annotated[str | None, Query(max_length=200,
                                                    description="next_cursor of the previous "
                                                                "page")] = None) -> PageParams:
    after = None
    if cursor is not None:
        after = decode_cursor(cursor)
        if after is None:
            raise ValidationFailed("cursor: not a cursor this service issued",
                                   errors=[field_error("cursor", "cursor_invalid",
                                                       "not a cursor this service issued")])
    return PageParams(limit=limit, after=after)


PageDep = Annotated[PageParams, Depends(page_params)]


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]


def ensure_owner(principal: Principal, owner_key_id: str, what: str) -> None:
    """Owner-scoped roles may read others' records but change only their own."""
    if principal.owner_scoped and owner_key_id != principal.key_id:
        raise Forbidden(f"this {what} was registered by another key; it is read-only to you")


def _declared_query(route: APIRoute) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(route, "_declared_query", None)
    if cached is not None:
        return cached
    names: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        names.update(p.alias for p in dependant.query_params)
        pending.extend(dependant.dependencies)
    route._declared_query = frozenset(names)  # type: ignore[attr-defined]
    return route._declared_query  # type: ignore[attr-defined,no-any-return]


def reject_unknown_query(request: Request) -> None:
    """A misspelt filter must not silently return everything: unknown parameters are 422."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared_query(route)
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        raise ValidationFailed(
            f"unknown query parameter(s): {', '.join(unknown)}",
            errors=[field_error(name, "unknown_parameter",
                                "this operation has no such query parameter")
                    for name in unknown])


def etag_of(version: int) -> str:
    return f'"v{version}"'


IfMatch = Annotated[str | None, Header(alias="If-Match",
                                       description="the ETag of the version being changed")]


def require_match(if_match: str | None, version: int) -> None:
    """Optimistic concurrency: a PATCH must name the version it read (RFC 9110 §13.1.1)."""
    if if_match is None:
        raise PreconditionRequired("send If-Match with the ETag from your last read, so "
                                   "that a concurrent change is not overwritten")
    offered = {tag.strip() for tag in if_match.split(",")}
    if "*" not in offered and etag_of(version) not in offered:
        raise PreconditionFailed(f"the current version is {etag_of(version)}; read the "
                                 "record again and reapply your change")
