"""The Yangquan demo data set: size, coverage, validity, idempotence, determinism, and
its year of casework (services, referrals, placements, follow-up visits)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
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
from service.models.base import as_utc, utcnow
from service.models.crypto import Cipher
from service.models.enums import (
    Category,
    EmployerKind,
    PriorityGroup,
    ReferralStatus,
    Role,
    ServiceType,
)
from service.models.identifiers import (
    certificate_problem,
    id_facts,
    validate_credit_code,
    validate_id_number,
)
from service.models.tables import (
    ApiKey,
    Employer,
    FollowUpVisit,
    Placement,
    Referral,
    ReferralEvent,
    Seeker,
    SeekerStatusChange,
    ServiceRecord,
    Vacancy,
)
from service.rules import CHINA_TZ, load_rules, today_in_china
from service.services import seekers as seeker_service
from service.services.referral_flow import PARTNER_MOVES, REASONS, TRANSITIONS

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
        assert (
            employer["severe_disabled_staff"]
            <= employer["disabled_staff"]
            <= employer["staff_count"]
        )
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
                assert certificate_problem(cert, number, Category(row.category), row.grade) is None
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
            registered = {
                s["id"]
                for s in owners.values()
                if s["consent"]["recorded_by"] == _key_id(client, role)
            }
            assert seen == registered


def _key_id(client: TestClient, role: str) -> str:
    keys = client.get("/v1/api-keys", params={"limit": 200}, headers=ADMIN).json()["items"]
    [key] = [k for k in keys if k["name"] == DEMO_KEY_NAMES[role]]
    return str(key["id"])


def test_second_call_creates_nothing(
    seeded: tuple[Settings, dict[str, Any]], client: TestClient
) -> None:
    before = len(_all(client, "/v1/seekers"))
    again = seed_demo(seeded[0], only_if_empty=True)
    assert again["skipped"] is True
    assert again["created"] == {"api_keys": 0, "employers": 0, "vacancies": 0, "seekers": 0}
    forced = seed_demo(seeded[0], only_if_empty=False)  # already loaded: still nothing
    assert forced["skipped"] is True and forced["created"]["seekers"] == 0
    assert len(_all(client, "/v1/seekers")) == before


def test_refuses_outside_demo_mode(tmp_path: Path) -> None:
    settings = Settings(
        demo=False, database_url=f"sqlite:///{tmp_path / 'x.db'}", secret_key="s" * 40
    )
    with pytest.raises(ConfigurationError):
        seed_demo(settings, only_if_empty=True)


def test_plans_are_deterministic() -> None:
    today = today_in_china()
    first = (_employer_codes(random.Random(SEED)), seeker_plans(random.Random(SEED), today))
    second = (_employer_codes(random.Random(SEED)), seeker_plans(random.Random(SEED), today))
    assert first == second


# -- the year of casework ---------------------------------------------------------------

CASEWORK = {
    "seekers": Seeker,
    "services": ServiceRecord,
    "statuses": SeekerStatusChange,
    "referrals": Referral,
    "events": ReferralEvent,
    "placements": Placement,
    "visits": FollowUpVisit,
    "vacancies": Vacancy,
    "employers": Employer,
    "keys": ApiKey,
}


@pytest.fixture(scope="module")
def stored(seeded: tuple[Settings, dict[str, Any]]) -> dict[str, list[Any]]:
    """Every row of the casework tables (and what they refer to), as stored."""
    engine = make_engine(seeded[0].database_url)
    try:
        with Session(engine) as session:
            return {name: list(session.exec(select(model))) for name, model in CASEWORK.items()}
    finally:
        engine.dispose()


def _china_day(instant: dt.datetime) -> dt.date:
    return as_utc(instant).astimezone(CHINA_TZ).date()


def _demo_key(stored: dict[str, list[Any]], role: str) -> str:
    [key] = [k.id for k in stored["keys"] if k.name == DEMO_KEY_NAMES[role]]
    return str(key)


def test_casework_summary_is_what_is_stored(
    seeded: tuple[Settings, dict[str, Any]], stored: dict[str, list[Any]], client: TestClient
) -> None:
    casework = seeded[1]["casework"]
    kinds = Counter(r.type for r in stored["services"])
    assert casework["services_by_type"] == {t.value: kinds[t.value] for t in ServiceType}
    statuses = Counter(r.status for r in stored["referrals"])
    assert casework["referrals"] == len(stored["referrals"])
    assert casework["referrals_by_status"] == {s.value: statuses[s.value] for s in ReferralStatus}
    placements = stored["placements"]
    assert casework["placements"] == len(placements)
    assert casework["placements_by_form"] == dict(Counter(p.form for p in placements))
    assert casework["placements_from_referrals"] == sum(
        p.referral_id is not None for p in placements
    )
    assert casework["placements_ended"] == sum(p.end_date is not None for p in placements)
    assert casework["follow_up_visits"] == len(stored["visits"])
    due = _all(client, "/v1/follow-ups")  # what falls due within 14 days, and is overdue
    assert casework["follow_ups_due_now"] == len(due)
    assert casework["follow_ups_overdue"] == sum(d["status"] == "overdue" for d in due)
    assert seeded[1]["seekers_by_status"] == dict(
        sorted(Counter(s.status for s in stored["seekers"]).items())
    )


def test_casework_covers_the_whole_loop(
    seeded: tuple[Settings, dict[str, Any]], stored: dict[str, list[Any]]
) -> None:
    seekers = {s.id: s for s in stored["seekers"]}
    by_type: dict[str, list[ServiceRecord]] = defaultdict(list)
    for record in stored["services"]:
        by_type[record.type].append(record)
    checked = {r.seeker_id: r for r in by_type["basic_info_check"]}
    assert 0.8 <= len(checked) / len(seekers) <= 0.97  # about nine in ten
    need = {s for s, r in checked.items() if r.details["has_employment_need"]}
    assert 0.6 <= len(need) / len(checked) <= 0.9  # about three in four
    assert all(checked[s].details["labour_capacity"] in ("full", "partial") for s in need)
    served = [
        s
        for s in need
        if all(
            any(r.seeker_id == s for r in by_type[t])
            for t in ("ability_assessment", "needs_registration", "employment_service")
        )
    ]
    assert len(served) >= 0.9 * len(need)  # all but those checked in the last days
    assert {r.details["subtype"] for r in by_type["employment_service"]} >= {
        "career_guidance",
        "policy_consultation",
        "match_referral",
    }
    assert 0.05 <= len(by_type["training"]) / len(need) <= 0.3
    assert all(
        seekers[r.seeker_id].hukou == "rural"
        for r in by_type["training"]
        if r.details["kind"] == "rural_practical"
    )
    statuses = Counter(r.status for r in stored["referrals"])
    for closed in ("hired", "declined_by_seeker", "rejected_by_employer", "withdrawn"):
        assert statuses[closed] > 0, closed
    assert (
        sum(statuses[s] for s in ("referred", "interview_scheduled", "interviewed", "offered")) > 0
    )  # some still under way
    assert {r.source for r in stored["referrals"]} >= {"match", "fair", "counselor"}
    placements = stored["placements"]
    assert len(placements) >= 20 and len({p.form for p in placements}) >= 5
    assert 0.7 <= sum(p.counts_as_new for p in placements) / len(placements) < 1
    ended = [p for p in placements if p.end_date is not None]
    assert ended and all(p.end_reason for p in ended)
    left = [v for v in stored["visits"] if not v.still_employed]
    assert left and all(v.reason_left for v in left)
    assert {s.status for s in seekers.values()} == {"seeking", "employed", "inactive"}


def test_forms_follow_the_employer(stored: dict[str, list[Any]]) -> None:
    employers = {e.id: e for e in stored["employers"]}
    vacancies = {v.id: v for v in stored["vacancies"]}
    by_kind = {
        "sheltered_workshop": "sheltered",
        "blind_massage": "blind_massage",
        "concentrated_employer": "concentrated",
        "platform": "flexible",
    }
    for p in stored["placements"]:
        if p.vacancy_id is None:
            assert p.referral_id is None
            assert p.form in ("self_employed", "flexible", "rural_production")
            continue
        vacancy, kind = vacancies[p.vacancy_id], employers[p.employer_id].kind
        expected = "public_welfare" if vacancy.public_welfare else by_kind.get(kind)
        assert (
            p.form == expected
            if expected
            else p.form in ("quota", "home_based", "dispatch", "flexible")
        )


def test_placements_agree_with_status_and_openings(stored: dict[str, list[Any]]) -> None:
    seekers = {s.id: s for s in stored["seekers"]}
    referrals = {r.id: r for r in stored["referrals"]}
    running = Counter(p.seeker_id for p in stored["placements"] if p.end_date is None)
    for p in stored["placements"]:
        assert p.end_date is not None or seekers[p.seeker_id].status == "employed"
        if p.referral_id is not None:
            referral = referrals[p.referral_id]
            assert (referral.status, referral.vacancy_id) == ("hired", p.vacancy_id)
    assert all(running[s.id] == 1 for s in seekers.values() if s.status == "employed")
    assert max(running.values()) == 1
    filled = Counter(p.vacancy_id for p in stored["placements"] if p.vacancy_id)
    assert filled
    for v in stored["vacancies"]:
        assert v.openings_filled == filled[v.id]
        assert (v.status == "filled") == (v.openings_filled >= v.openings)
    assert sum(r.status == "hired" for r in referrals.values()) == sum(
        p.referral_id is not None for p in stored["placements"]
    )


def test_referral_events_follow_the_pipeline(stored: dict[str, list[Any]]) -> None:
    events: dict[str, list[ReferralEvent]] = defaultdict(list)
    for e in stored["events"]:
        events[e.referral_id].append(e)
    vacancies = {v.id: v for v in stored["vacancies"]}
    partner, counselor = _demo_key(stored, "partner"), _demo_key(stored, "counselor")
    now = utcnow()
    for referral in stored["referrals"]:
        chain = sorted(events[referral.id], key=lambda e: (as_utc(e.at), e.id))
        first, *moves = chain
        assert (first.from_status, first.to_status) == (None, "referred")
        assert as_utc(first.at) == as_utc(referral.created_at)
        assert referral.created_by == first.key_id == counselor
        previous = first
        for e in moves:
            assert as_utc(previous.at) < as_utc(e.at) <= now
            assert e.from_status == previous.to_status
            assert ReferralStatus(e.to_status) in TRANSITIONS[ReferralStatus(e.from_status)]
            allowed = REASONS.get(ReferralStatus(e.to_status))
            assert (e.reason_code in allowed) if allowed else e.reason_code is None
            if e.key_id == partner:  # the employer's side, on the partner's own vacancy
                assert ReferralStatus(e.to_status) in PARTNER_MOVES
                assert vacancies[referral.vacancy_id].owner_key_id == partner
            else:
                assert e.key_id == counselor
            previous = e
        assert previous.to_status == referral.status
        assert as_utc(referral.updated_at) == as_utc(previous.at)
        if referral.interview_at is not None:
            assert as_utc(referral.interview_at) > as_utc(referral.created_at)
        if referral.source == "counselor":
            assert referral.rank is None
        else:
            assert referral.rank is not None and 1 <= referral.rank <= referral.shown
    assert any(e.key_id == partner for e in stored["events"])


def test_casework_is_dated_over_the_past_year(stored: dict[str, list[Any]]) -> None:
    today, now = today_in_china(), utcnow()
    year_ago = today - dt.timedelta(days=366)
    seekers = {s.id: s for s in stored["seekers"]}
    counselor = _demo_key(stored, "counselor")
    for r in stored["services"]:
        assert year_ago <= r.date <= today and r.date >= seekers[r.seeker_id].birth_date
        assert _china_day(r.created_at) == r.date and r.recorded_by == counselor
        if r.type == "training" and r.details["completed"]:
            assert dt.date.fromisoformat(r.details["end_date"]) <= today
    for e in stored["statuses"]:
        assert e.date <= today and _china_day(e.created_at) == e.date
    for r in stored["referrals"]:
        assert year_ago <= _china_day(r.created_at) and as_utc(r.updated_at) <= now
    assert len({_china_day(r.created_at).month for r in stored["referrals"]}) >= 10
    placements = {p.id: p for p in stored["placements"]}
    for p in placements.values():
        assert year_ago <= p.start_date <= today and _china_day(p.created_at) == p.start_date
        assert p.end_date is None or p.start_date <= p.end_date <= today
    for v in stored["visits"]:
        assert placements[v.placement_id].start_date <= v.date <= today
        assert _china_day(v.created_at) == v.date
    employers = {e.id: e for e in stored["employers"]}
    for v in stored["vacancies"]:  # posted over the year, by employers registered before
        assert as_utc(employers[v.employer_id].created_at) < as_utc(v.created_at) <= now


def test_status_history_is_dated_by_the_casework(stored: dict[str, list[Any]]) -> None:
    history: dict[str, list[SeekerStatusChange]] = defaultdict(list)
    for e in stored["statuses"]:
        history[e.seeker_id].append(e)
    placements = {p.id: p for p in stored["placements"]}
    for seeker in stored["seekers"]:
        entries = sorted(history[seeker.id], key=lambda e: (e.date, e.id))
        first = entries[0]
        assert first.cause == "registration" and first.date == _china_day(seeker.created_at)
        assert entries[-1].status == seeker.status  # the newest entry is the status
        for e in entries[1:]:
            assert e.cause in ("placement", "placement_ended", "left_labour_market")
            if e.cause == "placement":
                assert e.date == placements[e.placement_id].start_date
            elif e.cause == "placement_ended":
                assert e.date == placements[e.placement_id].end_date
        if seeker.status == "inactive":
            assert entries[-1].cause == "left_labour_market"


def test_follow_ups_due_and_visits(client: TestClient, stored: dict[str, list[Any]]) -> None:
    due = _all(client, "/v1/follow-ups")
    assert {d["status"] for d in due} >= {"overdue"}
    assert {v.method for v in stored["visits"]} >= {"on_site", "phone", "home_visit"}
    assert any(v.support_needed not in ([], ["none"]) for v in stored["visits"])
    months = {d["month"] for d in due}
    assert months <= {1, 3, 6, 12} and months
    some = _all(client, "/v1/placements")
    assert len(some) == len(stored["placements"])
    assert {p["retained_6_months"] for p in some} >= {True, None}


def test_casework_is_deterministic(tmp_path: Path, seeded: tuple[Settings, dict[str, Any]]) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    again = seed_demo(Settings(demo=True, database_url=url), only_if_empty=True)
    assert again == seeded[1]  # ids differ, counts do not
