"""The ASGI application: ``service.main:app``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from limits import parse as parse_rate_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service import clock, generation
from service.api.deps import check_parameters
from service.api.errors import install_error_handlers
from service.api.idempotency import IdempotencyMiddleware
from service.api.json_body import StrictJsonBody
from service.api.middleware import Metrics, RequestContextMiddleware
from service.api.openapi_doc import customise_openapi
from service.api.routers import (
    api_keys,
    audit,
    declarations,
    employers,
    health,
    matches,
    models,
    placements,
    referrals,
    seekers,
    service_records,
    stats,
    stats_quota,
    stats_targets,
    vacancies,
)
from service.config import Settings, get_settings
from service.context import Context
from service.db import is_database_unavailable, make_engine
from service.logging import configure_logging
from service.matching.arrays import TextEncoder
from service.matching.index import MatchIndex
from service.matching.location import location_key
from service.matching.policy import load_policy
from service.matching.scorer import load_bundle
from service.models.crypto import Cipher
from service.models.enums import Role
from service.ratelimit import Budget
from service.rules import load_rules
from service.services import api_keys as key_service
from service.services.matching import LiveMatcher, Matcher
from service.services.model_watch import ModelWatcher

log = logging.getLogger("accessmatch")

DESCRIPTION = """Job matching for people with disabilities in China: register seekers (with
their disability certificate and a functional ability assessment), employers and vacancies;
rank matches that never send a person to a job they cannot do with the accommodations on
offer. Authenticate with the `X-API-Key` header. Errors are RFC 9457 problem details."""


def operation_id(route: APIRoute) -> str:
    """Stable operationIds of the form ``tag-name`` (e.g. ``seekers-create``)."""
    name = route.name.rstrip("_").replace("_", "-")
    return f"{route.tags[0]}-{name}" if route.tags else name


_RETRY_FIRST_SECONDS = 0.5
_RETRY_MAX_SECONDS = 2.0


def _build_index(
    matcher: LiveMatcher, stop: threading.Event, bootstrap: Callable[[], None] | None = None
) -> None:
    """Store the bootstrap admin key (if start-up could not) and build the match index,
    retrying with backoff until the database answers or the process stops."""
    delay = _RETRY_FIRST_SECONDS
    while not stop.is_set():
        try:
            if bootstrap is not None:
                bootstrap()
                bootstrap = None
            while not matcher.index.ready:  # a model switch meanwhile brings a new index
                matcher.index.snapshot()
            return
        except Exception as exc:  # the database may be down; /readyz says so meanwhile
            log.warning(
                "match index not built yet; retrying",
                exc_info=not is_database_unavailable(exc),
                extra={"error": type(exc).__name__, "retry_in_s": delay},
            )
        stop.wait(delay)
        delay = min(delay * 2, _RETRY_MAX_SECONDS)


def _bootstrap_admin(engine: Engine, settings: Settings) -> None:
    """Store the admin key named by the environment, once."""
    if settings.admin_key is None:
        return
    with Session(engine) as session:
        try:
            key_service.ensure(
                session,
                settings.admin_key.get_secret_value(),
                role=Role.admin,
                name="bootstrap admin",
            )
            session.commit()
        except IntegrityError:  # another worker created it at the same moment
            session.rollback()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout=settings.db_statement_timeout_seconds,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    build_engine = make_engine(
        settings.database_url,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout=settings.db_build_timeout_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if clock.offset():
            moved = clock.offset().total_seconds()
            log.warning("the clock is moved", extra={"offset_seconds": moved})
        bootstrap: Callable[[], None] | None = None
        try:
            _bootstrap_admin(engine, settings)
            # This code may compute a statistic differently from what is stored.
            generation.advance_engine(engine)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            # Start anyway, unready; the builder stores the key once the database answers.
            log.warning("database unavailable at start-up", extra={"error": type(exc).__name__})
            app.state.admin_key_pending = True

            def bootstrap() -> None:
                _bootstrap_admin(engine, settings)
                app.state.admin_key_pending = False

        watcher: ModelWatcher = app.state.model_watcher
        if bootstrap is None:  # the database answers: serve the registry's active model
            try:  # from the first request on (else the watcher's thread reads it later)
                watcher.sync()
            except Exception as exc:
                if not is_database_unavailable(exc):
                    raise
        # The index is built off the event loop; /readyz says 503 until it is there.
        stop = threading.Event()
        builder = threading.Thread(
            target=_build_index,
            args=(app.state.matcher, stop, bootstrap),
            name="index-build",
            daemon=True,
        )
        builder.start()
        polling = threading.Thread(target=watcher.run, name="model-poll", daemon=True)
        polling.start()
        log.info(
            "accessmatch started",
            extra={"demo": settings.demo, "model_version": app.state.matcher.scorer.version},
        )
        yield
        stop.set()
        watcher.stop()
        builder.join(timeout=30)
        polling.join(timeout=30)
        engine.dispose()
        build_engine.dispose()

    app = FastAPI(
        title="AccessMatch",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(check_parameters)],
    )
    app.state.settings = settings
    app.state.engine = engine
    rules = load_rules(settings.rules_file)
    app.state.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
    app.state.rate_limit = parse_rate_limit(settings.rate_limit)
    probes = Budget(
        app.state.limiter,
        parse_rate_limit(settings.registration_conflict_limit),
        "registration-conflict",
    )
    app.state.context = Context(
        cipher=Cipher(settings.secret, settings.old_secrets),
        rules=rules,
        registration_probes=probes,
        stats_threshold=settings.stats_threshold,
        stats_summary_max_age_seconds=settings.stats_summary_max_age_seconds,
    )
    # A missing or corrupt scorer stops start-up here (ScorerError), never a silent fallback.
    # It is served until the registry is read (start-up); then the registry's active one.
    scorer = load_bundle(settings.scorer_dir)
    where = location_key(app.state.context.cipher)

    def make_index(encode_text: TextEncoder) -> MatchIndex:
        return MatchIndex(
            engine,
            encode_text,
            rules,
            settings.index_poll_seconds,
            location_key=where,
            build_engine=build_engine,
        )

    app.state.matcher = LiveMatcher(
        Matcher(
            index=make_index(scorer.encode_text),
            scorer=scorer,
            policy=load_policy(settings.matching_policy_file),
            rules=rules,
        ),
        make_index,
    )
    app.state.metrics = Metrics()
    app.state.model_watcher = ModelWatcher(
        engine,
        app.state.matcher,
        scorer,
        poll_seconds=settings.model_poll_seconds,
        report=app.state.metrics.show_model,
    )
    app.state.key_cache = key_service.KeyCache(settings.key_cache_seconds)
    install_error_handlers(app)
    app.include_router(stats_targets.router)  # ahead of any /v1/stats/{...} route
    for router in (
        health.router,
        api_keys.router,
        audit.router,
        matches.router,
        seekers.router,
        employers.router,
        vacancies.router,
        service_records.router,
        referrals.router,
        placements.router,
        models.router,
        stats.router,
        stats_quota.router,
        declarations.router,
    ):
        app.include_router(router)
    customise_openapi(app)
    app.add_middleware(
        IdempotencyMiddleware,
        engine=engine,
        ttl_seconds=settings.idempotency_ttl_seconds,
        lease_seconds=settings.idempotency_lease_seconds,
        cipher=app.state.context.cipher,
        key_cache=app.state.key_cache,
        limiter=app.state.limiter,
        rate_limit=app.state.rate_limit,
    )
    app.add_middleware(StrictJsonBody)  # inside the size limit, before idempotency
    app.add_middleware(
        RequestContextMiddleware, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes
    )
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
