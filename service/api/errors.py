"""Problem details (RFC 9457): the error classes and the one place that renders them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from service.api.middleware import (
    DATABASE_UNAVAILABLE,
    PROBLEM_JSON,
    RETRY_AFTER_SECONDS,
    TYPE_BASE,
)
from service.db import is_database_unavailable
from service.errors import (  # noqa: F401 - re-exported for the routers
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    field_error,
    raise_if_errors,
)
from service.logging import request_id_var
from service.models.common import FieldProblem, Problem


def problem_response(
    request: Request,
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_var.get(),
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _dotted(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def _validation_problems(exc: RequestValidationError) -> list[FieldProblem]:
    return [
        FieldProblem(
            # A JSON syntax error's location is a character offset, not a field.
            field="body" if e.get("type") == "json_invalid" else _dotted(e.get("loc", ())),
            code=str(e.get("type", "invalid")),
            message=str(e.get("msg", "invalid value")),
        )
        for e in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # Another request changed or removed the record between this one's read and
        # write (the UPDATE/DELETE named a version that is gone).
        return problem_response(
            request,
            412,
            slug=PreconditionFailed.slug,
            title=PreconditionFailed.title,
            detail="the record was changed or removed by another request meanwhile; read it again",
        )

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not is_database_unavailable(exc):
            raise exc  # a fault of the code: the catch-all logs it and answers 500
        logging.getLogger("accessmatch.errors").warning(
            "database unavailable", extra={"error": type(exc).__name__}
        )
        return problem_response(
            request,
            503,
            slug=ServiceUnavailable.slug,
            title=ServiceUnavailable.title,
            detail=DATABASE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for kind in _DATABASE_ERRORS:
        app.add_exception_handler(kind, _database)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = _validation_problems(exc)
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
        return problem_response(
            request,
            422,
            slug=ValidationFailed.slug,
            title=ValidationFailed.title,
            detail=detail,
            errors=problems,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase
        slug = phrase.lower().replace(" ", "-").replace("'", "")
        detail = exc.detail if isinstance(exc.detail, str) else phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route on the path.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(
            request, exc.status_code, slug=slug, title=phrase, detail=detail, headers=headers
        )


# What the database raises when it is down, unreachable or too slow (and then more).
_DATABASE_ERRORS = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this request's path (for ``Allow``): each is
    tried against the routes, which may be nested in included routers."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    ]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route for these error statuses."""
    return {
        s: {
            "model": Problem,
            "description": HTTPStatus(s).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
