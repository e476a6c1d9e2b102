"""Liveness, readiness and metrics."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine

from service.api.errors import ServiceUnavailable, problem_responses
from service.api.middleware import RETRY_AFTER_SECONDS

router = APIRouter(tags=["health"])
PROBE_DEADLINE_SECONDS = 0.8
_probe_lock = threading.Lock()


class DatabaseProbe:
    """``SELECT 1`` in a thread of its own, awaited at most ``deadline`` seconds: a database
    that never answers makes /readyz say 503 at once, and while one probe hangs no second
    one starts (so a load balancer's polling piles up no threads or connections)."""

    def __init__(self, engine: Engine, deadline: float = PROBE_DEADLINE_SECONDS) -> None:
        self._engine = engine
        self._deadline = deadline
        self._lock = threading.Lock()
        self._running: Future[None] | None = None
        self._started = 0.0

    def answers(self) -> bool:
        with self._lock:
            if self._running is None or self._running.done():
                self._running, self._started = Future(), time.monotonic()
                threading.Thread(
                    target=self._run, args=(self._running,), daemon=True, name="readiness-probe"
                ).start()
            running, started = self._running, self._started
        remaining = started + self._deadline - time.monotonic()
        if remaining <= 0:  # the one in flight hangs
            return False
        try:
            running.result(timeout=remaining)
        except Exception:  # unreachable, refused, or no answer in time
            return False
        return True

    def _run(self, future: Future[None]) -> None:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(None)


def _probe(state: Any) -> DatabaseProbe:
    with _probe_lock:
        probe: DatabaseProbe | None = getattr(state, "database_probe", None)
        if probe is None:
            probe = state.database_probe = DatabaseProbe(state.engine)
        return probe


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
    """Readiness: the database answers within a second, the bootstrap admin key is stored,
    the model registry read (its active scorer loaded) and the match index built."""
    if not _probe(request.app.state).answers():
        raise ServiceUnavailable(
            "the database is unreachable or not answering",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if getattr(request.app.state, "admin_key_pending", False):
        raise ServiceUnavailable("the bootstrap admin key is not stored yet")
    if not request.app.state.model_watcher.synced:
        raise ServiceUnavailable("the model registry has not been read yet")
    matcher = request.app.state.matcher
    if not matcher.index.ready:
        raise ServiceUnavailable("the match index is still being built")
    return Readiness(
        status="ready", database="ok", model_version=matcher.scorer.version, index="ready"
    )


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics: request counts and latencies by route template."""
    return PlainTextResponse(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
