"""``Idempotency-Key`` on POST: a retry with the same key and body gets the original
response and makes no second record; the same key with another body is 422; a retry while
the first is still in flight is 409.  Keys expire after ``ACCESSMATCH_IDEMPOTENCY_TTL_SECONDS``.

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
import time
from typing import Any

from anyio import to_thread
from limits import RateLimitItem
from limits.strategies import RateLimiter
from sqlalchemy.engine import Engine
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.access import Principal
from service.api.ratelimit import retry_after
from service.db import transaction
from service.logging import request_id_var
from service.models.base import utcnow
from service.models.common import Problem
from service.models.crypto import Cipher
from service.models.enums import AuditAction, AuditOutcome, Role
from service.repositories import idempotency as repo
from service.services.api_keys import KeyCache, KnownKey, authenticate, hash_key
from service.services.audit import Audit, write

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 200
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


def _audit_replay(session: Any, caller: KnownKey, resource: str) -> None:
    """A replayed registration shows the person's record again: that is an access."""
    principal = Principal(caller.id, Role(caller.role), caller.name, caller.owner_id)
    seeker_id = resource.removeprefix(_SEEKERS)
    audit = Audit(session=session, principal=principal, request_id=request_id_var.get())
    write(session, [audit.entry(AuditAction.seeker_create, "seeker", seeker_id,
                                AuditOutcome.replayed, [seeker_id], ())])


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, engine: Engine, ttl_seconds: float, cipher: Cipher,
                 key_cache: KeyCache, limiter: RateLimiter, rate_limit: RateLimitItem) -> None:
        self.app = app
        self.engine = engine
        self.ttl = dt.timedelta(seconds=ttl_seconds)
        self.cipher = cipher  # stored responses may hold a name: encrypted like one
        self.key_cache = key_cache
        self.limiter = limiter
        self.rate_limit = rate_limit
        self._purge_every = min(_PURGE_EVERY_SECONDS, ttl_seconds)
        self._purged_at = float("-inf")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        raw_key = headers.get(HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not 0 < len(key) <= MAX_KEY_LENGTH:  # a malformed header: 400, like any other
            await _problem(scope, send, 400, "Idempotency-Key must have 1 to "
                           f"{MAX_KEY_LENGTH} characters")
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
        existing = await to_thread.run_sync(self._claim, api_key, key, fingerprint)
        if existing is _UNKNOWN_KEY:  # the route answers 401; nothing is kept
            await self.app(scope, _replay(messages), send)
            return
        if existing is not None:
            await self._answer_repeat(scope, send, existing)
            return
        captured = await self._run(scope, _replay(messages), send)
        await to_thread.run_sync(self._settle, hash_key(api_key), key, scope["path"], captured)

    def _claim(self, api_key: str, key: str, fingerprint: str) -> dict[str, Any] | None:
        """None: a new request, run it.  Else what to answer instead."""
        with transaction(self.engine) as session:
            caller = authenticate(session, api_key, self.key_cache) if api_key else None
            if caller is None:
                return _UNKNOWN_KEY
            self._purge_now_and_then(session)
            record = repo.claim(session, hash_key(api_key), key, fingerprint,
                                utcnow() + self.ttl)
            if record is None:
                return None
            retry = retry_after(self.limiter, self.rate_limit, caller.id)
            if retry is not None:
                return {"problem": 429, "detail": f"rate limit {self.rate_limit} exceeded "
                        f"for this key; retry in {retry} s",
                        "headers": {"retry-after": str(retry)}}
            if record.status is None:
                return {"problem": 409, "detail": "a request with this Idempotency-Key is "
                        "still in progress; retry later"}
            if record.request_hash != fingerprint:
                return {"problem": 422, "detail": "this Idempotency-Key was used with a "
                        "different request; use a new key for a new request"}
            if record.body is None:  # kept without its answer: see _settle and erasure
                return {"problem": record.status, "detail": _WITHOUT_BODY[record.status]}
            if (record.resource or "").startswith(_SEEKERS):
                _audit_replay(session, caller, record.resource or "")
            return {"status": record.status, "headers": dict(record.headers),
                    "body": self.cipher.decrypt(record.body, _CONTEXT)}

    def _purge_now_and_then(self, session: Any) -> None:
        now = time.monotonic()
        if now - self._purged_at >= self._purge_every:
            self._purged_at = now
            repo.purge_expired(session, utcnow())

    def _settle(self, owner: str, key: str, path: str, captured: dict[str, Any]) -> None:
        with transaction(self.engine) as session:
            if _transient(captured["status"]):
                repo.release(session, owner, key)
            elif path in _SECRET_PATHS and captured["status"] < 300:
                # Issued: remembered, but a secret is shown only once.
                repo.finish(session, owner, key, 409, None, {})
            else:
                repo.finish(session, owner, key, captured["status"],
                            self.cipher.encrypt(captured["body"].decode("utf-8"), _CONTEXT),
                            captured["headers"])

    async def _answer_repeat(self, scope: Scope, send: Send, answer: dict[str, Any]) -> None:
        if "problem" in answer:
            await _problem(scope, send, answer["problem"], answer["detail"],
                           answer.get("headers"))
            return
        response = Response(answer["body"], status_code=answer["status"],
                            headers={**answer["headers"], "idempotent-replayed": "true"})
        await response(scope, _replay([]), send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> dict[str, Any]:
        captured: dict[str, Any] = {"status": None, "headers": {}, "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = {
                    k.decode("latin-1"): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() in _REPLAYED_HEADERS}
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


_TITLES = {400: ("bad-request", "Bad request"),
           409: ("idempotency", "Request already answered"),
           422: ("idempotency", "Invalid Idempotency-Key use"),
           429: ("rate-limited", "Too many requests")}


async def _problem(scope: Scope, send: Send, status: int, detail: str,
                   headers: dict[str, str] | None = None) -> None:
    slug, title = _TITLES[status]
    body = Problem(type=f"urn:accessmatch:problem:{slug}", title=title, status=status,
                   detail=detail, instance=scope.get("path"))
    response = Response(json.dumps(body.model_dump(exclude_none=True)), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)
    await response(scope, _replay([]), send)
