"""SQL for the quota statistics: each employer of an area with its declarations of three
years side by side, in one grouped query."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from service.models.tables import Employer
from service.models.tables_stats import StaffDeclaration

_YEAR_FIGURES = ("staff_count", "disabled_staff", "severe_disabled_staff")
_THIS_YEAR_ONLY = ("average_annual_wage", "established_posts")


def employers_with_declarations(
    session: Session, prefix: str, year: int, back: int = 2
) -> Iterator[Mapping[Any, Any]]:
    """Every employer whose district starts with ``prefix``, with its declared figures of
    ``year`` (``staff_count_0`` ...), ``year - 1`` (``..._1``) down to ``year - back``;
    None where a year was not declared (``declared_0`` is 1 when ``year`` was)."""
    d = StaffDeclaration
    columns: list[Any] = []
    for offset in range(back + 1):
        is_year = col(d.year) == year - offset
        columns.append(sa.func.max(sa.case((is_year, 1), else_=0)).label(f"declared_{offset}"))
        for name in _YEAR_FIGURES + (_THIS_YEAR_ONLY if offset == 0 else ()):
            value = sa.case((is_year, getattr(d, name)), else_=None)
            columns.append(sa.func.max(value).label(f"{name}_{offset}"))
    pivot = (
        sa.select(col(d.employer_id).label("employer_id"), *columns)
        .where(col(d.year).between(year - back, year))
        .group_by(col(d.employer_id))
        .subquery("declared")
    )
    stmt = (
        sa.select(
            col(Employer.id).label("id"),
            col(Employer.name).label("name"),
            col(Employer.credit_code).label("credit_code"),
            col(Employer.kind).label("kind"),
            col(Employer.district_code).label("district_code"),
            col(Employer.school_stage).label("school_stage"),
            *[c for c in pivot.c if c.name != "employer_id"],
        )
        .select_from(Employer)
        .outerjoin(pivot, pivot.c.employer_id == col(Employer.id))
    )
    if prefix:
        stmt = stmt.where(col(Employer.district_code).startswith(prefix))
    # Core rows, streamed: no ORM entity is built for an aggregate pass.
    result = session.connection().execute(stmt.execution_options(yield_per=5000))
    yield from result.mappings()
