"""SQL for seekers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_
from sqlmodel import Session, col, select

from service.models.enums import PriorityGroup
from service.models.tables import ErasedSeeker, Seeker
from service.repositories.pagination import PageParams, fetch_page


@dataclass(frozen=True)
class SeekerFilter:
    district_code: str | None = None
    category: str | None = None
    priority_group: PriorityGroup | None = None
    status: str | None = None
    owner_key_id: str | None = None


def get(session: Session, seeker_id: str) -> Seeker | None:
    return session.get(Seeker, seeker_id)


_TABLE = Seeker.__table__  # type: ignore[attr-defined]


def owner_of(session: Session, seeker_id: str) -> str | None:
    """The owner the seeker was registered by (Core: this runs on every match query)."""
    stmt = sa.select(_TABLE.c.owner_key_id).where(_TABLE.c.id == seeker_id)
    owner: str | None = session.connection().execute(stmt).scalar()
    return owner


def id_hash_holder(
    session: Session, id_hashes: list[str], *, except_id: str | None = None
) -> str | None:
    """The seeker already registered under one of these ID-number hashes, if any."""
    stmt = select(Seeker.id).where(col(Seeker.id_number_hash).in_(id_hashes))
    if except_id:
        stmt = stmt.where(Seeker.id != except_id)
    return session.exec(stmt).first()


def external_id_taken(
    session: Session, owner: str, external_id: str, *, except_id: str | None = None
) -> bool:
    stmt = select(Seeker.id).where(Seeker.owner_key_id == owner, Seeker.external_id == external_id)
    if except_id:
        stmt = stmt.where(Seeker.id != except_id)
    return session.exec(stmt).first() is not None


def candidate_rows(session: Session, ids: list[str], *, shared_only: bool) -> list[Any]:
    """The columns a candidate profile shows, for those of ``ids`` whose consent holds."""
    if not ids:
        return []
    columns = [
        col(c)
        for c in (
            Seeker.id,
            Seeker.category,
            Seeker.grade,
            Seeker.abilities_assessed,
            Seeker.skills,
            Seeker.education,
            Seeker.experience_years,
        )
    ]
    stmt = sa.select(*columns).where(
        col(Seeker.id).in_(ids), col(Seeker.consent_sensitive_data).is_(True)
    )
    if shared_only:
        stmt = stmt.where(col(Seeker.consent_share_with_employers).is_(True))
    return list(session.execute(stmt).all())


def all_seekers(session: Session) -> list[Seeker]:
    return list(session.exec(select(Seeker).order_by(col(Seeker.id))).all())


def save(session: Session, seeker: Seeker) -> Seeker:
    session.add(seeker)
    session.flush()
    return seeker


def delete(session: Session, seeker: Seeker) -> None:
    session.delete(seeker)
    session.flush()


def add_remainder(session: Session, remainder: ErasedSeeker) -> None:
    session.add(remainder)
    session.flush()


@dataclass(frozen=True)
class GroupRules:
    """What the derived priority groups mean on a given day, as SQL needs it."""

    graduated_since: dt.date
    graduate_levels: list[str]
    severe_grades: list[int]


def group_condition(group: PriorityGroup, rules: GroupRules) -> Any:
    conditions: dict[PriorityGroup, Any] = {
        PriorityGroup.graduate: and_(
            col(Seeker.education).in_(rules.graduate_levels),
            col(Seeker.graduation_date).is_not(None),
            col(Seeker.graduation_date) >= rules.graduated_since,
        ),
        PriorityGroup.rural: Seeker.hukou == "rural",
        PriorityGroup.hard_to_employ: col(Seeker.hard_to_employ).is_(True),
        PriorityGroup.poverty_monitoring: col(Seeker.poverty_monitoring).is_(True),
        PriorityGroup.severe_disability: col(Seeker.grade).in_(rules.severe_grades),
        PriorityGroup.blind: Seeker.category == "visual",
    }
    return conditions[group]


def page(
    session: Session, flt: SeekerFilter, params: PageParams, rules: GroupRules
) -> tuple[list[Seeker], str | None]:
    stmt = select(Seeker)
    if flt.district_code:
        stmt = stmt.where(col(Seeker.district_code).startswith(flt.district_code))
    if flt.category:
        stmt = stmt.where(Seeker.category == flt.category)
    if flt.status:
        stmt = stmt.where(Seeker.status == flt.status)
    if flt.owner_key_id:
        stmt = stmt.where(Seeker.owner_key_id == flt.owner_key_id)
    if flt.priority_group:
        stmt = stmt.where(group_condition(flt.priority_group, rules))
    return fetch_page(session, stmt, Seeker.id, params)
