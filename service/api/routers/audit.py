"""/v1/audit (admin): who did what to whose personal data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from service.access import Action
from service.api.deps import Authorize, PageDep, Principal, SessionDep, no_store
from service.api.errors import ValidationFailed, field_error, problem_responses
from service.models.audit import AuditEventPublic
from service.models.common import Page, to_utc
from service.models.enums import AuditAction, AuditOutcome
from service.repositories.audit import AuditFilter
from service.services import audit as service

router = APIRouter(
    prefix="/v1/audit",
    tags=["audit"],
    dependencies=[Depends(no_store)],
    responses=problem_responses(503),
)  # database unavailable
AUTH = (401, 403, 429)
Id = Annotated[str | None, Query(min_length=1, max_length=40)]
_NUMBER = re.compile(r"\s*[+-]?[0-9]+(\.[0-9]*)?\s*")


def _iso_text(value: Any) -> Any:
    # pydantic would read a bare number as Unix time; the contract says ISO 8601.
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format", "an ISO 8601 date-time with a time zone, e.g. 2026-12-01T08:00:00Z"
        )
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(to_utc)]
InstantQuery = Annotated[Instant | None, Query(description="ISO 8601 with a time zone")]


@router.get("", response_model=Page[AuditEventPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, Authorize(Action.read_audit)],
    seeker_id: Id = None,
    key_id: Id = None,
    action: AuditAction | None = None,
    outcome: AuditOutcome | None = None,
    since: InstantQuery = None,
    until: InstantQuery = None,
) -> Page[AuditEventPublic]:
    """Audit entries, oldest first: every create, read, list, update, erasure and export
    of a seeker record, every match list (with each seeker shown), key issue and
    revocation, model activation, and every change to a plan target.  ``since`` is
    inclusive, ``until`` exclusive."""
    if since and until and since > until:
        raise ValidationFailed(
            "until: lies before since",
            errors=[field_error("until", "range_reversed", "until must not lie before since")],
        )
    flt = AuditFilter(
        seeker_id=seeker_id, key_id=key_id, action=action, outcome=outcome, since=since, until=until
    )
    items, cursor = service.page(session, flt, page)
    return Page(items=items, next_cursor=cursor)
