"""The three match endpoints of CONTRACT.md through HTTP, on SQLite and PostgreSQL: response
shape, limits, 404s, closed vacancies, seekers who cannot match, and freshness (a write is
visible to the next query in the same process; another process catches up within
seconds)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.conftest import ADMIN_KEY, make_settings, patch_current
from tests.match_helpers import (
    abilities,
    assert_blocked,
    candidates,
    codes,
    make_employer,
    make_seeker,
    make_vacancy,
    matched_ids,
    pair,
    seeker_matches,
)

PROBLEM = "application/problem+json"


def test_seeker_matches_shape_and_order(client: TestClient) -> None:
    seeker = make_seeker(client)
    employer = make_employer(client, name="阳泉市某某科技有限公司")
    eligible = [
        make_vacancy(
            client,
            employer,
            title=f"客服专员{i}",
            salary_max=3000 + 500 * i,
            skills=["客服", "电脑打字"][: 1 + i % 2],
        )
        for i in range(5)
    ]
    closed_out = make_vacancy(client, employer, demands={"vision": 4, "hearing": 4})
    assert (
        patch_current(client, f"/v1/vacancies/{closed_out}", json={"status": "closed"}).status_code
        == 200
    )
    excluded = [
        make_vacancy(client, employer, work_mode="remote", employment_type="internship"),
        make_vacancy(client, employer, location={"lat": 39.0, "lon": 113.58}),
    ]

    body = seeker_matches(client, seeker, limit=20)
    assert body["seeker_id"] == seeker
    assert isinstance(body["model_version"], str) and body["model_version"]
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert body["model_version"] == ready.json()["model_version"]
    assert body["eligible_count"] == 5
    # Every open vacancy is either eligible or excluded; the closed one is neither.
    assert body["eligible_count"] + body["excluded_count"] == len(eligible) + len(excluded)
    assert body["blocking"] == []
    items = body["items"]
    assert sorted(i["vacancy_id"] for i in items) == sorted(eligible)
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    for item in items:
        assert 0.0 <= item["probability"] <= 1.0
        assert item["score"] >= item["probability"] - 1e-9  # boosts only add
        assert item["title"].startswith("客服专员")
        assert item["employer_name"] == "阳泉市某某科技有限公司"
        assert item["employer_id"] == employer
        assert item["work_mode"] == "on_site"
        assert isinstance(item["accommodations_used"], list)
        assert item["reasons"], "every score comes with reasons"
        for reason in item["reasons"]:
            assert reason["code"] and reason["message"] and reason["message_en"]

    top = seeker_matches(client, seeker, limit=1)
    assert [i["vacancy_id"] for i in top["items"]] == [items[0]["vacancy_id"]]
    assert top["items"][0]["rank"] == 1
    assert top["eligible_count"] == 5  # the count is of all eligible, not of those shown
    assert len(seeker_matches(client, seeker, limit=3)["items"]) == 3


@pytest.mark.parametrize("limit", ["0", "201", "-1", "ten"])
def test_limit_out_of_range_is_422(client: TestClient, limit: str) -> None:
    seeker = make_seeker(client)
    vacancy = make_vacancy(client, make_employer(client))
    for url in (f"/v1/seekers/{seeker}/matches", f"/v1/vacancies/{vacancy}/matches"):
        response = client.get(url, params={"limit": limit})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
    assert client.get(f"/v1/seekers/{seeker}/matches", params={"limit": 200}).status_code == 200


def test_unknown_ids_are_404_problems(client: TestClient) -> None:
    seeker = make_seeker(client)
    vacancy = make_vacancy(client, make_employer(client))
    for url in (
        "/v1/seekers/skr_nobody/matches",
        "/v1/vacancies/vac_nothing/matches",
        f"/v1/seekers/skr_nobody/matches/{vacancy}",
        f"/v1/seekers/{seeker}/matches/vac_nothing",
        "/v1/seekers/skr_nobody/matches/vac_nothing",
    ):
        response = client.get(url)
        assert response.status_code == 404, (url, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 404


def test_nothing_eligible_is_an_empty_list_not_an_error(client: TestClient) -> None:
    # The index builds in the background at start-up, on an empty database too.
    _wait_for(lambda: client.get("/readyz").status_code == 200)
    seeker = make_seeker(client, work_modes=["remote"])
    body = seeker_matches(client, seeker)  # no vacancies at all
    assert (body["items"], body["eligible_count"], body["excluded_count"]) == ([], 0, 0)

    vacancy = make_vacancy(client, make_employer(client), work_mode="on_site")
    body = seeker_matches(client, seeker)  # one vacancy, not for this seeker
    assert (body["items"], body["eligible_count"], body["excluded_count"]) == ([], 0, 1)
    assert body["blocking"] == []  # the seeker is available; the pair is what fails
    assert codes(pair(client, seeker, vacancy)) == {"work_mode"}

    body = candidates(client, vacancy)  # one seeker, not for this vacancy
    assert (body["items"], body["eligible_count"], body["excluded_count"]) == ([], 0, 1)
    assert body["blocking"] == []


def test_vacancy_candidates_shape(client: TestClient) -> None:
    employer = make_employer(client)
    vacancy = make_vacancy(client, employer)
    fits = [
        make_seeker(client, hukou="rural"),
        make_seeker(client),
        make_seeker(client, hard_to_employ=True),
    ]
    make_seeker(client, work_modes=["remote"])  # excluded
    body = candidates(client, vacancy)
    assert body["vacancy_id"] == vacancy
    assert body["model_version"] == seeker_matches(client, fits[0])["model_version"]
    assert body["eligible_count"] == 3 and body["excluded_count"] == 1
    assert body["blocking"] == []
    assert set(body["fairness"]) >= {"protected_groups", "min_share", "alpha"}
    items = body["items"]
    assert sorted(i["seeker_id"] for i in items) == sorted(fits)
    assert [i["rank"] for i in items] == [1, 2, 3]
    by_id = {i["seeker_id"]: i for i in items}
    assert by_id[fits[0]]["priority_groups"] == ["rural"]
    assert by_id[fits[1]]["priority_groups"] == []
    assert by_id[fits[2]]["priority_groups"] == ["hard_to_employ"]
    for item in items:
        assert 0.0 <= item["probability"] <= 1.0
        assert item["reasons"]
        assert "vacancy_id" not in item
    assert len(candidates(client, vacancy, limit=1)["items"]) == 1


def test_closed_and_filled_vacancies_leave_at_once(client: TestClient) -> None:
    seeker = make_seeker(client)
    employer = make_employer(client)
    first, second, third = (make_vacancy(client, employer) for _ in range(3))
    assert sorted(matched_ids(client, seeker)) == sorted([first, second, third])
    assert candidates(client, first)["items"][0]["seeker_id"] == seeker

    assert (
        patch_current(client, f"/v1/vacancies/{first}", json={"status": "closed"}).status_code
        == 200
    )
    assert sorted(matched_ids(client, seeker)) == sorted([second, third])  # no sleep
    assert codes(pair(client, seeker, first)) == {"closed"}
    closed = candidates(client, first)
    assert closed["items"] == [] and closed["eligible_count"] == 0
    assert [b["code"] for b in closed["blocking"]] == ["closed"]

    assert (
        patch_current(client, f"/v1/vacancies/{second}", json={"status": "filled"}).status_code
        == 200
    )
    assert matched_ids(client, seeker) == [third]
    assert codes(assert_blocked(client, seeker, second)) == {"closed"}
    assert [b["code"] for b in candidates(client, second)["blocking"]] == ["closed"]
    body = seeker_matches(client, seeker)
    assert body["eligible_count"] + body["excluded_count"] == 1

    assert (
        patch_current(client, f"/v1/vacancies/{first}", json={"status": "open"}).status_code == 200
    )
    assert sorted(matched_ids(client, seeker)) == sorted([first, third])

    assert client.delete(f"/v1/vacancies/{third}").status_code == 204
    assert matched_ids(client, seeker) == [first]
    assert client.get(f"/v1/seekers/{seeker}/matches/{third}").status_code == 404
    assert client.get(f"/v1/vacancies/{third}/matches").status_code == 404


def _unavailable(client: TestClient, seeker: str, vacancy: str, code: str) -> None:
    body = seeker_matches(client, seeker)
    assert body["items"] == [] and body["eligible_count"] == 0
    assert [b["code"] for b in body["blocking"]] == [code]
    assert body["excluded_count"] == 1  # the one open vacancy
    assert code in codes(pair(client, seeker, vacancy))
    listed = [i["seeker_id"] for i in candidates(client, vacancy)["items"]]
    assert seeker not in listed and listed


def test_seekers_who_cannot_match(client: TestClient) -> None:
    vacancy = make_vacancy(client, make_employer(client))
    seeker = make_seeker(client)
    make_seeker(client)  # keeps the vacancy's candidate list non-empty
    assert matched_ids(client, seeker) == [vacancy]

    url = f"/v1/seekers/{seeker}"
    assert patch_current(client, url, json={"status": "employed"}).status_code == 200
    _unavailable(client, seeker, vacancy, "not_seeking")
    assert patch_current(client, url, json={"status": "seeking"}).status_code == 200
    assert matched_ids(client, seeker) == [vacancy]

    withdrawn = patch_current(
        client, url, json={"consent": {"sensitive_data": False, "share_with_employers": False}}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    _unavailable(client, seeker, vacancy, "no_consent")

    child = make_seeker(client, birth=dt.date(2012, 5, 1))  # 14 years old
    _unavailable(client, child, vacancy, "not_working_age")
    retired = make_seeker(client, birth=dt.date(1960, 5, 1), sequence=111)  # a man, 66
    assert client.get(f"/v1/seekers/{retired}").json()["sex"] == "male"
    _unavailable(client, retired, vacancy, "not_working_age")
    # A woman born the same day is 66 too: past the 55→58 track as well.
    assert codes(
        pair(client, make_seeker(client, birth=dt.date(1960, 5, 1), sequence=112), vacancy)
    ) == {"not_working_age"}
    # A man of 55 is of working age.
    assert matched_ids(client, make_seeker(client, birth=dt.date(1971, 5, 1), sequence=113)) == [
        vacancy
    ]


def test_writes_are_visible_to_the_next_query_in_the_same_process(client: TestClient) -> None:
    seeker = make_seeker(client, ability=abilities(vision=1), required=["screen_magnifier"])
    employer = make_employer(client)
    # Always eligible, so no list below is empty (an empty one is tested on its own).
    steady = make_vacancy(client, employer, title="按摩师", accommodations=["screen_magnifier"])
    assert matched_ids(client, seeker) == [steady]  # warms the index
    vacancy = make_vacancy(
        client, employer, demands={"vision": 2}, accommodations=["screen_magnifier"]
    )
    assert set(matched_ids(client, seeker)) == {steady, vacancy}  # no sleep, no poll
    assert (
        patch_current(
            client, f"/v1/vacancies/{vacancy}", json={"demands": {"vision": 3}}
        ).status_code
        == 200
    )
    assert matched_ids(client, seeker) == [steady]
    assert (
        patch_current(
            client, f"/v1/seekers/{seeker}", json={"required_accommodations": []}
        ).status_code
        == 200
    )
    assert (
        patch_current(
            client,
            f"/v1/vacancies/{vacancy}",
            json={"demands": {"vision": 1}, "accommodations": []},
        ).status_code
        == 200
    )
    assert set(matched_ids(client, seeker)) == {steady, vacancy}
    newcomer = make_seeker(client)
    assert newcomer in [i["seeker_id"] for i in candidates(client, vacancy)["items"]]
    assert client.delete(f"/v1/seekers/{newcomer}").status_code == 204
    assert client.get(f"/v1/seekers/{newcomer}/matches").status_code == 404
    assert newcomer not in [i["seeker_id"] for i in candidates(client, vacancy)["items"]]


@pytest.fixture
def two_processes(db_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances (two engines, two match indexes) on one database."""
    with ExitStack() as stack:
        clients = []
        for _ in range(2):
            app = create_app(make_settings(db_url, index_poll_seconds=0.2))
            clients.append(stack.enter_context(TestClient(app, headers={"X-API-Key": ADMIN_KEY})))
            stack.callback(app.state.engine.dispose)
        yield clients[0], clients[1]


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> float:
    """Poll every 0.1 s; the seconds it took for ``condition`` to hold."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"not seen within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - started


def test_other_processes_catch_up_within_seconds(
    two_processes: tuple[TestClient, TestClient], request: pytest.FixtureRequest
) -> None:
    a, b = two_processes
    seeker = make_seeker(a)
    employer = make_employer(a)
    first = make_vacancy(a, employer)
    seen = _wait_for(lambda: matched_ids(b, seeker) == [first])  # B warms its index

    created = make_vacancy(a, employer, title="新发布的客服岗位")
    latency_new = _wait_for(lambda: created in matched_ids(b, seeker))
    assert patch_current(a, f"/v1/vacancies/{first}", json={"status": "closed"}).status_code == 200
    latency_closed = _wait_for(lambda: first not in matched_ids(b, seeker))
    assert matched_ids(b, seeker) == [created]
    assert codes(pair(b, seeker, first)) == {"closed"}

    assert a.delete(f"/v1/seekers/{seeker}").status_code == 204
    latency_deleted = _wait_for(lambda: b.get(f"/v1/seekers/{seeker}/matches").status_code == 404)
    assert b.get(f"/v1/seekers/{seeker}/matches/{created}").status_code == 404

    # A seeker registered through B is a candidate on A within seconds as well.
    other = make_seeker(b)
    latency_reverse = _wait_for(
        lambda: other in [i["seeker_id"] for i in candidates(a, created)["items"]]
    )
    latencies = {
        "first_seen": seen,
        "created": latency_new,
        "closed": latency_closed,
        "deleted": latency_deleted,
        "reverse": latency_reverse,
    }
    request.node.user_properties.append(("freshness_latency_s", latencies))
    print(
        f"cross-process freshness ({request.node.callspec.id}): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in latencies.items())
    )
    assert max(latency_new, latency_closed, latency_deleted, latency_reverse) < 5.0
