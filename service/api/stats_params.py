"""Query parameters the statistics routes share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.models.common import IsoDate

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
