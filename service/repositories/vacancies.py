"""SQL for vacancies, including the bulk upsert of the import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.models.tables import Vacancy
from service.repositories.pagination import PageParams, fetch_page


@dataclass(frozen=True)
class VacancyFilter:
    employer_id: str | None = None
    status: str | None = None
    district_code: str | None = None
    occupation_code: str | None = None
    work_mode: str | None = None
    employment_type: str | None = None
    targeted: bool | None = None
    public_welfare: bool | None = None
    external_id: str | None = None
    owner_key_id: str | None = None


def get(session: Session, vacancy_id: str) -> Vacancy | None:
    return session.get(Vacancy, vacancy_id)


def external_id_owner(session: Session, owner: str, external_id: str) -> str | None:
    stmt = select(Vacancy.id).where(Vacancy.owner_key_id == owner,
                                    Vacancy.external_id == external_id)
    return session.exec(stmt).first()


def versions_by_external_id(session: Session, owner: str,
                            external_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """For this owner's vacancies with these external ids: external id -> (id, version)."""
    wanted = list(set(external_ids))
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(wanted), 500):  # keep under every driver's parameter limit
        chunk = wanted[start:start + 500]
        # The ids are rendered into the SQL (escaped by SQLAlchemy), so the text differs
        # per call and PostgreSQL plans it afresh each time with the real values.  As a
        # bound list, psycopg prepared it after 5 runs and the server kept a generic plan
        # made while the table was small: a filter over all the owner's rows, O(rows x
        # batch), which made imports slower as the table grew.
        ids: BindParameter[list[str]] = bindparam("external_ids", chunk, expanding=True,
                                                  literal_execute=True)
        stmt = select(Vacancy.external_id, Vacancy.id, Vacancy.version).where(
            Vacancy.owner_key_id == owner, col(Vacancy.external_id).in_(ids))
        found.update({ext: (vid, ver) for ext, vid, ver in session.exec(stmt).all() if ext})
    return found


def save(session: Session, vacancy: Vacancy) -> Vacancy:
    session.add(vacancy)
    session.flush()
    return vacancy


def delete(session: Session, vacancy: Vacancy) -> None:
    session.delete(vacancy)
    session.flush()


_TABLE = Vacancy.__table__  # type: ignore[attr-defined]


def bulk_write(session: Session, inserts: list[dict[str, Any]],
               updates: list[dict[str, Any]]) -> set[str]:
    """Insert and update many rows; returns the ids of rows that failed.

    One statement each when all rows are good; if the database refuses the batch, each
    row is retried in its own savepoint, so one bad row costs only itself.
    """
    try:
        with session.begin_nested():
            _write(session, inserts, updates)
        return set()
    except IntegrityError:
        failed: set[str] = set()
        for row in inserts:
            failed |= _write_one(session, [row], [])
        for row in updates:
            failed |= _write_one(session, [], [row])
        return failed


def _write_one(session: Session, inserts: list[dict[str, Any]],
               updates: list[dict[str, Any]]) -> set[str]:
    try:
        with session.begin_nested():
            _write(session, inserts, updates)
        return set()
    except IntegrityError:
        return {row["id"] for row in inserts + updates}


def _write(session: Session, inserts: list[dict[str, Any]],
           updates: list[dict[str, Any]]) -> None:
    if inserts:
        # render_nulls: every row has the same columns, so all rows go out as one
        # executemany; otherwise each run of rows with the same None columns (no location,
        # no closing date...) is a statement of its own.
        session.execute(insert(Vacancy).execution_options(render_nulls=True), inserts)
    if updates:
        # Core, not the ORM's bulk update by primary key: that one would read "version" as
        # the version to match (optimistic locking); an import is last-writer-wins.
        names = [c for c in updates[0] if c != "id"]
        stmt = (update(_TABLE).where(_TABLE.c.id == bindparam("b_id"))
                .values({c: bindparam(f"b_{c}") for c in names}))
        session.connection().execute(stmt, [{f"b_{k}": v for k, v in row.items()}
                                            for row in updates])


def page(session: Session, flt: VacancyFilter,
         params: PageParams) -> tuple[list[Vacancy], str | None]:
    stmt = select(Vacancy)
    exact = {"employer_id": flt.employer_id, "status": flt.status,
             "work_mode": flt.work_mode, "employment_type": flt.employment_type,
             "targeted": flt.targeted, "public_welfare": flt.public_welfare,
             "external_id": flt.external_id, "owner_key_id": flt.owner_key_id}
    for name, value in exact.items():
        if value is not None:
            stmt = stmt.where(getattr(Vacancy, name) == value)
    if flt.district_code:
        stmt = stmt.where(col(Vacancy.district_code).startswith(flt.district_code))
    if flt.occupation_code:
        stmt = stmt.where(col(Vacancy.occupation_code).startswith(flt.occupation_code))
    return fetch_page(session, stmt, Vacancy.id, params)
