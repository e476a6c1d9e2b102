"""Stored summaries: a statistic's answer kept with the write generation it was computed at.

The same question (the same statistic and parameters, the same key's role and
jurisdiction, threshold, rules and day) is answered from the store while nothing has been
written since (``service.generation``): an aggregate over a million people costs seconds
to compute and a read of one row to repeat.  Any committed write makes the next answer a
fresh one, so a figure is never older than the last write; ``computed_at`` in the answer
says when it was computed.  What is stored is the published answer (already suppressed),
so a repeated question gives exactly the same cells.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlmodel import Session

from service.access import Principal
from service.clock import today_in_china, utcnow
from service.context import Context
from service.repositories import stats_summary as repo

P = ParamSpec("P")
# Read once: the package metadata is a file, and every statistic's key names the version.
VERSION = version("accessmatch")


class Answer(Protocol):
    computed_at: dt.datetime | None

    def model_dump_json(self) -> str: ...
    def model_copy(self, *, update: dict[str, Any]) -> Any: ...


A = TypeVar("A", bound=Answer)


def question_key(ctx: Context, question: dict[str, Any]) -> str:
    """What makes two questions the same, hashed: the question itself, and the threshold,
    rules, Beijing day and version every answer depends on."""
    whole = {
        **question,
        "version": VERSION,
        "threshold": ctx.stats_threshold,
        "rules": ctx.rules.model_dump(mode="json"),
        "today": today_in_china().isoformat(),
    }
    text = json.dumps(whole, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def remembered(
    session: Session,
    ctx: Context,
    *,
    question: dict[str, Any],
    model: type[A],
    compute: Callable[[], A],
) -> A:
    """The stored answer to ``question`` when it is current, else ``compute()``, stored."""
    now = utcnow()
    if ctx.stats_summary_max_age_seconds == 0:  # the store is off: nothing to look up
        return compute().model_copy(update={"computed_at": now})  # type: ignore[no-any-return]
    key = question_key(ctx, question)
    seen = repo.generation(session)  # before computing: see service.generation
    stored = repo.find(session, key)
    if stored is not None and _current(stored, seen=seen, now=now, ctx=ctx):
        return model.model_validate_json(stored[2])  # type: ignore[attr-defined,no-any-return]
    fresh = compute().model_copy(update={"computed_at": now})
    repo.keep(
        session,
        key=key,
        generation=seen,
        computed_at=now,
        body=fresh.model_dump_json(),
        # Older ones are never given again (see _current): deleted.
        forget_before=now - dt.timedelta(seconds=ctx.stats_summary_max_age_seconds),
    )
    return fresh  # type: ignore[no-any-return]


def summarised(
    model: type[A],
) -> Callable[
    [Callable[Concatenate[Session, Context, Principal, P], A]],
    Callable[Concatenate[Session, Context, Principal, P], A],
]:
    """A statistic of (session, ctx, principal, ...) answered through :func:`remembered`,
    the key's role and jurisdiction part of the question."""

    def wrap(
        answer: Callable[Concatenate[Session, Context, Principal, P], A],
    ) -> Callable[Concatenate[Session, Context, Principal, P], A]:
        @functools.wraps(answer)
        def answered(
            session: Session, ctx: Context, principal: Principal, *args: P.args, **kwargs: P.kwargs
        ) -> A:
            question = {
                "answer": f"{answer.__module__}.{answer.__qualname__}",
                "asked": {"args": args, **kwargs},
                "role": principal.role,
                "jurisdiction": principal.district_code,
            }
            return remembered(
                session,
                ctx,
                question=question,
                model=model,
                compute=lambda: answer(session, ctx, principal, *args, **kwargs),
            )

        return answered

    return wrap


def _current(
    stored: tuple[int, dt.datetime, str], *, seen: int, now: dt.datetime, ctx: Context
) -> bool:
    """Nothing written since it was computed, or as old as the caller accepts at most; and
    never past the age limit."""
    generation, computed_at, _ = stored
    age = (now - computed_at).total_seconds()
    if not 0 <= age <= ctx.stats_summary_max_age_seconds:
        return False
    return generation == seen or age <= ctx.stats_accepted_age_seconds
