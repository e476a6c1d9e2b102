"""The service's errors, free of any web framework: each carries its HTTP status and
problem type, so services raise them and the API's one handler renders them (RFC 9457)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from service.models.common import FieldProblem


class ApiError(Exception):
    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}


class BadRequest(ApiError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ApiError):
    status, slug, title = 401, "unauthorized", "Missing or unknown API key"


class Forbidden(ApiError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class NotFound(ApiError):
    status, slug, title = 404, "not-found", "Not found"


class NotAcceptable(ApiError):
    status, slug, title = 406, "not-acceptable", "No acceptable representation"


class Conflict(ApiError):
    status, slug, title = 409, "conflict", "Conflict"


class ValidationFailed(ApiError):
    status, slug, title = 422, "validation", "Invalid request"


class PreconditionFailed(ApiError):
    status, slug, title = 412, "precondition-failed", "The record changed since you read it"


class PreconditionRequired(ApiError):
    status, slug, title = 428, "precondition-required", "If-Match is required"


class RateLimited(ApiError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(ApiError):
    status, slug, title = 503, "unavailable", "Service unavailable"


def field_error(field: str, code: str, message: str) -> FieldProblem:
    return FieldProblem(field=field, code=code, message=message)


def raise_if_errors(problems: Iterable[FieldProblem]) -> None:
    found = list(problems)
    if found:
        raise ValidationFailed("; ".join(f"{p.field}: {p.message}" for p in found), errors=found)
