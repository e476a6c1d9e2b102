"""Plan targets on both databases: the seed plans' targets after the migrations, admin-only
writes, and progress figures checked against counts computed here from the records this
test created.  The threshold is 2, so that small worlds show their numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.config import Settings
from service.migrate import downgrade, upgrade
from service.models.enums import Sex
from service.profile import is_working_age
from service.rules import load_rules
from tests.conftest import assert_problem, issue_key, make_settings, patch_current, row_counts
from tests.match_helpers import make_employer, make_vacancy
from tests.placement_helpers import place
from tests.stats_helpers import TODAY, Person, people, register

T = 2
RULES = load_rules(None)
LAST = TODAY.year - 1
URL = "/v1/stats/targets"
SEEDS = {
    "tgt-huangshi-2022-new-employment",
    "tgt-huangshi-2022-rural-employment",
    "tgt-liaocheng-2022-new-employment",
    "tgt-liaocheng-2022-employment-rate",
    "tgt-liaocheng-2022-sheltered",
    "tgt-yangquan-2023-employment-rate",
    "tgt-yangquan-2023-public-welfare-share",
    "tgt-yangquan-2023-training",
    "tgt-yangquan-2023-rural-training",
    "tgt-shanxi-2025-fairs",
    "tgt-shanxi-2025-training",
    "tgt-shanxi-2025-rural-training",
}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, stats_threshold=T)


@pytest.fixture
def crowd(client: TestClient, raw_db: sa.Engine) -> Iterator[list[Person]]:
    """Thirty people in Yangquan, registered three years ago."""
    registered = register(client, people(30, seed=23))
    with raw_db.begin() as conn:
        conn.execute(
            sa.text("UPDATE seeker SET created_at = :t"),
            {"t": dt.datetime(TODAY.year - 3, 1, 5, tzinfo=dt.UTC)},
        )
        conn.execute(
            sa.text("UPDATE seeker_status_change SET date = :d"),
            {"d": dt.date(TODAY.year - 3, 1, 5)},
        )
    yield registered


@pytest.fixture
def seeded(client: TestClient, db_url: str) -> None:
    """The seed targets as the migration leaves them: the PostgreSQL tests truncate every
    table first, so its seeding is taken down and run again (an up/down round trip)."""
    downgrade(db_url, "0008_statistics")
    upgrade(db_url)


def _target(**fields: Any) -> dict[str, Any]:
    return {
        "plan": "test-plan",
        "district_code": "140300",
        "year_from": LAST,
        "year_to": TODAY.year,
        "metric": "new_employment",
        "target": 10,
        **fields,
    }


def _create(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json=_target(**fields))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _progress(client: TestClient, target_id: str) -> dict[str, Any]:
    response = client.get(f"{URL}/{target_id}", headers=issue_key(client, "analyst"))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.usefixtures("seeded")
def test_seed_targets_listed_after_migration(client: TestClient) -> None:
    listed = client.get(URL, headers=issue_key(client, "analyst"))
    assert listed.status_code == 200, listed.text
    by_id = {t["id"]: t for t in listed.json()}
    assert set(by_id) >= SEEDS
    huangshi = by_id["tgt-huangshi-2022-new-employment"]
    assert (
        huangshi["district_code"],
        huangshi["year_from"],
        huangshi["year_to"],
        huangshi["target"],
        huangshi["kind"],
    ) == ("420200", 2022, 2024, 2500, "cumulative")
    assert huangshi["figure"] == 0 and huangshi["status"] == "not_met"
    assert huangshi["covered_to"] == "2024-12-31"
    rate = by_id["tgt-liaocheng-2022-employment-rate"]
    assert rate["target"] == 0.55 and rate["metric"] == "employment_rate_working_age_certified"
    assert by_id["tgt-yangquan-2023-employment-rate"]["target"] == 0.7
    fairs = by_id["tgt-shanxi-2025-fairs"]
    assert fairs["status"] == "not_measured" and fairs["figure"] is None
    assert "not recorded" in fairs["reason"] and fairs["measured_at"] is None
    assert [y["status"] for y in fairs["years"]] == [
        "not_measured" if y <= TODAY.year else "not_started" for y in (2025, 2026, 2027)
    ]
    training = by_id["tgt-shanxi-2025-training"]
    assert training["kind"] == "per_year" and [y["year"] for y in training["years"]] == [
        2025,
        2026,
        2027,
    ]
    only_2023 = client.get(URL, params={"year": 2023, "district": "14"}).json()
    assert {t["id"] for t in only_2023} == {i for i in SEEDS if "yangquan" in i}


def test_admin_writes_others_refused(client: TestClient, raw_db: sa.Engine) -> None:
    analyst = issue_key(client, "analyst")
    before = row_counts(raw_db)
    assert_problem(client.post(URL, json=_target(), headers=analyst), 403)
    assert_problem(client.post(URL, json=_target(), headers=issue_key(client, "counselor")), 403)
    assert row_counts(raw_db)["plan_target"] == before["plan_target"]
    created = client.post(URL, json=_target(id="tgt-test-one", note="试点"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{URL}/tgt-test-one"
    assert created.headers["etag"] == '"v1"' and created.json()["version"] == 1
    assert_problem(client.post(URL, json=_target(id="tgt-test-one")), 409)
    url = f"{URL}/tgt-test-one"
    assert_problem(client.patch(url, json={"target": 20}), 428)
    assert_problem(client.patch(url, json={"target": 20}, headers={"If-Match": '"v9"'}), 412)
    assert_problem(patch_current(client, url, {"target": 20}, headers=analyst), 403)
    changed = patch_current(client, url, {"target": 20, "note": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["target"] == 20 and changed.json()["version"] == 2
    assert changed.json()["note"] is None and changed.headers["etag"] == '"v2"'
    assert _progress(client, "tgt-test-one")["target"] == 20
    assert_problem(client.delete(url, headers=analyst), 403)
    assert client.delete(url).status_code == 204
    assert_problem(client.get(url), 404)
    assert_problem(client.delete(url), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"district_code": "14030"}, "district_code"),
        ({"district_code": "999999"}, "district_code"),
        ({"year_from": TODAY.year + 1, "year_to": TODAY.year}, "year_from"),
        ({"year_to": 2101}, "year_to"),
        ({"target": 0}, "target"),
        ({"target": "10"}, "target"),
        ({"target": 2.5}, "target"),
        ({"metric": "employment_rate_able_to_work", "target": 55}, "target"),
        ({"metric": "jobs_galore"}, "metric"),
        ({"colour": "red"}, "colour"),
    ],
)
@pytest.mark.usefixtures("seeded")
def test_bad_input_names_the_field(
    client: TestClient, raw_db: sa.Engine, body: dict[str, Any], field: str
) -> None:
    before = row_counts(raw_db)
    problem = assert_problem(client.post(URL, json=_target(**body)), 422)
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert row_counts(raw_db) == before
    seeded = f"{URL}/tgt-huangshi-2022-new-employment"
    if field in ("year_from", "target"):  # the same checks on a stored target's change
        patch = {k: v for k, v in body.items() if k != "year_to"} if field == "year_from" else body
        problem = assert_problem(patch_current(client, seeded, patch), 422)
        assert field in {e["field"] for e in problem["errors"]}, problem
        assert _progress(client, "tgt-huangshi-2022-new-employment")["version"] == 1


def test_new_employment_progress_matches_the_records(
    client: TestClient, crowd: list[Person]
) -> None:
    employer = make_employer(client)
    starts = []
    for i, p in enumerate(crowd[:20]):
        year = LAST if i % 2 else TODAY.year
        start = dt.date(year, 1 + i % 10, 3)
        start = min(start, TODAY - dt.timedelta(days=1))
        form = ("sheltered", "quota", "public_welfare")[i % 3]
        new = i % 7 != 6
        place(client, p.id, employer, start_date=start, form=form, counts_as_new=new)
        starts.append((p, start, form, new))
    counted = [(p, s, f) for p, s, f, new in starts if new]
    total = _create(client, target=len(counted) + 10)
    rural = _create(client, metric="new_employment_rural", target=3)
    sheltered = _create(client, metric="sheltered_employment", target=1)
    county = _create(client, district_code="140302", target=100)
    got = _progress(client, total["id"])
    assert got["figure"] == len(counted)
    assert got["covered_from"] == f"{LAST}-01-01" and got["covered_to"] == TODAY.isoformat()
    assert got["share_of_target"] == pytest.approx(len(counted) / (len(counted) + 10))
    assert got["status"] in ("on_track", "behind") and not got["suppressed"]
    assert "counts_as_new" in got["definition"]
    want_rural = sum(p.hukou == "rural" for p, _, _ in counted)
    assert _progress(client, rural["id"])["figure"] == want_rural
    shown = _progress(client, sheltered["id"])
    assert shown["figure"] == sum(f == "sheltered" for _, _, f in counted)
    assert shown["status"] == "met"
    in_county = sum(p.district == "140302" for p, _, _ in counted)
    assert _progress(client, county["id"])["figure"] == in_county
    last_year = _create(client, year_to=LAST, target=1000)
    over = _progress(client, last_year["id"])
    assert over["figure"] == sum(s.year == LAST for _, s, _ in counted)
    assert over["status"] == "not_met" and over["covered_to"] == f"{LAST}-12-31"
    elsewhere = _create(client, district_code="420200", target=5)
    assert _progress(client, elsewhere["id"])["figure"] == 0


def test_public_welfare_share(client: TestClient, crowd: list[Person]) -> None:
    employer = make_employer(client)
    make_vacancy(client, employer, openings=8, public_welfare=True)
    make_vacancy(client, employer, openings=30, public_welfare=False)
    for p in crowd[:3]:
        place(
            client, p.id, employer, start_date=TODAY - dt.timedelta(days=2), form="public_welfare"
        )
    share = _progress(
        client,
        _create(client, metric="public_welfare_post_share", year_from=TODAY.year, target=0.05)[
            "id"
        ],
    )
    assert (share["count"], share["denominator"]) == (3, 8)
    assert share["figure"] == pytest.approx(3 / 8) and share["status"] == "met"
    assert "registered" in share["definition"]


def test_training_per_year(client: TestClient, crowd: list[Person]) -> None:
    want = {LAST: 0, TODAY.year: 0}
    for i, p in enumerate(crowd[:14]):
        year = LAST if i % 3 == 0 else TODAY.year
        day = dt.date(year, 6, 1) if year == LAST else TODAY - dt.timedelta(days=3)
        kind = "rural_practical" if i % 4 == 1 else "vocational"
        response = client.post(
            f"/v1/seekers/{p.id}/services",
            json={
                "type": "training",
                "date": day.isoformat(),
                "channel": "on_site",
                "agency_district_code": p.district,
                "result": "completed",
                "details": {
                    "course": "电商客服",
                    "provider": "阳泉职业培训中心",
                    "kind": kind,
                    "start_date": (day - dt.timedelta(days=20)).isoformat(),
                    "end_date": day.isoformat(),
                    "completed": True,
                },
            },
        )
        assert response.status_code == 201, response.text
        if kind == "vocational":
            want[year] += 1
    target = _create(client, metric="trained_person_times", target=want[LAST] + 1)
    got = _progress(client, target["id"])
    assert got["kind"] == "per_year"
    assert {y["year"]: y["figure"] for y in got["years"]} == want
    assert got["figure"] == want[TODAY.year] and got["covered_to"] == TODAY.isoformat()
    assert got["years"][0]["status"] == "not_met"
    assert got["status"] == "not_met"  # last year fell short


def _working_age(p: Person, day: dt.date) -> bool:
    return is_working_age(p.birth, Sex(p.sex), day, RULES)


def test_employment_rate_under_both_definitions(client: TestClient, crowd: list[Person]) -> None:
    employer = make_employer(client)
    employed = {p.id for p in crowd[:12]}
    for p in crowd[:12]:
        place(client, p.id, employer, start_date=TODAY - dt.timedelta(days=5))
    capacity = {}
    for i, p in enumerate(crowd):
        if i % 5 == 4:
            continue
        capacity[p.id] = ("full", "partial", "none", "full")[i % 4]
        response = client.post(
            f"/v1/seekers/{p.id}/services",
            json={
                "type": "basic_info_check",
                "date": (TODAY - dt.timedelta(days=2)).isoformat(),
                "channel": "on_site",
                "agency_district_code": p.district,
                "result": "completed",
                "details": {"has_employment_need": True, "labour_capacity": capacity[p.id]},
            },
        )
        assert response.status_code == 201, response.text
    holders = [p for p in crowd if _working_age(p, TODAY)]
    able = [p for p in holders if capacity.get(p.id) in ("full", "partial")]
    for metric, base in (
        ("employment_rate_working_age_certified", holders),
        ("employment_rate_able_to_work", able),
    ):
        got = _progress(client, _create(client, metric=metric, target=0.99)["id"])
        n = sum(p.id in employed for p in base)
        assert (got["count"], got["denominator"]) == (n, len(base)), metric
        assert got["figure"] == pytest.approx(n / len(base))
        assert got["status"] == "behind" and got["measured_at"] == TODAY.isoformat()
    assert "有劳动能力" in got["definition"]


def test_small_figures_are_suppressed(client: TestClient, crowd: list[Person]) -> None:
    employer = make_employer(client)
    lone = next(p for p in crowd if p.district == "140311")
    place(client, lone.id, employer, start_date=TODAY - dt.timedelta(days=3))
    got = _progress(client, _create(client, district_code="140311", target=5)["id"])
    assert got["figure"] is None and got["suppressed"] is True
    assert got["status"] == "suppressed" and got["share_of_target"] is None


@pytest.mark.usefixtures("seeded")
def test_jurisdiction_limits_the_list(client: TestClient) -> None:
    response = client.post(
        "/v1/api-keys", json={"role": "counselor", "name": "阳泉", "district_code": "1403"}
    )
    assert response.status_code == 201, response.text
    own = {"X-API-Key": response.json()["key"]}
    listed = client.get(URL, headers=own)
    assert listed.status_code == 200, listed.text
    assert {t["id"] for t in listed.json()} == {i for i in SEEDS if "yangquan" in i}
    assert_problem(client.get(URL, params={"district": "42"}, headers=own), 403)
    assert_problem(client.get(f"{URL}/tgt-shanxi-2025-fairs", headers=own), 403)
    for role in ("partner", "kiosk"):
        assert_problem(client.get(URL, headers=issue_key(client, role)), 403)


def test_the_annual_report_shows_the_targets_of_its_area(
    client: TestClient, crowd: list[Person], raw_db: sa.Engine
) -> None:
    from sqlmodel import Session

    from service.report.build import build_report
    from service.report.html import render_html

    employer = make_employer(client)
    for p in crowd[:6]:
        place(client, p.id, employer, start_date=TODAY - dt.timedelta(days=4))
    _create(client, id="tgt-report-city", target=12)
    _create(client, id="tgt-report-rate", metric="employment_rate_able_to_work", target=0.7)
    _create(client, id="tgt-report-other", district_code="420200", target=5)
    with Session(raw_db) as session:
        report = build_report(session, client.app.state.context, district="140302", year=TODAY.year)
    [section] = [s for s in report.sections if s.heading.startswith("Progress towards")]
    [table] = section.tables
    rows = {r[1]: r for r in table.rows}
    assert len(rows) == len(table.rows) >= 2  # Huangshi's target is not in Yangquan
    city = rows["New employment (新增就业)"]
    assert city[2] == 6 and city[3] == 12 and city[5] == TODAY.isoformat()
    rate = rows["Employment rate, able to work (有劳动能力)"]
    assert rate[3] == pytest.approx(70) and rate[4] == "%"
    assert "goal 12 job starts; 6 job starts" in section.paragraphs[0]
    [rates] = [s for s in report.sections if s.heading == "Employment rate"]
    assert rates.charts[0].target == pytest.approx(70)
    assert "Progress towards the plan targets" in render_html(report)


def test_progress_as_of_a_past_day(client: TestClient, crowd: list[Person]) -> None:
    """A target measured as it stood on an earlier day counts only what had happened by
    then, says so in its dates, and a day in the future is refused naming ``as_of``."""
    employer = make_employer(client)
    early, late = TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=3)
    for i, p in enumerate(crowd[:5]):
        place(client, p.id, employer, start_date=early if i < 3 else late)
    target = _create(client, target=10)
    analyst = issue_key(client, "analyst")
    url = f"{URL}/{target['id']}"
    between = (TODAY - dt.timedelta(days=10)).isoformat()
    then = client.get(url, params={"as_of": between}, headers=analyst)
    assert then.status_code == 200, then.text
    assert (then.json()["figure"], then.json()["covered_to"]) == (3, between)
    assert then.json()["measured_at"] == between
    listed = client.get(URL, params={"as_of": between, "plan": "test-plan"}, headers=analyst)
    assert [t["figure"] for t in listed.json()] == [3]
    assert _progress(client, target["id"])["figure"] == 5
    before_span = client.get(url, params={"as_of": f"{LAST - 1}-06-30"}, headers=analyst)
    assert before_span.json()["status"] == "not_started"
    for bad in ((TODAY + dt.timedelta(days=1)).isoformat(), "2026-13-01", "soon"):
        for where in (url, URL):
            problem = assert_problem(client.get(where, params={"as_of": bad}, headers=analyst), 422)
            assert [e["field"] for e in problem["errors"]] == ["as_of"], problem


def test_changes_to_targets_are_audited(client: TestClient) -> None:
    """Who set, changed and removed a plan's target, and which fields, is on record."""
    made = _create(client, target=40)
    changed = patch_current(client, f"{URL}/{made['id']}", {"target": 45, "note": "revised"})
    assert changed.status_code == 200, changed.text
    assert client.delete(f"{URL}/{made['id']}").status_code == 204
    entries = client.get("/v1/audit", params={"limit": 200}).json()["items"]
    mine = [
        (e["action"], e["fields"], e["outcome"])
        for e in entries
        if e["resource_type"] == "plan_target" and e["resource_id"] == made["id"]
    ]
    assert mine[0][0] == "target.create" and "target" in mine[0][1]
    assert mine[1:] == [("target.update", ["note", "target"], "ok"), ("target.delete", [], "ok")]
    admin = [e["key_id"] for e in entries if e["resource_id"] == made["id"]]
    assert len(set(admin)) == 1


@pytest.mark.parametrize("url", ["/v1/stats/seekers", "/v1/stats/employment-rate", URL])
@pytest.mark.parametrize("value", ["0007-01-01", "1999-12-31", "1700000000", "2026-02-30"])
def test_a_day_measured_before_the_records_or_not_a_date_is_422(
    client: TestClient, url: str, value: str
) -> None:
    analyst = issue_key(client, "analyst")
    params = {"as_of": value}
    if url.endswith("employment-rate"):
        params["definition"] = "able_to_work"
    problem = assert_problem(client.get(url, params=params, headers=analyst), 422)
    assert [e["field"] for e in problem["errors"]] == ["as_of"], problem
