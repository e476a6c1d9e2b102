"""Object-level access: the access table's scope applied to one record's owner."""

from __future__ import annotations

from service.access import Action, Principal
from service.errors import Conflict, Forbidden, NotFound, field_error


def check(
    principal: Principal, action: Action, owner_key_id: str, *, read: Action, what: str, ident: str
) -> None:
    """Pass, or refuse: 403 when the key may read the record but not do this to it, 404
    when it may not even read it (so that the record's existence does not leak)."""
    if principal.may(action, owner_key_id):
        return
    if principal.may(read, owner_key_id):
        raise Forbidden(f"this {what} was created by another key; it is read-only to you")
    raise NotFound(f"no {what} {ident}")


def erased_conflict(what: str, ident: str) -> Conflict:
    """Casework of an erased person is an anonymised remainder kept for statistics: it is
    read, never changed."""
    return Conflict(
        f"the person this {what} concerned was erased; it is kept anonymised "
        "for statistics and cannot change",
        errors=[field_error(f"{what}_id", "erased", f"{ident} belongs to an erased person")],
    )
