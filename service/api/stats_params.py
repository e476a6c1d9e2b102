"""Parameters the statistics routes share: query parameters, and the context carrying how
old a stored answer the caller accepts (``Cache-Control: max-age``)."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated

from fastapi import Depends, Header, Query

from service.api.deps import ContextDep
from service.context import Context
from service.errors import ValidationFailed, field_error
from service.models.common import IsoDate

MAX_ACCEPTED_AGE_SECONDS = 86400
# The token or the quoted form (RFC 9111, 5.2: recipients accept both).
_MAX_AGE = re.compile(r'^max-age=("?)([0-9]{1,6})\1$')

District = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{2}([0-9]{2}){0,2}$",
        description="limit to a province (2 digits), city (4) or county (6) code prefix",
    ),
]
AsOf = Annotated[
    IsoDate | None,
    Query(
        description="the day measured, as it stood at its end in Beijing (default today); "
        "from 2000-01-01, and never a day in the future"
    ),
]


def stats_context(
    ctx: ContextDep,
    cache_control: Annotated[
        str | None,
        Header(
            alias="Cache-Control",
            description="`max-age=N`: a stored answer computed at most N seconds ago "
            f"(up to {MAX_ACCEPTED_AGE_SECONDS}) will do even if records were written since "
            "(its `computed_at` says when); `no-cache` or none: figures as of the last write",
        ),
    ] = None,
) -> Context:
    """The context, with the age of a stored answer this caller accepts."""
    return dataclasses.replace(ctx, stats_accepted_age_seconds=_accepted_age(cache_control))


def _accepted_age(cache_control: str | None) -> int:
    directives = [d.strip().lower() for d in (cache_control or "").split(",") if d.strip()]
    ages = []
    for directive in directives:
        if not directive.startswith("max-age"):
            continue  # no-cache and no-store below; others are ignored (RFC 9111, 5.2)
        match = _MAX_AGE.match(directive)
        if match is None or int(match.group(2)) > MAX_ACCEPTED_AGE_SECONDS:
            message = (
                f"Cache-Control: {directive!r} is not max-age=N with N a whole number "
                f"of seconds from 0 to {MAX_ACCEPTED_AGE_SECONDS}"
            )
            raise ValidationFailed(
                message, errors=[field_error("Cache-Control", "cache_control", message)]
            )
        ages.append(int(match.group(2)))
    # The stricter wish wins: no-cache over any max-age, the smallest of several.
    if {"no-cache", "no-store"} & set(directives) or not ages:
        return 0
    return min(ages)


StatsContextDep = Annotated[Context, Depends(stats_context)]
