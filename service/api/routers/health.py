"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.api.errors import ServiceUnavailable, problem_responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    model_version: str
    index: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Liveness: the process answers; no database is touched."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
def readyz(request: Request) -> Readiness:
    """Readiness: the database answers, the scorer is loaded and the match index built."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ServiceUnavailable("the database is unreachable") from exc
    matcher = request.app.state.matcher
    if not matcher.index.ready:
        raise ServiceUnavailable("the match index is still being built")
    return Readiness(status="ready", database="ok", model_version=matcher.scorer.version,
                     index="ready")


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics: request counts and latencies by route template."""
    return PlainTextResponse(generate_latest(request.app.state.metrics.registry),
                             media_type=CONTENT_TYPE_LATEST)
