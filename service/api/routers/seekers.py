"""/v1/seekers"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from service.access import Action
from service.api.deps import (
    Authorize,
    ContextDep,
    IfMatch,
    PageDep,
    Principal,
    SessionDep,
    etag_of,
    require_match,
)
from service.api.errors import problem_responses
from service.models.common import Page
from service.models.enums import Category, PriorityGroup, SeekerStatus
from service.models.seeker import SeekerCreate, SeekerPublic, SeekerUpdate
from service.repositories.seekers import SeekerFilter
from service.services import seekers as service

router = APIRouter(prefix="/v1/seekers", tags=["seekers"])
AUTH = (401, 403, 429)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SeekerPublic,
             responses=problem_responses(*AUTH, 400, 409, 413, 422))
def create(body: SeekerCreate, response: Response, session: SessionDep, ctx: ContextDep,
           principal: Annotated[Principal, Authorize(Action.create_seeker)]) -> SeekerPublic:
    """Register a job seeker with their certificate and (optionally) an assessment."""
    seeker = service.create(session, ctx, principal.key_id, body)
    response.headers["Location"] = f"{router.prefix}/{seeker.id}"
    response.headers["ETag"] = etag_of(seeker.version)
    return service.to_public(seeker, ctx)


@router.get("", response_model=Page[SeekerPublic], responses=problem_responses(*AUTH, 422))
def list_(session: SessionDep, ctx: ContextDep, page: PageDep,
          principal: Annotated[Principal, Authorize(Action.read_seeker)],
          district_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$",
                                                     description="prefix")] = None,
          category: Category | None = None, priority_group: PriorityGroup | None = None,
          status: SeekerStatus | None = None) -> Page[SeekerPublic]:
    flt = SeekerFilter(district_code=district_code, category=category,
                       priority_group=priority_group, status=status)
    rows, cursor = service.page(session, ctx, flt, page)
    return Page(items=[service.to_public(s, ctx) for s in rows], next_cursor=cursor)


@router.get("/{seeker_id}", response_model=SeekerPublic,
            responses=problem_responses(*AUTH, 404))
def read(seeker_id: str, response: Response, session: SessionDep, ctx: ContextDep,
         principal: Annotated[Principal, Authorize(Action.read_seeker)]) -> SeekerPublic:
    seeker = service.get(session, seeker_id)
    response.headers["ETag"] = etag_of(seeker.version)
    return service.to_public(seeker, ctx)


@router.patch("/{seeker_id}", response_model=SeekerPublic,
              responses=problem_responses(*AUTH, 400, 404, 409, 412, 413, 422, 428))
def update(seeker_id: str, body: SeekerUpdate, response: Response, session: SessionDep,
           ctx: ContextDep,
           principal: Annotated[Principal, Authorize(Action.update_seeker)],
           if_match: IfMatch = None) -> SeekerPublic:
    """Change fields; send If-Match with the ETag of the version you read."""
    seeker = service.get(session, seeker_id)
    require_match(if_match, seeker.version)
    seeker = service.update(session, ctx, principal.key_id, seeker, body)
    response.headers["ETag"] = etag_of(seeker.version)
    return service.to_public(seeker, ctx)


@router.delete("/{seeker_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(*AUTH, 404))
def delete(seeker_id: str, session: SessionDep,
           principal: Annotated[Principal, Authorize(Action.delete_seeker)]) -> Response:
    """Erase the seeker's record."""
    service.delete(session, service.get(session, seeker_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
