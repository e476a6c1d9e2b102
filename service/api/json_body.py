"""Request bodies are JSON, parsed strictly: a body of another media type is 415, and a key
given twice in one object is 422 naming it (with ``json.loads`` the last one would win, so
``{"sensitive_data": false, "sensitive_data": true}`` would record consent)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.middleware import problem_reply
from service.models.common import FieldProblem

_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class DuplicateKey(ValueError):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def find_duplicate_key(body: bytes) -> str | None:
    """The dotted path of the first key given twice in one object, or None (a body that
    is not JSON at all is left to the framework's 422)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in items:
            if key in seen:
                raise DuplicateKey(key)
            seen[key] = value
        return seen

    try:
        json.loads(body, object_pairs_hook=pairs)
    except DuplicateKey as dup:
        return _locate(body, dup.path)
    except ValueError:
        return None
    return None


class _Pairs(list[tuple[str, Any]]):
    """An object as parsed: its key-value pairs in order, duplicates kept."""


def _locate(body: bytes, key: str) -> str:
    """Where the duplicated key sits: parse again keeping pairs, and walk the tree."""

    def walk(value: Any, path: list[str]) -> str | None:
        if isinstance(value, _Pairs):
            keys = [k for k, _ in value]
            if keys.count(key) > 1:
                return ".".join([*path, key])
            children = [(k, v) for k, v in value]
        elif isinstance(value, list):
            children = [(str(i), v) for i, v in enumerate(value)]
        else:
            return None
        for name, child in children:
            found = walk(child, [*path, name])
            if found is not None:
                return found
        return None

    return walk(json.loads(body, object_pairs_hook=_Pairs), []) or key


class StrictJsonBody:
    """Pure ASGI: reads the body once, checks it, and hands the same messages on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages)
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1")
        if body.strip() and not _is_json(content_type):
            await problem_reply(
                scope,
                send,
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as JSON with Content-Type: application/json",
            )
            return
        duplicate = find_duplicate_key(body) if body.strip() else None
        if duplicate is not None:
            error = FieldProblem(
                field=duplicate, code="duplicate_key", message="this key is given more than once"
            )
            await problem_reply(
                scope,
                send,
                422,
                "validation",
                "Invalid request",
                f"{duplicate}: this key is given more than once",
                errors=[error],
            )
            return
        pending = list(messages)

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)
