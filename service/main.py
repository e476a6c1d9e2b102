"""The ASGI application: ``service.main:app``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from limits import parse as parse_rate_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.api.deps import check_parameters
from service.api.errors import install_error_handlers, problem_responses
from service.api.idempotency import IdempotencyMiddleware
from service.api.json_body import StrictJsonBody
from service.api.middleware import Metrics, RequestContextMiddleware
from service.api.ratelimit import Budget
from service.api.routers import (
    api_keys,
    audit,
    employers,
    health,
    matches,
    seekers,
    vacancies,
)
from service.config import Settings, get_settings
from service.context import Context
from service.db import make_engine
from service.logging import configure_logging
from service.matching.index import MatchIndex
from service.matching.policy import load_policy
from service.matching.scorer import load_bundle
from service.models.crypto import Cipher
from service.models.enums import Role
from service.rules import load_rules
from service.services import api_keys as key_service
from service.services.matching import Matcher

log = logging.getLogger("accessmatch")

DESCRIPTION = """Job matching for people with disabilities in China: register seekers (with
their disability certificate and a functional ability assessment), employers and vacancies;
rank matches that never send a person to a job they cannot do with the accommodations on
offer. Authenticate with the `X-API-Key` header. Errors are RFC 9457 problem details."""


def operation_id(route: APIRoute) -> str:
    """Stable operationIds of the form ``tag-name`` (e.g. ``seekers-create``)."""
    name = route.name.rstrip("_").replace("_", "-")
    return f"{route.tags[0]}-{name}" if route.tags else name


def _build_index(matcher: Matcher) -> None:
    try:
        matcher.index.snapshot()
    except Exception:  # the database may be down; /readyz says so, queries retry
        log.warning("match index not built at start-up", exc_info=True)


def _errors_as_problem_json(app: FastAPI) -> None:
    """Every error answers problem+json and is declared so (only so); FastAPI's default
    ``HTTPValidationError`` (which a generated client would parse the real answer as, and
    crash) is replaced in the document wherever FastAPI put it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        declared = problem_responses(422)[422]
        content = declared["content"]
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if int(status) < 400:
                        continue
                    # problem+json only: a second application/json entry (from the
                    # declared model) would let a client expect another body.
                    response["content"] = content
                    if response.get("description") == "Validation Error":
                        response["description"] = declared["description"]
        schemas = spec.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.admin_key is not None:
            with Session(engine) as session:
                try:
                    key_service.ensure(session, settings.admin_key.get_secret_value(),
                                       role=Role.admin, name="bootstrap admin")
                    session.commit()
                except IntegrityError:  # another worker created it at the same moment
                    session.rollback()
        # The index is built off the event loop; /readyz says 503 until it is there.
        builder = threading.Thread(target=_build_index, args=(app.state.matcher,),
                                   name="index-build", daemon=True)
        builder.start()
        log.info("accessmatch started", extra={"demo": settings.demo,
                                               "model_version": scorer.version})
        yield
        builder.join(timeout=30)
        engine.dispose()

    app = FastAPI(title="AccessMatch", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan, generate_unique_id_function=operation_id,
                  dependencies=[Depends(check_parameters)])
    app.state.settings = settings
    app.state.engine = engine
    rules = load_rules(settings.rules_file)
    app.state.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
    app.state.rate_limit = parse_rate_limit(settings.rate_limit)
    probes = Budget(app.state.limiter, parse_rate_limit(settings.registration_conflict_limit),
                    "registration-conflict")
    app.state.context = Context(cipher=Cipher(settings.secret, settings.old_secrets),
                                rules=rules, registration_probes=probes)
    # A missing or corrupt scorer stops start-up here (ScorerError), never a silent fallback.
    scorer = load_bundle(settings.scorer_dir)
    app.state.matcher = Matcher(
        index=MatchIndex(engine, scorer.encode_text, rules, settings.index_poll_seconds),
        scorer=scorer, policy=load_policy(settings.matching_policy_file), rules=rules)
    app.state.metrics = Metrics()
    app.state.key_cache = key_service.KeyCache(settings.key_cache_seconds)
    install_error_handlers(app)
    for router in (health.router, api_keys.router, audit.router, matches.router,
                   seekers.router, employers.router, vacancies.router):
        app.include_router(router)
    _errors_as_problem_json(app)
    app.add_middleware(IdempotencyMiddleware, engine=engine,
                       ttl_seconds=settings.idempotency_ttl_seconds,
                       cipher=app.state.context.cipher, key_cache=app.state.key_cache,
                       limiter=app.state.limiter, rate_limit=app.state.rate_limit)
    app.add_middleware(StrictJsonBody)  # inside the size limit, before idempotency
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics,
                       max_body_bytes=settings.max_body_bytes)
    return app


@lru_cache(maxsize=1)
def _app_from_environment() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)


def __getattr__(name: str) -> FastAPI:
    # ``app`` is built on first use, so importing this module (tests, tools) needs no
    # environment; ``uvicorn service.main:app`` builds it from the environment.
    if name == "app":
        return _app_from_environment()
    raise AttributeError(name)
