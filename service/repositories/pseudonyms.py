"""SQL for the candidate pseudonyms a partner was shown (so that it can refer them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from service.models.tables import CandidatePseudonym

_TABLE = CandidatePseudonym.__table__  # type: ignore[attr-defined]


def known(session: Session, owner_id: str, pseudonyms: Sequence[str]) -> set[str]:
    """Those of ``pseudonyms`` already recorded for this owner."""
    if not pseudonyms:
        return set()
    stmt = select(CandidatePseudonym.pseudonym).where(
        CandidatePseudonym.owner_id == owner_id,
        col(CandidatePseudonym.pseudonym).in_(list(pseudonyms)),
    )
    return set(session.exec(stmt).all())


def record(session: Session, owner_id: str, shown: dict[str, str], at: dt.datetime) -> None:
    """Insert (owner, pseudonym) -> seeker for each of ``shown`` (pseudonym -> seeker id)
    not yet recorded; a row recorded meanwhile by a concurrent listing keeps its first
    time.  Only missing rows are written, so a listing seen before writes nothing."""
    missing = sorted(set(shown) - known(session, owner_id, list(shown)))
    if not missing:
        return
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make_insert(_TABLE).on_conflict_do_nothing(index_elements=["owner_id", "pseudonym"])
    rows = [
        {"owner_id": owner_id, "pseudonym": p, "seeker_id": shown[p], "first_shown_at": at}
        for p in missing
    ]
    session.connection().execute(stmt, rows)


def seeker_of(session: Session, owner_id: str, pseudonym: str) -> str | None:
    """The seeker behind a pseudonym this owner was shown, or None."""
    row = session.get(CandidatePseudonym, (owner_id, pseudonym))
    return row.seeker_id if row is not None else None
