"""/v1/models: the model registry (admin and analyst read; admin activates)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response, status

from service.access import Action
from service.api.deps import AuditDep, Authorize, Principal, SessionDep, json_response
from service.api.errors import problem_responses
from service.api.idempotency import IdempotencyKeyHeader
from service.db import on_commit
from service.models.model_registry import (
    ActivationPublic,
    ModelActivate,
    ModelDetail,
    ModelList,
)
from service.services import models as service

router = APIRouter(
    prefix="/v1/models", tags=["models"], responses=problem_responses(503)
)  # database unavailable
AUTH = (401, 403, 429)
Version = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="a model version, e.g. 1.0+sim20261123.2425f96aa091",
    ),
]


@router.get("", response_model=ModelList, responses=problem_responses(*AUTH))
def list_(
    session: SessionDep, principal: Annotated[Principal, Authorize(Action.read_models)]
) -> ModelList:
    """Every registered version, newest first: source, training window, hold-out NDCG@10
    and gate, whether it is active, its activations; and the whole activation history."""
    return service.listing(session)


@router.get("/{version}", response_model=ModelDetail, responses=problem_responses(*AUTH, 404, 422))
def read(
    version: Version,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Authorize(Action.read_models)],
) -> Response:
    """One version: its metrics as recorded at training, its artifact, and monitoring on
    the outcomes recorded since its activation (calibration and NDCG@10, with counts;
    null while too few).  The ETag is a digest of the answer."""
    detail = service.detail(session, version)
    if detail.active and request.app.state.matcher.scorer.version == version:
        request.app.state.metrics.show_model(version, detail.monitoring)
    return json_response(detail, etag=True)


@router.post(
    "/{version}/activate",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivationPublic,
    responses=problem_responses(*AUTH, 400, 404, 409, 413, 422),
    dependencies=[IdempotencyKeyHeader],
)
def activate(
    version: Version,
    request: Request,
    response: Response,
    session: SessionDep,
    audit: AuditDep,
    principal: Annotated[Principal, Authorize(Action.activate_model)],
    body: Annotated[ModelActivate | None, Body()] = None,
) -> ActivationPublic:
    """Make ``version`` the one every process serves (within seconds, no restart).  A
    candidate is promoted only if its recorded gate passed against the model active now
    (409 names why not); a version active before comes back as a rollback; the active one
    is 409."""
    activation = service.activate(session, audit, version, body.reason if body else None)
    on_commit(session, request.app.state.model_watcher.wake)
    response.headers["Location"] = f"{router.prefix}/{version}"
    return service.activation_public(activation)
