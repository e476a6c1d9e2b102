"""SQL for employers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.models.tables import Employer, Vacancy
from service.repositories.pagination import PageParams, fetch_page


@dataclass(frozen=True)
class EmployerFilter:
    kind: str | None = None
    district_code: str | None = None
    credit_code: str | None = None
    owner_key_id: str | None = None


def get(session: Session, employer_id: str) -> Employer | None:
    return session.get(Employer, employer_id)


def existing_ids(session: Session, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    return set(session.exec(select(Employer.id).where(col(Employer.id).in_(ids))).all())


def credit_code_taken(session: Session, code: str, *, except_id: str | None = None) -> bool:
    stmt = select(Employer.id).where(Employer.credit_code == code)
    if except_id:
        stmt = stmt.where(Employer.id != except_id)
    return session.exec(stmt).first() is not None


def has_vacancies(session: Session, employer_id: str) -> bool:
    stmt = select(Vacancy.id).where(Vacancy.employer_id == employer_id).limit(1)
    return session.exec(stmt).first() is not None


def save(session: Session, employer: Employer) -> Employer:
    session.add(employer)
    session.flush()
    return employer


def delete(session: Session, employer: Employer) -> None:
    session.delete(employer)
    session.flush()


def page(
    session: Session, flt: EmployerFilter, params: PageParams
) -> tuple[list[Employer], str | None]:
    stmt = select(Employer)
    if flt.kind:
        stmt = stmt.where(Employer.kind == flt.kind)
    if flt.district_code:
        stmt = stmt.where(col(Employer.district_code).startswith(flt.district_code))
    if flt.credit_code:
        stmt = stmt.where(Employer.credit_code == flt.credit_code)
    if flt.owner_key_id:
        stmt = stmt.where(Employer.owner_key_id == flt.owner_key_id)
    return fetch_page(session, stmt, Employer.id, params)
