"""Shared pieces of the models: metadata naming, ids, timestamps, JSON columns."""

from __future__ import annotations

import base64
import datetime as dt
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Re-exported: the models' timestamps come from the one clock.
from service.clock import epoch_ms
from service.clock import utcnow as utcnow

# Stable constraint names, so Alembic batch migrations on SQLite can find them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
UTCDateTime = sa.DateTime(timezone=True)


def new_id(prefix: str) -> str:
    """An opaque id that sorts by creation time (to the millisecond): 48-bit milliseconds
    + 80 random bits, in base32hex, whose alphabet (0-9, a-v) keeps the byte order."""
    raw = epoch_ms().to_bytes(6, "big") + os.urandom(10)
    return f"{prefix}_{base64.b32hexencode(raw).decode().rstrip('=').lower()}"


def as_utc(value: dt.datetime) -> dt.datetime:
    """In UTC: SQLite hands back naive datetimes (everything stored is UTC), and it stores
    an aware one as its wall time, so an offset must be converted before it is bound."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def json_column(**kwargs: Any) -> sa.Column[Any]:
    return sa.Column(JSONType, nullable=False, **kwargs)


def time_column(**kwargs: Any) -> sa.Column[Any]:
    return sa.Column(UTCDateTime, nullable=kwargs.pop("nullable", False), **kwargs)
