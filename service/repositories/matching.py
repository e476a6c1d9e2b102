"""SQL that feeds the match index: whole tables at build, changed rows on refresh."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, select

from service.models.tables import Employer, Seeker, Vacancy

_CHUNK = 500


def vacancies_with_employers(
    session: Session,
    ids: Sequence[str] | None = None,
    employer_ids: Sequence[str] | None = None,
    batch: int = 5000,
) -> Iterator[tuple[Vacancy, Employer]]:
    stmt: Any = select(Vacancy, Employer).join(Employer, col(Vacancy.employer_id) == Employer.id)
    if ids is None and employer_ids is None:
        yield from session.exec(stmt.execution_options(yield_per=batch))
        return
    for column, wanted in ((Vacancy.id, ids), (Vacancy.employer_id, employer_ids)):
        for start in range(0, len(wanted or ()), _CHUNK):
            chunk = list(wanted or ())[start : start + _CHUNK]
            yield from session.exec(stmt.where(col(column).in_(chunk)))


def seekers(
    session: Session, ids: Sequence[str] | None = None, batch: int = 5000
) -> Iterator[Seeker]:
    stmt: Any = select(Seeker)
    if ids is None:
        yield from session.exec(stmt.execution_options(yield_per=batch))
        return
    for start in range(0, len(ids), _CHUNK):
        yield from session.exec(stmt.where(col(Seeker.id).in_(list(ids[start : start + _CHUNK]))))
