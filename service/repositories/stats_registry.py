"""SQL for counts of organisations and their vacancies (not people: not suppressed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from service.models.tables import Employer, Vacancy

_VACANCY: dict[str, Any] = {
    "employer_kind": col(Employer.kind),
    "work_mode": col(Vacancy.work_mode),
    "occupation": sa.func.coalesce(sa.func.substr(col(Vacancy.occupation_code), 1, 1), "none"),
    "targeted": sa.case((col(Vacancy.targeted).is_(True), "true"), else_="false"),
    "public_welfare": sa.case((col(Vacancy.public_welfare).is_(True), "true"), else_="false"),
    "district": col(Vacancy.district_code),
}
_EMPLOYER: dict[str, Any] = {
    "kind": col(Employer.kind),
    "district": col(Employer.district_code),
    "school_stage": sa.func.coalesce(col(Employer.school_stage), "none"),
}


def open_vacancies(session: Session, fields: Sequence[str]) -> list[dict[str, Any]]:
    """Open vacancies grouped by ``fields``: ``n`` vacancies, ``openings`` still unfilled."""
    columns = [_VACANCY[f].label(f) for f in fields]
    unfilled = sa.func.sum(col(Vacancy.openings) - col(Vacancy.openings_filled))
    stmt = (
        sa.select(*columns, sa.func.count().label("n"), unfilled.label("openings"))
        .select_from(Vacancy)
        .join(Employer, col(Employer.id) == col(Vacancy.employer_id))
        .where(col(Vacancy.status) == "open")
    )
    if columns:
        stmt = stmt.group_by(*[sa.literal_column(str(i)) for i in range(1, len(columns) + 1)])
    return [dict(r._mapping) for r in session.execute(stmt)]


def employers(session: Session, fields: Sequence[str]) -> list[dict[str, Any]]:
    columns = [_EMPLOYER[f].label(f) for f in fields]
    stmt = sa.select(*columns, sa.func.count().label("n")).select_from(Employer)
    if columns:
        stmt = stmt.group_by(*[sa.literal_column(str(i)) for i in range(1, len(columns) + 1)])
    return [dict(r._mapping) for r in session.execute(stmt)]
