"""Builders for the placement tests: people, employers and vacancies through the API;
referrals as rows (the referral pipeline has tests of its own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.models.base import new_id, utcnow
from service.models.tables import Referral
from service.rules import today_in_china
from service.services.follow_ups import add_months

TODAY = today_in_china()


def months_ago(months: int, days: int = 0) -> dt.date:
    return add_months(TODAY, -months) - dt.timedelta(days=days)


def placement_body(seeker_id: str, employer_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seeker_id": seeker_id,
        "employer_id": employer_id,
        "start_date": (TODAY - dt.timedelta(days=3)).isoformat(),
        "form": "quota",
        "counts_as_new": True,
    }
    body.update(overrides)
    return body


def place(
    client: TestClient,
    seeker_id: str,
    employer_id: str,
    headers: dict[str, str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    for name, value in overrides.items():
        if isinstance(value, dt.date):
            overrides[name] = value.isoformat()
    response = client.post(
        "/v1/placements", headers=headers, json=placement_body(seeker_id, employer_id, **overrides)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def visit(
    client: TestClient,
    placement_id: str,
    day: dt.date,
    *,
    still_employed: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    response = client.post(
        f"/v1/placements/{placement_id}/follow-ups",
        json={
            "date": day.isoformat(),
            "method": "phone",
            "still_employed": still_employed,
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_referral(
    engine: sa.Engine, seeker_id: str, vacancy_id: str, status: str = "offered"
) -> str:
    """A referral row in ``status``, as the referral routes would leave it."""
    with engine.connect() as conn:
        employer_id, owner = conn.execute(
            sa.text("SELECT employer_id, owner_key_id FROM vacancy WHERE id = :v"),
            {"v": vacancy_id},
        ).one()
    referral_id = new_id("ref")
    referral = Referral(
        id=referral_id,
        seeker_id=seeker_id,
        vacancy_id=vacancy_id,
        employer_id=employer_id,
        vacancy_owner_key_id=owner,
        source="counselor",
        status=status,
        model_version="test",
        created_by=owner,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    with Session(engine) as session:
        session.add(referral)
        session.commit()
    return referral_id


def registered_long_ago(engine: sa.Engine, seeker_id: str) -> None:
    """Date the seeker's registration two years back, as for a person registered then."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE seeker_status_change SET date = :d WHERE seeker_id = :s"),
            {"d": add_months(TODAY, -24), "s": seeker_id},
        )


def status_history(engine: sa.Engine, seeker_id: str) -> list[dict[str, Any]]:
    """Oldest first; dates as ISO text on both databases."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status, date, cause, placement_id FROM seeker_status_change "
                "WHERE seeker_id = :s ORDER BY date, id"
            ),
            {"s": seeker_id},
        ).mappings()
        return [{**r, "date": str(r["date"])} for r in rows]


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()
