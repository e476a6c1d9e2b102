"""/v1/vacancies"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status

from service.access import Action
from service.api.deps import (
    Authorize,
    IfMatch,
    PageDep,
    Principal,
    SessionDep,
    etag_of,
    require_match,
)
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.models.common import Page
from service.models.enums import EmploymentType, VacancyStatus, WorkMode
from service.models.vacancy import ImportReport, VacancyCreate, VacancyPublic, VacancyUpdate
from service.repositories.vacancies import VacancyFilter
from service.services import vacancies as service

router = APIRouter(
    prefix="/v1/vacancies", tags=["vacancies"], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)
_IMPORT_SCHEMA = {
    "type": "array",
    "maxItems": service.MAX_IMPORT,
    "items": {"$ref": "#/components/schemas/VacancyCreate"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=VacancyPublic,
    responses=problem_responses(*AUTH, 400, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def create(
    body: VacancyCreate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.create_vacancy)],
) -> VacancyPublic:
    vacancy = service.create(session, principal, body)
    response.headers["Location"] = f"{router.prefix}/{vacancy.id}"
    response.headers["ETag"] = etag_of(vacancy.version)
    return service.public(session, vacancy)


@router.post(
    "/import",
    response_model=ImportReport,
    responses=problem_responses(*AUTH, 400, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _IMPORT_SCHEMA}},
        }
    },
)
def import_(
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.import_vacancies)],
    items: Annotated[list[Any], Body(max_length=service.MAX_IMPORT)],
) -> ImportReport:
    """Upsert up to 1,000 vacancies by (key, external_id); each item succeeds or fails
    alone, and the report says which."""
    return service.import_batch(session, principal, items)


@router.get("", response_model=Page[VacancyPublic], responses=problem_responses(*AUTH, 422))
def list_(
    session: SessionDep,
    page: PageDep,
    principal: Annotated[Principal, Authorize(Action.read_vacancy)],
    employer_id: Annotated[str | None, Query(max_length=40)] = None,
    status: VacancyStatus | None = None,
    district_code: Annotated[
        str | None, Query(pattern=r"^[0-9]{2,6}$", description="prefix")
    ] = None,
    occupation_code: Annotated[
        str | None, Query(pattern=r"^[0-9](-[0-9]{2}){0,4}$", description="prefix")
    ] = None,
    work_mode: WorkMode | None = None,
    employment_type: EmploymentType | None = None,
    targeted: bool | None = None,
    public_welfare: bool | None = None,
    external_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[VacancyPublic]:
    flt = VacancyFilter(
        employer_id=employer_id,
        status=status,
        district_code=district_code,
        occupation_code=occupation_code,
        work_mode=work_mode,
        employment_type=employment_type,
        targeted=targeted,
        public_welfare=public_welfare,
        external_id=external_id,
    )
    rows, cursor = service.page(session, flt, page)
    return Page(items=rows, next_cursor=cursor)


@router.get("/{vacancy_id}", response_model=VacancyPublic, responses=problem_responses(*AUTH, 404))
def read(
    vacancy_id: str,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.read_vacancy)],
) -> VacancyPublic:
    vacancy = service.get_for(session, principal, vacancy_id, Action.read_vacancy)
    response.headers["ETag"] = etag_of(vacancy.version)
    return service.public(session, vacancy)


@router.patch(
    "/{vacancy_id}",
    response_model=VacancyPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428),
)
def update(
    vacancy_id: str,
    body: VacancyUpdate,
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.update_vacancy)],
    if_match: IfMatch = None,
) -> VacancyPublic:
    """Change fields; send If-Match with the ETag of the version you read."""
    vacancy = service.get_for(session, principal, vacancy_id, Action.update_vacancy)
    require_match(if_match, vacancy.version)
    vacancy = service.update(session, principal, vacancy, body)
    response.headers["ETag"] = etag_of(vacancy.version)
    return service.public(session, vacancy)


@router.delete(
    "/{vacancy_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*AUTH, 404, 412),
)
def delete(
    vacancy_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.delete_vacancy)],
) -> Response:
    vacancy = service.get_for(session, principal, vacancy_id, Action.delete_vacancy)
    service.delete(session, vacancy)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
