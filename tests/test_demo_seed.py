"""The Yangquan demo data set: size, coverage, validity, idempotence, determinism."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from service.access import Action, allowed
from service.config import ConfigurationError, Settings
from service.context import Context
from service.db import make_engine
from service.demo import DEMO_KEYS
from service.demo.keys import DEMO_KEY_NAMES
from service.demo.people import seeker_plans
from service.demo.places import DISTRICT_CODES
from service.demo.seed import SEED, _employer_codes, seed_demo
from service.main import create_app
from service.migrate import upgrade
from service.models.crypto import Cipher
from service.models.enums import Category, EmployerKind, PriorityGroup, Role
from service.models.identifiers import (
    certificate_problem,
    id_facts,
    validate_credit_code,
    validate_id_number,
)
from service.models.tables import Seeker
from service.rules import load_rules, today_in_china
from service.services import seekers as seeker_service

ADMIN = {"X-API-Key": DEMO_KEYS["admin"]}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any]]:
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = Settings(demo=True, database_url=url)
    return settings, seed_demo(settings, only_if_empty=True)


@pytest.fixture(scope="module")
def client(seeded: tuple[Settings, dict[str, Any]]) -> Iterator[TestClient]:
    with TestClient(create_app(seeded[0])) as test_client:
        yield test_client


def _all(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=ADMIN)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def test_summary_counts(seeded: tuple[Settings, dict[str, Any]]) -> None:
    summary = seeded[1]
    assert summary["skipped"] is False
    created = summary["created"]
    assert created["api_keys"] == 5
    assert 35 <= created["employers"] <= 50
    assert 270 <= created["vacancies"] <= 330
    assert 180 <= created["seekers"] <= 230
    assert summary["demo_keys"] == DEMO_KEYS
    assert set(summary["seekers_by_category"]) == {c.value for c in Category}
    assert all(n > 0 for n in summary["seekers_by_priority_group"].values())


def test_counts_through_the_api(client: TestClient) -> None:
    assert 180 <= len(_all(client, "/v1/seekers")) <= 230
    assert 35 <= len(_all(client, "/v1/employers")) <= 50
    assert 270 <= len(_all(client, "/v1/vacancies")) <= 330


def test_seekers_cover_categories_grades_and_groups(client: TestClient) -> None:
    people = _all(client, "/v1/seekers")
    combos = {(p["disability"]["category"], p["disability"]["grade"]) for p in people}
    assert combos == {(c.value, g) for c in Category for g in range(1, 5)}
    groups = {g for p in people for g in p["priority_groups"]}
    assert groups == {g.value for g in PriorityGroup}
    assert {p["sex"] for p in people} == {"male", "female"}
    assert {p["hukou"] for p in people} == {"urban", "rural"}
    assert {p["district_code"] for p in people} == set(DISTRICT_CODES)
    assert {p["status"] for p in people} == {"seeking", "employed", "inactive"}
    ages = [p["age"] for p in people]
    assert min(ages) <= 18 and max(ages) >= 55
    assert all(p["working_age"] for p in people)
    assert all(p["consent"]["sensitive_data"] for p in people)
    # most are assessed, some are not (their abilities are all estimated)
    unassessed = [p for p in people if p["assessment"] is None]
    assert 0 < len(unassessed) < len(people) / 3
    assert all(len(p["abilities_estimated"]) == 13 for p in unassessed)
    for p in people:
        if p["disability"]["category"] == "visual" and p["abilities"]["vision"] <= 1:
            assert "screen_reader" in p["required_accommodations"]
        if "graduate" in p["priority_groups"]:
            assert p["education"] in ("associate", "bachelor", "master", "doctorate")


def test_priority_group_filter_agrees(client: TestClient) -> None:
    blind = _all(client, "/v1/seekers", priority_group="blind")
    assert blind and all(p["disability"]["category"] == "visual" for p in blind)
    graduates = _all(client, "/v1/seekers", priority_group="graduate")
    assert graduates and all("graduate" in p["priority_groups"] for p in graduates)


def test_employers_and_vacancies(client: TestClient) -> None:
    employers = _all(client, "/v1/employers")
    assert {e["kind"] for e in employers} == {k.value for k in EmployerKind}
    for employer in employers:
        assert employer["credit_code_warning"] is None
        assert validate_credit_code(employer["credit_code"]).warning is None
        assert employer["severe_disabled_staff"] <= employer["disabled_staff"] <= \
            employer["staff_count"]
    vacancies = _all(client, "/v1/vacancies")
    assert {v["work_mode"] for v in vacancies} == {"on_site", "hybrid", "remote"}
    assert any(v["public_welfare"] for v in vacancies)
    assert any(v["targeted"] for v in vacancies)
    assert any(v["priority_groups"] for v in vacancies)
    assert any(v["external_id"] for v in vacancies)
    assert _all(client, "/v1/vacancies", work_mode="remote")
    assert _all(client, "/v1/vacancies", public_welfare="true")
    assert {e["id"] for e in employers} >= {v["employer_id"] for v in vacancies}
    today = today_in_china().isoformat()
    for v in vacancies:
        assert 1900 <= v["salary_min"] <= v["salary_max"] <= 8000
        assert 1 <= v["openings"] <= 10
        assert v["closes_on"] > today
        assert all(0 <= level <= 4 for level in v["demands"].values())


def test_stored_identifiers_are_valid(seeded: tuple[Settings, dict[str, Any]]) -> None:
    settings = seeded[0]
    ctx = Context(cipher=Cipher(settings.secret), rules=load_rules(settings.rules_file))
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(Seeker)).all()
            for row in rows:
                number = ctx.cipher.decrypt(row.id_number_enc, seeker_service.ID_CONTEXT)
                cert = ctx.cipher.decrypt(row.certificate_enc, seeker_service.CERT_CONTEXT)
                assert validate_id_number(number) == number
                assert certificate_problem(cert, number, Category(row.category),
                                           row.grade) is None
                facts = id_facts(number)
                assert (facts.birth_date, facts.sex.value) == (row.birth_date, row.sex)
                seeker_service.to_public(row, ctx)  # decrypts and validates the response
    finally:
        engine.dispose()


def test_demo_keys_work(client: TestClient) -> None:
    owners = {s["id"]: s for s in _all(client, "/v1/seekers")}  # the admin sees everyone
    for role, raw in DEMO_KEYS.items():
        headers = {"X-API-Key": raw}
        response = client.get("/v1/vacancies", params={"limit": 1}, headers=headers)
        expected = 200 if allowed(Role(role), Action.read_vacancy) else 403
        assert response.status_code == expected, role
        listed = client.get("/v1/seekers", params={"limit": 200}, headers=headers)
        if not allowed(Role(role), Action.read_seeker):
            assert listed.status_code == 403, role
            continue
        seen = {s["id"] for s in listed.json()["items"]}
        assert seen and seen <= set(owners), role
        if role == "kiosk":  # only the visitors registered at the fair
            registered = {s["id"] for s in owners.values()
                          if s["consent"]["recorded_by"] == _key_id(client, role)}
            assert seen == registered


def _key_id(client: TestClient, role: str) -> str:
    keys = client.get("/v1/api-keys", params={"limit": 200}, headers=ADMIN).json()["items"]
    [key] = [k for k in keys if k["name"] == DEMO_KEY_NAMES[role]]
    return str(key["id"])


def test_second_call_creates_nothing(seeded: tuple[Settings, dict[str, Any]],
                                     client: TestClient) -> None:
    before = len(_all(client, "/v1/seekers"))
    again = seed_demo(seeded[0], only_if_empty=True)
    assert again["skipped"] is True
    assert again["created"] == {"api_keys": 0, "employers": 0, "vacancies": 0, "seekers": 0}
    forced = seed_demo(seeded[0], only_if_empty=False)  # already loaded: still nothing
    assert forced["skipped"] is True and forced["created"]["seekers"] == 0
    assert len(_all(client, "/v1/seekers")) == before


def test_refuses_outside_demo_mode(tmp_path: Path) -> None:
    settings = Settings(demo=False, database_url=f"sqlite:///{tmp_path / 'x.db'}",
                        secret_key="s" * 40)
    with pytest.raises(ConfigurationError):
        seed_demo(settings, only_if_empty=True)


def test_plans_are_deterministic() -> None:
    today = today_in_china()
    first = (_employer_codes(random.Random(SEED)), seeker_plans(random.Random(SEED), today))
    second = (_employer_codes(random.Random(SEED)), seeker_plans(random.Random(SEED), today))
    assert first == second
