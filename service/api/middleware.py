"""Pure-ASGI middleware: request id, access log and Prometheus metrics by route template."""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.db import is_database_unavailable
from service.logging import request_id_var
from service.models.common import FieldProblem, Problem
from service.models.model_registry import Monitoring

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:accessmatch:problem:"
# While the database is unavailable, how soon a client may try again.
RETRY_AFTER_SECONDS = 2
DATABASE_UNAVAILABLE = "the database is unavailable or not answering; retry shortly"

log = logging.getLogger("accessmatch.access")
error_log = logging.getLogger("accessmatch.errors")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "accessmatch_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "accessmatch_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        # The active scorer and how it fares on the outcomes since its activation
        # (NaN: too few outcomes yet; see service.services.model_monitor).
        self.model_info = Gauge(
            "accessmatch_model_info",
            "The scorer this process serves (1 for the active version)",
            ["version"],
            registry=self.registry,
        )
        self.model_ece = Gauge(
            "accessmatch_model_outcomes_ece",
            "Expected calibration error of the active scorer on outcomes since its activation",
            registry=self.registry,
        )
        self.model_ndcg = Gauge(
            "accessmatch_model_outcomes_ndcg10",
            "NDCG@10 of the active scorer on outcomes since its activation",
            registry=self.registry,
        )
        self.model_outcomes = Gauge(
            "accessmatch_model_outcomes_count",
            "Outcomes recorded for the active scorer since its activation",
            registry=self.registry,
        )
        self._model_version: str | None = None
        self._model_lock = threading.Lock()

    def show_model(self, version: str, figures: Monitoring) -> None:
        """The active version and its monitoring figures (called by the model watcher)."""
        with self._model_lock:
            if version != self._model_version:
                if self._model_version is not None:
                    self.model_info.remove(self._model_version)
                self.model_info.labels(version).set(1)
                self._model_version = version
            self.model_ece.set(math.nan if figures.ece is None else figures.ece)
            self.model_ndcg.set(math.nan if figures.ndcg_at_10 is None else figures.ndcg_at_10)
            self.model_outcomes.set(figures.outcomes)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        status_sent = False
        start = time.perf_counter()

        too_large = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if too_large:  # whatever the app answers, the client gets the 413
                if message["type"] == "http.response.start" and not status_sent:
                    status_sent = True
                    await self._too_large(scope, send, request_id)
                return
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        received = 0

        async def receive_limited() -> Message:
            # Past the limit the app sees a disconnect: the body is never read whole,
            # never parsed, never stored.
            nonlocal received, too_large, status
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large, status = True, 413
                    return {"type": "http.disconnect"}
            return message

        try:
            if _declared_length(scope) > self.max_body_bytes:
                status, status_sent = 413, True
                await self._too_large(scope, send, request_id)
            else:
                await self.app(scope, receive_limited, send_with_id)
        except Exception as exc:
            if is_database_unavailable(exc) and not status_sent:
                # Raised outside the routes (idempotency claim, key lookup): a 503 too.
                error_log.warning(
                    "database unavailable",
                    extra={"error": type(exc).__name__, "route": _route_template(scope)},
                )
                status = 503
                await _problem(
                    scope,
                    send,
                    request_id,
                    503,
                    "unavailable",
                    "Service unavailable",
                    DATABASE_UNAVAILABLE,
                    headers={"retry-after": str(RETRY_AFTER_SECONDS)},
                )
                return
            # Handled here, not by Starlette's outermost handler, so the log line and the
            # problem both carry this request's id.
            error_log.error(
                "unhandled error",
                exc_info=exc,
                extra={"method": scope["method"], "route": _route_template(scope)},
            )
            if status_sent:
                raise
            status = 500
            await _problem(
                scope,
                send,
                request_id,
                500,
                "internal-error",
                "Internal server error",
                "an unexpected error occurred; quote the request id when reporting it",
            )
        finally:
            if too_large:
                status = 413
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "key_id": scope.get("state", {}).get("key_id"),
                },
            )
            request_id_var.reset(token)

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        await _problem(
            scope,
            send,
            request_id,
            413,
            "payload-too-large",
            "Payload too large",
            f"the request body exceeds {self.max_body_bytes} bytes",
        )


async def _problem(
    scope: Scope,
    send: Send,
    request_id: str,
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    body = Problem(
        type=TYPE_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=scope.get("path"),
        request_id=request_id,
    )
    response = Response(
        body.model_dump_json(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"x-request-id": request_id, **(headers or {})},
    )
    await response(scope, _no_body, send)


async def problem_reply(
    scope: Scope,
    send: Send,
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
) -> None:
    """A problem answered by a middleware, before any route runs."""
    request_id = request_id_var.get() or ""
    body = Problem(
        type=TYPE_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=scope.get("path"),
        request_id=request_id or None,
        errors=errors,
    )
    response = Response(
        body.model_dump_json(exclude_none=True), status_code=status, media_type=PROBLEM_JSON
    )
    await response(scope, _no_body, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            # Accept only a sane token from outside; anything else gets a fresh id.
            # ASCII only: a name sent as the id would otherwise reach the logs.
            if 0 < len(text) <= 64 and all(
                c.isascii() and (c.isalnum() or c in "-_.") for c in text
            ):
                return text
    return None


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
