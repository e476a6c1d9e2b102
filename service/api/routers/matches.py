"""Matches: vacancies for a seeker, candidates for a vacancy, the verdict for one pair."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service.access import Action
from service.api.deps import (
    NO_STORE,
    AuditDep,
    Authorize,
    ContextDep,
    Principal,
    SessionDep,
    json_response,
)
from service.api.errors import problem_responses
from service.models.match import PairVerdict, SeekerMatches, VacancyCandidates
from service.services import candidates
from service.services import matching as service

router = APIRouter(tags=["matches"], responses=problem_responses(503))  # database unavailable
AUTH = (401, 403, 429)
Limit = Annotated[int, Query(ge=1, le=200, description="how many to return")]


def _matcher(request: Request) -> service.Matcher:
    # Read once per request: a model switch meanwhile does not mix two models in one answer.
    matcher: service.Matcher = request.app.state.matcher.current()
    return matcher


@router.get(
    "/v1/seekers/{seeker_id}/matches",
    response_model=SeekerMatches,
    responses=problem_responses(*AUTH, 404, 422),
)
def for_seeker(
    seeker_id: str,
    request: Request,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.match_seeker)],
    limit: Limit = 20,
) -> Response:
    """Open vacancies the seeker can do with the accommodations on offer, best first."""
    return json_response(
        service.matches_for_seeker(session, _matcher(request), audit, seeker_id, limit),
        headers=NO_STORE,
    )


@router.get(
    "/v1/vacancies/{vacancy_id}/matches",
    response_model=VacancyCandidates,
    responses=problem_responses(*AUTH, 404, 422),
)
def for_vacancy(
    vacancy_id: str,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.match_vacancy)],
    limit: Limit = 20,
) -> Response:
    """Eligible candidates, best first, with the FA*IR guarantee for priority groups.
    Partner keys see pseudonyms, and only seekers who agreed to share with employers."""
    return json_response(
        candidates.candidates_for_vacancy(
            session, _matcher(request), ctx, audit, vacancy_id, limit
        ),
        headers=NO_STORE,
    )


@router.get(
    "/v1/seekers/{seeker_id}/matches/{vacancy_id}",
    response_model=PairVerdict,
    responses=problem_responses(*AUTH, 404),
)
def pair(
    seeker_id: str,
    vacancy_id: str,
    request: Request,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.match_seeker)],
) -> Response:
    """Why a pair is, or is not, a match: every blocking constraint, or score and reasons."""
    return json_response(
        service.pair_verdict(session, _matcher(request), audit, seeker_id, vacancy_id),
        etag=True,
        headers=NO_STORE,
    )
