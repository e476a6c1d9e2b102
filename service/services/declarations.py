"""Employers' yearly staff declarations: the history the quota statistics count from.

The current year's declaration and the employer's own figures are one record kept in two
places: changing either changes the other (the employer's POST/PATCH upsert this year's
declaration, see ``employers.record_current``; declaring this year sets the employer's
figures, see ``employers.apply_figures``)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.errors import Conflict, NotFound, field_error, raise_if_errors
from service.models.base import as_utc
from service.models.common import FieldProblem
from service.models.declaration import StaffDeclarationCreate, StaffDeclarationPublic
from service.models.tables import Employer
from service.models.tables_stats import StaffDeclaration
from service.repositories import declarations as repo
from service.rules import today_in_china
from service.services import employers

FIRST_YEAR = 2000


def year_problems(year: int) -> list[FieldProblem]:
    this_year = today_in_china().year
    if not FIRST_YEAR <= year <= this_year:
        return [
            field_error(
                "year",
                "year_out_of_range",
                f"a declaration is for a year from {FIRST_YEAR} to {this_year}",
            )
        ]
    return []


def declare(
    session: Session, employer: Employer, year: int, body: StaffDeclarationCreate, declared_by: str
) -> tuple[StaffDeclaration, bool]:
    """Store (or replace) one year's declaration; True when it is new.  This year's also
    becomes the employer's own figures."""
    values = body.model_dump()
    raise_if_errors([*year_problems(year), *employers.figure_problems(values)])
    try:
        declaration, created = repo.upsert(session, employer.id, year, values, declared_by)
    except IntegrityError as exc:  # a concurrent request declared the same year
        raise Conflict(
            f"the {year} declaration was just made by another request; read it and try again"
        ) from exc
    if year == today_in_china().year:
        employers.apply_figures(session, employer, values)
    return declaration, created


def find(session: Session, employer: Employer, year: int) -> StaffDeclaration | None:
    return repo.get(session, employer.id, year)


def get(session: Session, employer: Employer, year: int) -> StaffDeclaration:
    declaration = find(session, employer, year)
    if declaration is None:
        raise NotFound(f"employer {employer.id} has no declaration for {year}")
    return declaration


def list_for(session: Session, employer: Employer) -> list[StaffDeclaration]:
    return repo.list_for(session, employer.id)


def to_public(row: StaffDeclaration) -> StaffDeclarationPublic:
    return StaffDeclarationPublic.model_validate(
        {**row.model_dump(), "declared_at": as_utc(row.declared_at)}
    )
