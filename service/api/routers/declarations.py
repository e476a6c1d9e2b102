"""/v1/employers/{employer_id}/declarations: an employer's yearly staff declarations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from service.access import Action
from service.api.deps import (
    Authorize,
    IfMatch,
    Principal,
    SessionDep,
    etag_of,
    require_match,
)
from service.api.errors import problem_responses
from service.errors import PreconditionFailed
from service.models.declaration import StaffDeclarationCreate, StaffDeclarationPublic
from service.services import declarations as service
from service.services import employers

router = APIRouter(
    prefix="/v1/employers", tags=["employers"], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)
Year = Annotated[
    int, Path(ge=2000, le=2100, description="the calendar year declared (2000 to this year)")
]


@router.put(
    "/{employer_id}/declarations/{year}",
    response_model=StaffDeclarationPublic,
    responses={
        201: {"model": StaffDeclarationPublic, "description": "the year's first declaration"},
        **problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428),
    },
)
def put_declaration(
    employer_id: str,
    year: Year,
    body: StaffDeclarationCreate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.update_employer)],
    if_match: IfMatch = None,
) -> StaffDeclarationPublic:
    """Declare (201) or replace (200) the staff figures of one year; replacing needs
    If-Match with the ETag of the declaration you read.  This year's declaration is also
    the employer's own current figures."""
    employer = employers.get_for(session, principal, employer_id, Action.update_employer)
    existing = service.find(session, employer, year)
    if existing is not None:
        require_match(if_match, existing.version)
    elif if_match is not None and if_match.strip():  # "*" too: there is nothing to match
        raise PreconditionFailed(
            f"there is no {year} declaration yet: send the first one without If-Match"
        )
    declaration, created = service.declare(session, employer, year, body, principal.key_id)
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"{router.prefix}/{employer_id}/declarations/{year}"
    response.headers["ETag"] = etag_of(declaration.version)
    return service.to_public(declaration)


@router.get(
    "/{employer_id}/declarations/{year}",
    response_model=StaffDeclarationPublic,
    responses=problem_responses(*AUTH, 404, 422),
)
def read_declaration(
    employer_id: str,
    year: Year,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.read_employer)],
) -> StaffDeclarationPublic:
    """One year's declaration; the ETag names its version."""
    employer = employers.get_for(session, principal, employer_id, Action.read_employer)
    declaration = service.get(session, employer, year)
    response.headers["ETag"] = etag_of(declaration.version)
    return service.to_public(declaration)


@router.get(
    "/{employer_id}/declarations",
    response_model=list[StaffDeclarationPublic],
    responses=problem_responses(*AUTH, 404),
)
def list_declarations(
    employer_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.read_employer)],
) -> list[StaffDeclarationPublic]:
    """Every year's declaration, oldest first."""
    employer = employers.get_for(session, principal, employer_id, Action.read_employer)
    return [service.to_public(d) for d in service.list_for(session, employer)]
