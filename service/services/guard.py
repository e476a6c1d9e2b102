"""Object-level access: the access table's scope applied to one record's owner."""

from __future__ import annotations

from service.access import Action, Principal
from service.errors import Forbidden, NotFound


def check(principal: Principal, action: Action, owner_key_id: str, *, read: Action,
          what: str, ident: str) -> None:
    """Pass, or refuse: 403 when the key may read the record but not do this to it, 404
    when it may not even read it (so that the record's existence does not leak)."""
    if principal.may(action, owner_key_id):
        return
    if principal.may(read, owner_key_id):
        raise Forbidden(f"this {what} was created by another key; it is read-only to you")
    raise NotFound(f"no {what} {ident}")
