"""Tables behind the statistics: employers' yearly staff declarations, plan targets, and the
stored summaries with the write generation they were computed at."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import time_column, utcnow

# Replacing a declaration names the version it read (If-Match): see tables._optimistic.
_DECLARATION_VERSION = sa.Column("version", sa.Integer, nullable=False, default=1)


class StaffDeclaration(SQLModel, table=True):
    """An employer's declared staff for one calendar year (年审申报); the quota of that year
    is computed from it.  The employer's own figures are the current year's declaration."""

    __tablename__ = "staff_declaration"
    __mapper_args__ = {"version_id_col": _DECLARATION_VERSION, "version_id_generator": False}

    employer_id: str = Field(
        sa_column=sa.Column(
            sa.String(40), sa.ForeignKey("employer.id", ondelete="CASCADE"), primary_key=True
        )
    )
    year: int = Field(primary_key=True)
    staff_count: int
    disabled_staff: int
    severe_disabled_staff: int
    average_annual_wage: float | None = None
    established_posts: int | None = None
    declared_by: str = Field(max_length=40)
    declared_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    version: int = Field(default=1, sa_column=_DECLARATION_VERSION)


class PlanTarget(SQLModel, table=True):
    """One target of a policy plan: a metric, over a district and a span of years."""

    __tablename__ = "plan_target"

    id: str = Field(primary_key=True, max_length=40)
    plan: str = Field(max_length=60, index=True)
    district_code: str = Field(max_length=6, index=True)
    year_from: int
    year_to: int
    metric: str = Field(max_length=40)
    target: float
    note: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class StatsGeneration(SQLModel, table=True):
    """The write generation: one row whose counter moves on after every committed write
    to the database (``service.generation``), so a stored summary knows it is current."""

    __tablename__ = "stats_generation"

    id: int = Field(primary_key=True)
    n: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class StatsSummary(SQLModel, table=True):
    """A statistic's published answer (aggregates only, already suppressed), kept with the
    write generation it was computed at; it answers the same question again while no
    write has happened since (``service.services.stats_summary``)."""

    __tablename__ = "stats_summary"

    key: str = Field(primary_key=True, max_length=64)
    generation: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    computed_at: dt.datetime = Field(sa_column=time_column(index=True))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
