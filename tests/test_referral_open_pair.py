"""One open referral per person and vacancy: the service's check answers first, and a
unique partial index has the last word when two requests race past it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.models.tables import OPEN_REFERRAL_STATUSES
from service.services.referral_flow import OPEN
from tests.match_helpers import make_employer, make_seeker, make_vacancy


def test_the_index_names_the_pipelines_open_statuses() -> None:
    assert set(OPEN_REFERRAL_STATUSES) == {s.value for s in OPEN}


def _row(
    referral_id: str, seeker: str, vacancy: str, employer: str, status: str
) -> dict[str, object]:
    return {
        "id": referral_id,
        "seeker_id": seeker,
        "vacancy_id": vacancy,
        "employer_id": employer,
        "vacancy_owner_key_id": "key_x",
        "source": "counselor",
        "status": status,
        "model_version": "m",
        "eligible": True,
        "overridden": "[]",
        "created_by": "key_x",
        "version": 1,
        "created_at": "2026-12-01 00:00:00+00",
        "updated_at": "2026-12-01 00:00:00+00",
    }


def test_the_database_refuses_a_second_open_referral(client: TestClient, raw_db: sa.Engine) -> None:
    seeker, employer = make_seeker(client), make_employer(client)
    vacancy = make_vacancy(client, employer)
    columns = ", ".join(_row("a", "", "", "", ""))
    insert = sa.text(
        f"INSERT INTO referral ({columns}) VALUES "
        f"({', '.join(':' + c for c in _row('a', '', '', '', ''))})"
    )
    with raw_db.begin() as conn:
        conn.execute(insert, _row("ref_1", seeker, vacancy, employer, "hired"))
        conn.execute(insert, _row("ref_2", seeker, vacancy, employer, "interviewed"))
    with pytest.raises(sa.exc.IntegrityError), raw_db.begin() as conn:
        conn.execute(insert, _row("ref_3", seeker, vacancy, employer, "referred"))
    with raw_db.begin() as conn:  # a closed one beside the open one is history
        conn.execute(insert, _row("ref_4", seeker, vacancy, employer, "withdrawn"))
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM referral")).scalar_one() == 3
