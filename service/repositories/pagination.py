"""Keyset pagination over time-sortable ids; cursors are opaque to clients."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.sql import Select
from sqlmodel import Session

T = TypeVar("T")
_PREFIX = "c1:"
_ISSUED_ID = re.compile(r"[a-z]{1,10}_[0-9a-z]{1,40}")


@dataclass(frozen=True)
class PageParams:
    limit: int
    after: str | None = None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not raw.startswith(_PREFIX) or not _ISSUED_ID.fullmatch(raw[len(_PREFIX) :]):
        return None  # only an id this service issues: no NUL, no other text
    return raw[len(_PREFIX) :]


def fetch_page(
    session: Session, stmt: Select[Any], id_column: Any, page: PageParams
) -> tuple[list[Any], str | None]:
    """Rows after the cursor in id order, and the cursor of the next page (or None)."""
    if page.after is not None:
        stmt = stmt.where(id_column > page.after)
    rows = list(session.exec(stmt.order_by(id_column).limit(page.limit + 1)).all())  # type: ignore[call-overload]
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        return rows, encode_cursor(rows[-1].id)
    return rows, None
