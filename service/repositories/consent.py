"""SQL for the consent history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from service.models.tables import ConsentRecord


def add(
    session: Session,
    seeker_id: str,
    *,
    sensitive_data: bool,
    share_with_employers: bool,
    at: dt.datetime,
    by: str,
) -> None:
    session.execute(
        insert(ConsentRecord),
        [
            {
                "seeker_id": seeker_id,
                "sensitive_data": sensitive_data,
                "share_with_employers": share_with_employers,
                "recorded_at": at,
                "recorded_by": by,
            }
        ],
    )


def history(session: Session, seeker_id: str) -> list[ConsentRecord]:
    stmt = (
        select(ConsentRecord)
        .where(ConsentRecord.seeker_id == seeker_id)
        .order_by(col(ConsentRecord.id))
    )
    return list(session.exec(stmt).all())


def delete_for(session: Session, seeker_id: str) -> None:
    session.execute(delete(ConsentRecord).where(col(ConsentRecord.seeker_id) == seeker_id))
