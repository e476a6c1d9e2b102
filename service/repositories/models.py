"""SQL for the model registry: versions, activations, and the referrals a model ranked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from service.models.tables import FollowUpVisit, ModelActivation, ModelVersion, Placement, Referral

_VERSION = ModelVersion.__table__  # type: ignore[attr-defined]
_ACTIVATION = ModelActivation.__table__  # type: ignore[attr-defined]


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def head(session: Session) -> tuple[int, str] | None:
    """(id, version) of the newest activation: the active version.  One indexed row."""
    row = session.exec(
        select(ModelActivation.id, ModelActivation.version)
        .order_by(col(ModelActivation.id).desc())
        .limit(1)
    ).first()
    return (int(row[0] or 0), str(row[1])) if row is not None else None


def get(session: Session, version: str) -> ModelVersion | None:
    return session.get(ModelVersion, version)


def exists(session: Session, version: str) -> bool:
    return (
        session.exec(select(ModelVersion.version).where(ModelVersion.version == version)).first()
        is not None
    )


def versions(session: Session) -> list[ModelVersion]:
    """Every version, newest first."""
    return list(
        session.exec(
            select(ModelVersion).order_by(
                col(ModelVersion.created_at).desc(), col(ModelVersion.version).desc()
            )
        ).all()
    )


def activations(session: Session, version: str | None = None) -> list[ModelActivation]:
    """The activation history (of one version, or all), newest first."""
    stmt = select(ModelActivation).order_by(col(ModelActivation.id).desc())
    if version is not None:
        stmt = stmt.where(ModelActivation.version == version)
    return list(session.exec(stmt).all())


def add_version(session: Session, row: ModelVersion) -> None:
    session.add(row)
    session.flush()


def add_version_if_absent(session: Session, values: dict[str, Any]) -> None:
    """Insert a version unless one with this name exists (two processes starting at once
    register the shipped model once)."""
    stmt = _insert(session, _VERSION).on_conflict_do_nothing(index_elements=["version"])
    session.connection().execute(stmt, [values])


def add_first_activation(session: Session, values: dict[str, Any]) -> None:
    """The first activation (``supersedes`` 0), unless another process made it already."""
    stmt = _insert(session, _ACTIVATION).on_conflict_do_nothing(index_elements=["supersedes"])
    session.connection().execute(stmt, [{**values, "supersedes": 0}])


def add_activation(session: Session, row: ModelActivation) -> ModelActivation:
    """Raises IntegrityError if another activation superseded the same one meanwhile."""
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class RankedReferral:
    """A referral this version scored, with the placement made from it (if any)."""

    seeker_id: str
    status: str
    probability: float | None
    rank: int | None
    placement_id: str | None
    end_date: dt.date | None
    six_months_on: dt.date | None


def ranked_by(session: Session, version: str, since: dt.datetime) -> list[RankedReferral]:
    """The referrals this version scored since ``since``, each with its placement."""
    r, p = Referral, Placement
    stmt = (
        sa.select(
            col(r.seeker_id),
            col(r.status),
            col(r.probability),
            col(r.rank),
            col(p.id),
            col(p.end_date),
            col(p.six_months_on),
        )
        .outerjoin(p, col(p.referral_id) == col(r.id))
        .where(col(r.model_version) == version, col(r.created_at) >= since)
    )
    return [RankedReferral(*row) for row in session.connection().execute(stmt)]


def visits_of_ranked(
    session: Session, version: str, since: dt.datetime
) -> dict[str, list[FollowUpVisit]]:
    """placement id -> its follow-up visits, for the placements of ``ranked_by``."""
    stmt = (
        select(FollowUpVisit)
        .join(Placement, col(Placement.id) == col(FollowUpVisit.placement_id))
        .join(Referral, col(Referral.id) == col(Placement.referral_id))
        .where(Referral.model_version == version, col(Referral.created_at) >= since)
    )
    out: dict[str, list[FollowUpVisit]] = {}
    for visit in session.exec(stmt).all():
        out.setdefault(visit.placement_id, []).append(visit)
    return out
