"""SQL for vacancies, including the bulk upsert of the import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, col, select

from service.models.tables import Employer, Vacancy
from service.repositories.pagination import PageParams, encode_cursor


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
    stmt = select(Vacancy.id).where(
        Vacancy.owner_key_id == owner, Vacancy.external_id == external_id
    )
    return session.exec(stmt).first()


def employer_owners(session: Session, ids: set[str]) -> dict[str, str]:
    """Employer id -> the key that owns it, for those of ``ids`` that exist."""
    if not ids:
        return {}
    stmt = select(Employer.id, Employer.owner_key_id).where(col(Employer.id).in_(ids))
    return dict(session.exec(stmt).all())


def employer_ref(session: Session, employer_id: str) -> tuple[str, str] | None:
    """The name and kind of a vacancy's employer."""
    stmt = select(Employer.name, Employer.kind).where(Employer.id == employer_id)
    row = session.exec(stmt).first()
    return (row[0], row[1]) if row is not None else None


def save(session: Session, vacancy: Vacancy) -> Vacancy:
    session.add(vacancy)
    session.flush()
    return vacancy


def delete(session: Session, vacancy: Vacancy) -> None:
    session.delete(vacancy)
    session.flush()


_TABLE = Vacancy.__table__  # type: ignore[attr-defined]


def bulk_write(session: Session, inserts: list[dict[str, Any]]) -> dict[str, str | None]:
    """Upsert many rows by (owner, external_id); proposed id -> stored id (None: refused).

    A row whose (owner, external_id) exists, or comes into existence in a concurrent import,
    updates that row instead (its version goes up by one in SQL).  One statement when all
    rows are good; if the database refuses the batch, each row is retried in its own
    savepoint, so one bad row costs only itself.
    """
    # Same lock order in every import: two imports touching the same rows cannot deadlock.
    rows = sorted(inserts, key=lambda r: (r["external_id"] is None, r["external_id"] or ""))
    try:
        with session.begin_nested():
            return _write(session, rows)
    except (IntegrityError, DataError):
        stored: dict[str, str | None] = {}
        for row in rows:
            stored.update(_write_one(session, row))
        return stored


def _write_one(session: Session, row: dict[str, Any]) -> dict[str, str | None]:
    try:
        with session.begin_nested():
            return _write(session, [row])
    except (IntegrityError, DataError):
        return {row["id"]: None}


_KEEP = {"id", "owner_key_id", "status", "version", "created_at"}


def _write(session: Session, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = make_insert(_TABLE)
    updated = {c: stmt.excluded[c] for c in rows[0] if c not in _KEEP}
    updated["version"] = _TABLE.c.version + 1
    stmt = stmt.on_conflict_do_update(index_elements=["owner_key_id", "external_id"], set_=updated)
    # No RETURNING: without it the rows go out as one pipelined executemany (with it,
    # PostgreSQL gets a multi-row VALUES of some 30,000 parameters, 2.5x slower here).
    # render_nulls: every row has the same columns, so all of them share one statement.
    session.connection().execute(stmt.execution_options(render_nulls=True), rows)
    # Which row each external id landed in: its own (proposed) id if it was inserted, the
    # existing row's otherwise.  The upsert holds those rows' locks until the commit, so
    # no concurrent import can move them in between.
    owner = rows[0]["owner_key_id"]
    external = [row["external_id"] for row in rows if row["external_id"] is not None]
    by_ext = stored_ids(session, owner, external) if external else {}
    return {
        row["id"]: by_ext.get(row["external_id"], row["id"]) if row["external_id"] else row["id"]
        for row in rows
    }


def stored_ids(session: Session, owner: str, external_ids: list[str]) -> dict[str, str]:
    """External id -> the id of the row that holds it, for one owner."""
    # Literal values: a prepared generic plan, made while the table was small, would
    # filter all the owner's rows (O(rows x batch)) and slow imports as the table grows.
    ids: BindParameter[list[str]] = bindparam(
        "external_ids", external_ids, expanding=True, literal_execute=True
    )
    stmt = select(Vacancy.external_id, Vacancy.id).where(
        Vacancy.owner_key_id == owner, col(Vacancy.external_id).in_(ids)
    )
    return {ext: vid for ext, vid in session.exec(stmt).all() if ext is not None}


def page(
    session: Session, flt: VacancyFilter, params: PageParams
) -> tuple[list[tuple[Vacancy, str, str]], str | None]:
    """A page of vacancies, each with its employer's name and kind (one joined query)."""
    stmt = select(Vacancy, Employer.name, Employer.kind).join(
        Employer, col(Employer.id) == col(Vacancy.employer_id)
    )
    exact = {
        "employer_id": flt.employer_id,
        "status": flt.status,
        "work_mode": flt.work_mode,
        "employment_type": flt.employment_type,
        "targeted": flt.targeted,
        "public_welfare": flt.public_welfare,
        "external_id": flt.external_id,
        "owner_key_id": flt.owner_key_id,
    }
    for name, value in exact.items():
        if value is not None:
            stmt = stmt.where(getattr(Vacancy, name) == value)
    if flt.district_code:
        stmt = stmt.where(col(Vacancy.district_code).startswith(flt.district_code))
    if flt.occupation_code:
        stmt = stmt.where(col(Vacancy.occupation_code).startswith(flt.occupation_code))
    if params.after is not None:
        stmt = stmt.where(col(Vacancy.id) > params.after)
    rows = [
        (v, name, kind)
        for v, name, kind in session.exec(
            stmt.order_by(col(Vacancy.id)).limit(params.limit + 1)
        ).all()
    ]
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(rows[-1][0].id)
    return rows, None
