"""``Idempotency-Key`` on POST: a retry with the same key and body gets the original
response and makes no second record; the same key with another body is 422; a retry while
the first is still in flight is 409.  Keys expire after ``ACCESSMATCH_IDEMPOTENCY_TTL_SECONDS``.
An empty key, one longer than 200 characters, or the header sent twice is 400.

A claim in flight holds a lease that the running request renews; a claim whose lease ran
out was left by a process that died (kill, crash, power): the next retry takes it over and
runs the request.  (A process that died between committing and keeping the answer has done
the work once already: the retry runs it again, which imports and registrations absorb.)

Records are scoped by a hash of the caller's API key, so keys of different callers never
meet; only a live key (not unknown, revoked or expired) gets a replay, and replays count
against its rate limit.  Server errors (5xx) and 429 are not remembered: the client may
simply retry.  Expired records are purged (they may hold a name), at most once a minute (or
once per TTL, if shorter) per process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from typing import Any

import anyio
from anyio import to_thread
from fastapi import Depends, Header
from limits import RateLimitItem
from limits.strategies import RateLimiter
from sqlalchemy.engine import Engine
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.access import Principal
from service.db import transaction
from service.logging import request_id_var
from service.models.base import utcnow
from service.models.common import Problem
from service.models.crypto import Cipher
from service.models.enums import AuditAction, AuditOutcome, Role
from service.ratelimit import retry_after
from service.repositories import idempotency as repo
from service.services.api_keys import KeyCache, KnownKey, authenticate, hash_key
from service.services.audit import Audit, write

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 200
RENEWALS_PER_LEASE = 3  # a lease survives two missed renewals
_REPLAYED_HEADERS = ("location", "etag", "content-type")
PROBLEM_JSON = "application/problem+json"
_CONTEXT = "idempotent-response"
_PURGE_EVERY_SECONDS = 60.0  # or the TTL itself, if shorter
_UNKNOWN_KEY: dict[str, Any] = {"status": "unknown-key"}
_SEEKERS = "/v1/seekers/"
_SECRET_PATHS = frozenset({"/v1/api-keys"})
_WITHOUT_BODY = {
    409: "the first request with this Idempotency-Key issued the key; its secret is shown "
    "only once (revoke that key and issue another if it was lost)",
}
_DESCRIPTION = (
    "Makes this POST safe to retry: a retry with the same key and body returns the original "
    "response (header `Idempotent-Replayed: true`) and stores nothing twice; the same key "
    "with another body is 422; a retry while the first is still running is 409 (a request "
    "whose server died is taken over by the next retry). Keys are per API key and kept for "
    "`ACCESSMATCH_IDEMPOTENCY_TTL_SECONDS`. Empty, longer than "
    f"{MAX_KEY_LENGTH} characters, or sent twice: 400."
)

log = logging.getLogger("accessmatch.idempotency")


def _declare_header(
    idempotency_key: str = Header(
        None,
        alias="Idempotency-Key",
        description=_DESCRIPTION,
        json_schema_extra={"minLength": 1, "maxLength": MAX_KEY_LENGTH},
    ),
) -> None:
    """Declares the header in the contract only: IdempotencyMiddleware handles it (and
    has answered before the route runs when it is malformed)."""


# dependencies=[IdempotencyKeyHeader] on every POST route.
IdempotencyKeyHeader = Depends(_declare_header)


# What a kept answer under /v1/seekers/{id}[/{collection}/{id}] created: the registration,
# or a casework record of the person (the audit's action and resource type).
_CREATED = {
    "": (AuditAction.seeker_create, "seeker"),
    "services": (AuditAction.service_create, "service_record"),
    "status-history": (AuditAction.status_change, "status_change"),
}


def _seeker_of(location: str) -> str:
    """The seeker a Location under /v1/seekers/ belongs to."""
    return location.removeprefix(_SEEKERS).split("/", 1)[0]


def _audit_replay(session: Any, caller: KnownKey, resource: str) -> None:
    """A replayed registration or casework record shows the person's data again: that is
    an access."""
    principal = Principal(caller.id, Role(caller.role), caller.name, caller.owner_id)
    seeker_id, _, rest = resource.removeprefix(_SEEKERS).partition("/")
    collection, _, item = rest.partition("/")
    action, kind = _CREATED.get(collection, _CREATED[""])
    audit = Audit(session=session, principal=principal, request_id=request_id_var.get())
    write(
        session,
        [
            audit.entry(
                action,
                kind,
                item or (None if rest else seeker_id),
                AuditOutcome.replayed,
                [seeker_id],
                (),
            )
        ],
    )


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Engine,
        ttl_seconds: float,
        lease_seconds: float,
        cipher: Cipher,
        key_cache: KeyCache,
        limiter: RateLimiter,
        rate_limit: RateLimitItem,
    ) -> None:
        self.app = app
        self.engine = engine
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.cipher = cipher  # stored responses may hold a name: encrypted like one
        self.key_cache = key_cache
        self.limiter = limiter
        self.rate_limit = rate_limit
        self._purge_every = min(_PURGE_EVERY_SECONDS, ttl_seconds)
        self._purged_at = float("-inf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        if scope["type"] != "http" or scope["method"] != "POST" or HEADER not in headers:
            await self.app(scope, receive, send)
            return
        key, refusal = _parse_key(scope)
        if refusal is not None:  # a malformed header: 400, like any other
            await _problem(scope, send, 400, refusal)
            return
        messages, complete = await _read_body(receive)
        if not complete:  # the body was refused (too large) or the client left
            await self.app(scope, _replay(messages), send)
            return
        body = b"".join(m.get("body", b"") for m in messages)
        api_key = headers.get(b"x-api-key", b"").decode("latin-1")
        fingerprint = hashlib.sha256(
            b"\0".join([scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        attempt = repo.Claim(owner=hash_key(api_key), key=key, claimant=uuid.uuid4().hex)
        existing = await to_thread.run_sync(self._claim, api_key, attempt, fingerprint)
        if existing is _UNKNOWN_KEY:  # the route answers 401; nothing is kept
            await self.app(scope, _replay(messages), send)
            return
        if existing is not None:
            await self._answer_repeat(scope, send, existing)
            return
        try:
            captured = await self._run_leased(scope, _replay(messages), send, attempt)
        except BaseException:
            with anyio.CancelScope(shield=True):  # a retry may run it at once
                await to_thread.run_sync(self._release_quietly, attempt)
            raise
        await to_thread.run_sync(self._settle, attempt, scope["path"], captured)

    def _claim(self, api_key: str, attempt: repo.Claim, fingerprint: str) -> dict[str, Any] | None:
        """None: a new request (or one whose process died), run it.  Else what to answer."""
        with transaction(self.engine) as session:
            caller = authenticate(session, api_key, self.key_cache) if api_key else None
            if caller is None:
                return _UNKNOWN_KEY
            self._purge_now_and_then(session)
            now = utcnow()
            record = repo.claim(
                session,
                attempt,
                fingerprint,
                expires_at=now + self.ttl,
                lease_until=now + self.lease,
            )
            if record is None:
                return None
            retry = retry_after(self.limiter, self.rate_limit, caller.id)
            if retry is not None:
                return {
                    "problem": 429,
                    "detail": f"rate limit {self.rate_limit} exceeded "
                    f"for this key; retry in {retry} s",
                    "headers": {"retry-after": str(retry)},
                }
            if record.status is None:
                return {
                    "problem": 409,
                    "detail": "a request with this Idempotency-Key is "
                    "still in progress; retry later",
                }
            if record.request_hash != fingerprint:
                return {
                    "problem": 422,
                    "detail": "this Idempotency-Key was used with a "
                    "different request; use a new key for a new request",
                }
            if record.body is None:  # kept without its answer: see _settle
                return {"problem": record.status, "detail": _WITHOUT_BODY[record.status]}
            if (record.resource or "").startswith(_SEEKERS):
                _audit_replay(session, caller, record.resource or "")
            return {
                "status": record.status,
                "headers": dict(record.headers),
                "body": self.cipher.decrypt(record.body, _CONTEXT),
            }

    def _purge_now_and_then(self, session: Any) -> None:
        now = time.monotonic()
        if now - self._purged_at >= self._purge_every:
            self._purged_at = now
            repo.purge_expired(session, utcnow())

    async def _run_leased(
        self, scope: Scope, receive: Receive, send: Send, attempt: repo.Claim
    ) -> dict[str, Any]:
        """Run the request while renewing the claim's lease, so that no retry takes over a
        request that is still running."""
        outcome: dict[str, Any] = {}
        async with anyio.create_task_group() as group:
            group.start_soon(self._keep_lease, attempt)
            try:
                outcome["captured"] = await self._run(scope, receive, send)
            except Exception as exc:  # re-raised below, not wrapped in a group
                outcome["error"] = exc
            finally:
                group.cancel_scope.cancel()
        if "error" in outcome:
            raise outcome["error"]
        captured: dict[str, Any] = outcome["captured"]
        return captured

    async def _keep_lease(self, attempt: repo.Claim) -> None:
        while True:
            await anyio.sleep(self.lease.total_seconds() / RENEWALS_PER_LEASE)
            try:
                if not await to_thread.run_sync(self._renew, attempt):
                    return  # taken over after all (this process stalled): nothing to keep
            except Exception:  # the next renewal may succeed; the lease covers the gap
                log.warning("could not renew an idempotency lease", exc_info=True)

    def _renew(self, attempt: repo.Claim) -> bool:
        with transaction(self.engine) as session:
            return repo.renew(session, attempt, utcnow() + self.lease)

    def _release_quietly(self, attempt: repo.Claim) -> None:
        try:
            with transaction(self.engine) as session:
                repo.release(session, attempt)
        except Exception:  # the lease runs out instead; the original error matters more
            log.warning("could not release an idempotency claim", exc_info=True)

    def _settle(self, attempt: repo.Claim, path: str, captured: dict[str, Any]) -> None:
        with transaction(self.engine) as session:
            if _transient(captured["status"]):
                repo.release(session, attempt)
            elif path in _SECRET_PATHS and captured["status"] < 300:
                # Issued: remembered, but a secret is shown only once.
                repo.finish(session, attempt, 409, None, {})
            else:
                repo.finish(
                    session,
                    attempt,
                    captured["status"],
                    self.cipher.encrypt(captured["body"].decode("utf-8"), _CONTEXT),
                    captured["headers"],
                )
                _unless_erased_meanwhile(session, attempt, captured["headers"])

    async def _answer_repeat(self, scope: Scope, send: Send, answer: dict[str, Any]) -> None:
        if "problem" in answer:
            await _problem(scope, send, answer["problem"], answer["detail"], answer.get("headers"))
            return
        response = Response(
            answer["body"],
            status_code=answer["status"],
            headers={**answer["headers"], "idempotent-replayed": "true"},
        )
        await response(scope, _replay([]), send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> dict[str, Any]:
        captured: dict[str, Any] = {"status": None, "headers": {}, "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = {
                    k.decode("latin-1"): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() in _REPLAYED_HEADERS
                }
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            captured["status"] = None  # nothing to remember: let the client retry
            raise
        finally:
            if captured["status"] is None:
                captured["body"] = b""
        return captured


def _unless_erased_meanwhile(session: Any, attempt: repo.Claim, headers: dict[str, str]) -> None:
    """A registration erased between its commit and this moment (the client had its answer)
    must not leave its answer kept.  Checked after writing it: erasure deletes the seeker
    before the kept answers, so one of the two always sees the other."""
    location = headers.get("location", "")
    if location.startswith(_SEEKERS) and not repo.seeker_exists(session, _seeker_of(location)):
        repo.release(session, attempt)


def _parse_key(scope: Scope) -> tuple[str, str | None]:
    """The key, or why the header is refused (400: a malformed header, not a bad body)."""
    values = [v for k, v in scope.get("headers", []) if k.lower() == HEADER]
    if len(values) > 1:
        return "", "send one Idempotency-Key header, not several"
    key = values[0].decode("latin-1").strip()
    if not key:
        return "", "Idempotency-Key is empty: send a unique key, or leave the header out"
    if len(key) > MAX_KEY_LENGTH:
        return "", f"Idempotency-Key must have at most {MAX_KEY_LENGTH} characters"
    return key, None


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, False
        if not message.get("more_body", False):
            return messages, True


def _transient(status: int | None) -> bool:
    """An answer about the moment, not the request (server error, rate limit): a retry
    must run the request again rather than meet the same answer."""
    return status is None or status >= 500 or status == 429


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


_TITLES = {
    400: ("bad-request", "Bad request"),
    409: ("idempotency", "Request already answered"),
    422: ("idempotency", "Invalid Idempotency-Key use"),
    429: ("rate-limited", "Too many requests"),
}


async def _problem(
    scope: Scope, send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    slug, title = _TITLES[status]
    body = Problem(
        type=f"urn:accessmatch:problem:{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=scope.get("path"),
    )
    response = Response(
        json.dumps(body.model_dump(exclude_none=True)),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )
    await response(scope, _replay([]), send)
