"""The audit log: who did what to whose personal data, when.

Entries hold ids (key, resource, the seekers concerned, the request), the role, the
action and its outcome, and for updates the names of the fields changed: never a value.
An entry gets its id and time when it is written, at the commit, so that the log reads in
the order its entries became visible (cursor pagination never skips one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from service.access import Principal
from service.db import on_rollback
from service.models.audit import AuditEventPublic
from service.models.base import as_utc, new_id, utcnow
from service.models.enums import AuditAction, AuditOutcome
from service.models.tables import AuditEvent
from service.repositories import audit as repo
from service.repositories.pagination import PageParams

_PENDING = "audit_pending"
Entry = tuple[dict[str, Any], list[str]]  # the event's fields, the seekers concerned


def write(session: Session, entries: Sequence[Entry]) -> None:
    for fields, seekers in entries:
        repo.append(session, {**fields, "id": new_id("aud"), "at": utcnow()}, seekers)


@event.listens_for(Session, "before_commit")
def write_pending(session: Session) -> None:
    """Entries recorded in this transaction go in just before it commits (not when a
    savepoint is released: the outer transaction may still roll back)."""
    if not session.in_nested_transaction():
        write(session, session.info.pop(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint, was undone
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Audit:
    """Records what the calling key does; services receive it with the request."""

    session: Session
    principal: Principal
    request_id: str | None = None

    def record(
        self,
        action: AuditAction,
        resource_type: str,
        resource_id: str | None,
        seekers: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> None:
        """In the request's transaction: the entry stands or falls with the work.  It is
        written at the commit, so that a read holds SQLite's write lock only for the
        moment of the commit, not while its answer is being built."""
        entry = self.entry(action, resource_type, resource_id, AuditOutcome.ok, seekers, fields)
        self.session.info.setdefault(_PENDING, []).append(entry)

    def flush(self) -> None:
        """Write the entries recorded so far now (to read them back in this work)."""
        write(self.session, self.session.info.pop(_PENDING, ()))

    def refused(
        self,
        action: AuditAction,
        resource_type: str,
        resource_id: str | None,
        seekers: Sequence[str] = (),
        outcome: AuditOutcome = AuditOutcome.denied,
    ) -> None:
        """A refused attempt: written after the request's work has rolled back, on the
        same session, so that it outlives the rollback."""
        entry = self.entry(action, resource_type, resource_id, outcome, seekers, ())
        on_rollback(self.session, lambda session: write(session, [entry]))

    def entry(
        self,
        action: AuditAction,
        resource_type: str,
        resource_id: str | None,
        outcome: AuditOutcome,
        seekers: Sequence[str],
        fields: Sequence[str],
    ) -> Entry:
        return (
            {
                "key_id": self.principal.key_id,
                "role": self.principal.role.value,
                "action": action.value,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "outcome": outcome.value,
                "request_id": self.request_id,
                "fields": sorted(fields),
                "subject_count": len(seekers),
            },
            list(seekers),
        )


def page(
    session: Session, flt: repo.AuditFilter, params: PageParams
) -> tuple[list[AuditEventPublic], str | None]:
    events, cursor = repo.page(session, flt, params)
    subjects = repo.subjects(session, [e.id for e in events])
    return [to_public(e, subjects[e.id]) for e in events], cursor


def to_public(event: AuditEvent, seeker_ids: list[str]) -> AuditEventPublic:
    return AuditEventPublic(
        id=event.id,
        at=as_utc(event.at),
        key_id=event.key_id,
        role=event.role,
        action=AuditAction(event.action),
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        outcome=AuditOutcome(event.outcome),
        request_id=event.request_id,
        fields=event.fields,
        seeker_ids=seeker_ids,
    )
