"""SQL for idempotency records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from service.models.base import as_utc, utcnow
from service.models.tables import IdempotencyRecord


def claim(session: Session, owner: str, key: str, request_hash: str,
          expires_at: dt.datetime) -> IdempotencyRecord | None:
    """Record a new attempt and return None, or return the live record already there."""
    for _ in range(2):
        try:
            with session.begin_nested():
                session.add(IdempotencyRecord(owner=owner, key=key, request_hash=request_hash,
                                              expires_at=expires_at))
            return None
        except IntegrityError:
            existing = session.get(IdempotencyRecord, (owner, key))
            if existing is None:
                continue
            if as_utc(existing.expires_at) > utcnow():
                return existing
            session.delete(existing)  # expired: the key may be used afresh
            session.flush()
    raise RuntimeError("could not claim an idempotency key")


def finish(session: Session, owner: str, key: str, status: int, body: str | None,
           headers: dict[str, str]) -> None:
    record = session.get(IdempotencyRecord, (owner, key))
    if record is not None:
        record.status, record.body, record.headers = status, body, headers
        record.resource = headers.get("location")
        session.add(record)


def forget_resource(session: Session, resource: str) -> None:
    """Erasure: the kept records that created this resource go whole (the client-chosen
    key, the request's digest and the response), not only their bodies."""
    session.execute(delete(IdempotencyRecord).where(
        col(IdempotencyRecord.resource) == resource))


def purge_expired(session: Session, now: dt.datetime) -> None:
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now))


def release(session: Session, owner: str, key: str) -> None:
    session.execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.owner == owner, IdempotencyRecord.key == key))  # type: ignore[arg-type]
