"""SQL for employers' yearly staff declarations."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from service.models.base import utcnow
from service.models.tables_stats import StaffDeclaration


def get(session: Session, employer_id: str, year: int) -> StaffDeclaration | None:
    return session.get(StaffDeclaration, (employer_id, year))


def save(session: Session, declaration: StaffDeclaration) -> StaffDeclaration:
    session.add(declaration)
    session.flush()
    return declaration


def list_for(session: Session, employer_id: str) -> list[StaffDeclaration]:
    stmt = (
        select(StaffDeclaration)
        .where(StaffDeclaration.employer_id == employer_id)
        .order_by(col(StaffDeclaration.year))
    )
    return list(session.exec(stmt).all())


def upsert(
    session: Session, employer_id: str, year: int, values: dict[str, Any], declared_by: str
) -> tuple[StaffDeclaration, bool]:
    """Store or replace one year's declaration; True when it is new.  A concurrent insert
    of the same year surfaces as IntegrityError."""
    with session.no_autoflush:
        row = get(session, employer_id, year)
    created = row is None
    if row is None:
        row = StaffDeclaration(
            employer_id=employer_id, year=year, declared_by=declared_by, **values
        )
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.declared_by = declared_by
        row.version += 1
    row.declared_at = utcnow()
    return save(session, row), created
