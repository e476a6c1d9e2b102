"""Where a key's statistics may look: its jurisdiction, narrowed by what it asks for."""

from __future__ import annotations

from service.access import Principal
from service.errors import Forbidden


def jurisdiction(principal: Principal, requested: str | None) -> str:
    """The district-code prefix a statistic is computed over ('' = everywhere).

    A key limited to an area may ask for that area or a part of it; asking for a wider or
    another area is refused (403), never silently narrowed, so a figure is never mistaken
    for one of the area asked about."""
    own = principal.district_code or ""
    wanted = requested or own
    if not wanted.startswith(own):
        raise Forbidden(f"this key's statistics are limited to district {own}; "
                        f"{wanted or 'the whole country'} lies outside it")
    return wanted
