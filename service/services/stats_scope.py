"""Where a key's statistics may look: its jurisdiction, narrowed by what it asks for."""

from __future__ import annotations

import datetime as dt

from service.access import Principal
from service.errors import Forbidden, field_error, raise_if_errors
from service.rules import today_in_china

# The registry's records begin long after this; earlier days (a year 7, say) are mistakes.
EARLIEST_DAY = dt.date(2000, 1, 1)


def check_day(day: dt.date, field: str) -> None:
    """A day statistics are measured on: from 2000-01-01 to today (422 naming ``field``)."""
    if day > today_in_china():
        raise_if_errors([field_error(field, "date_in_future", "this date lies in the future")])
    if day < EARLIEST_DAY:
        raise_if_errors(
            [
                field_error(
                    field, "date_too_early", f"statistics begin on {EARLIEST_DAY.isoformat()}"
                )
            ]
        )


def jurisdiction(principal: Principal, requested: str | None) -> str:
    """The district-code prefix a statistic is computed over ('' = everywhere).

    A key limited to an area may ask for that area or a part of it; asking for a wider or
    another area is refused (403), never silently narrowed, so a figure is never mistaken
    for one of the area asked about."""
    own = principal.district_code or ""
    wanted = requested or own
    if not wanted.startswith(own):
        raise Forbidden(
            f"this key's statistics are limited to district {own}; "
            f"{wanted or 'the whole country'} lies outside it"
        )
    return wanted
