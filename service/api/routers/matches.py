"""Matches: vacancies for a seeker, candidates for a vacancy, the verdict for one pair."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from service.access import Action
from service.api.deps import Authorize, Principal, SessionDep
from service.api.errors import problem_responses
from service.models.match import PairVerdict, SeekerMatches, VacancyCandidates
from service.services import matching as service

router = APIRouter(tags=["matches"])
AUTH = (401, 403, 429)
Limit = Annotated[int, Query(ge=1, le=200, description="how many to return")]


def _matcher(request: Request) -> service.Matcher:
    matcher: service.Matcher = request.app.state.matcher
    return matcher


def _json(result: BaseModel) -> Response:
    """Serialise once: the result was built from validated models, so FastAPI's second
    validation against ``response_model`` (which still documents it) is skipped."""
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/v1/seekers/{seeker_id}/matches", response_model=SeekerMatches,
            responses=problem_responses(*AUTH, 404, 422))
def for_seeker(seeker_id: str, request: Request,
               principal: Annotated[Principal, Authorize(Action.read_matches)],
               limit: Limit = 20) -> Response:
    """Open vacancies the seeker can do with the accommodations on offer, best first."""
    return _json(service.matches_for_seeker(_matcher(request), seeker_id, limit))


@router.get("/v1/vacancies/{vacancy_id}/matches", response_model=VacancyCandidates,
            responses=problem_responses(*AUTH, 404, 422))
def for_vacancy(vacancy_id: str, request: Request,
                principal: Annotated[Principal, Authorize(Action.read_matches)],
                limit: Limit = 20) -> Response:
    """Eligible candidates, best first, with the FA*IR guarantee for priority groups."""
    return _json(service.candidates_for_vacancy(_matcher(request), vacancy_id, limit))


@router.get("/v1/seekers/{seeker_id}/matches/{vacancy_id}", response_model=PairVerdict,
            responses=problem_responses(*AUTH, 404))
def pair(seeker_id: str, vacancy_id: str, request: Request, session: SessionDep,
         principal: Annotated[Principal, Authorize(Action.read_matches)]) -> Response:
    """Why a pair is, or is not, a match: every blocking constraint, or score and reasons."""
    return _json(service.pair_verdict(session, _matcher(request), seeker_id, vacancy_id))
