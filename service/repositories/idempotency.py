"""SQL for idempotency records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from service.models.base import as_utc, utcnow
from service.models.tables import IdempotencyRecord, Seeker


@dataclass(frozen=True)
class Claim:
    """One attempt at running the request kept under (owner, key)."""

    owner: str  # hash of the calling API key
    key: str
    claimant: str  # a token of this attempt: only it may renew or settle the claim


def _mine(attempt: Claim) -> tuple[ColumnElement[bool], ...]:
    return (
        col(IdempotencyRecord.owner) == attempt.owner,
        col(IdempotencyRecord.key) == attempt.key,
        col(IdempotencyRecord.claimant) == attempt.claimant,
        col(IdempotencyRecord.status).is_(None),
    )


def claim(
    session: Session,
    attempt: Claim,
    request_hash: str,
    *,
    expires_at: dt.datetime,
    lease_until: dt.datetime,
) -> IdempotencyRecord | None:
    """Record a new attempt and return None, or return the live record already there.  An
    in-flight claim whose lease ran out was left by a dead process: it is taken over (and
    None returned), since that attempt never answered."""
    for _ in range(3):
        try:
            with session.begin_nested():
                session.add(
                    IdempotencyRecord(
                        owner=attempt.owner,
                        key=attempt.key,
                        request_hash=request_hash,
                        claimant=attempt.claimant,
                        lease_expires_at=lease_until,
                        expires_at=expires_at,
                    )
                )
            return None
        except IntegrityError:
            existing = session.get(
                IdempotencyRecord, (attempt.owner, attempt.key), populate_existing=True
            )
            if existing is None:
                continue
            now = utcnow()
            if as_utc(existing.expires_at) <= now:
                session.delete(existing)  # expired: the key may be used afresh
                session.flush()
                continue
            if existing.status is None and as_utc(existing.lease_expires_at) <= now:
                if _take_over(session, attempt, request_hash, lease_until=lease_until, now=now):
                    return None
                session.expunge(existing)  # another retry took it over first: read
                continue  # what it left (after one more try at a fresh claim)
            return existing
    raise RuntimeError("could not claim an idempotency key")


def _take_over(
    session: Session,
    attempt: Claim,
    request_hash: str,
    *,
    lease_until: dt.datetime,
    now: dt.datetime,
) -> bool:
    """Conditional on the lease still being out of date, so that of two retries racing for
    one dead claim exactly one wins (PostgreSQL re-checks the condition on the row it waited
    for; SQLite runs one writer at a time)."""
    result = session.execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.owner) == attempt.owner,
            col(IdempotencyRecord.key) == attempt.key,
            col(IdempotencyRecord.status).is_(None),
            col(IdempotencyRecord.lease_expires_at) <= now,
        )
        .values(claimant=attempt.claimant, lease_expires_at=lease_until, request_hash=request_hash)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def renew(session: Session, attempt: Claim, lease_until: dt.datetime) -> bool:
    """Extend the lease of a claim still in flight; False if it is no longer this one's."""
    result = session.execute(
        update(IdempotencyRecord)
        .where(*_mine(attempt))
        .values(lease_expires_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(
    session: Session, attempt: Claim, status: int, body: str | None, headers: dict[str, str]
) -> None:
    """Keep the answer, unless the claim was taken over meanwhile (then the other settles)."""
    session.execute(
        update(IdempotencyRecord)
        .where(*_mine(attempt))
        .values(status=status, body=body, headers=headers, resource=headers.get("location"))
        .execution_options(synchronize_session=False)
    )


def seeker_exists(session: Session, seeker_id: str) -> bool:
    """Whether the seeker is still registered, holding a share lock on its row (PostgreSQL)
    so that an erasure either ran before this check or waits for this transaction."""
    found = session.execute(
        select(col(Seeker.id)).where(col(Seeker.id) == seeker_id).with_for_update(read=True)
    ).first()
    return found is not None


def forget_resource(session: Session, resource: str) -> None:
    """Erasure: the kept records that created this resource or anything under it (a
    person's casework records) go whole (the client-chosen key, the request's digest and
    the response), not only their bodies."""
    kept = col(IdempotencyRecord.resource)
    session.execute(
        delete(IdempotencyRecord).where(
            or_(kept == resource, kept.startswith(resource + "/", autoescape=True))
        )
    )


def purge_expired(session: Session, now: dt.datetime) -> None:
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) <= now))


def release(session: Session, attempt: Claim) -> None:
    """Forget this attempt (it must not be remembered), unless another took it over."""
    session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.owner) == attempt.owner,
            col(IdempotencyRecord.key) == attempt.key,
            col(IdempotencyRecord.claimant) == attempt.claimant,
        )
    )
