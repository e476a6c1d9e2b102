"""Hard constraints through the match API, on SQLite and PostgreSQL: abilities and
accommodation bridges for blind, deaf, wheelchair-using and intellectually disabled
seekers; remote-only seekers; commuting distance; work mode and employment type.

Every pair is checked twice: the verdict of ``GET /v1/seekers/{sid}/matches/{vid}`` and
presence in (or absence from) ``GET /v1/seekers/{sid}/matches``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.matching.constraints import haversine_km
from tests.conftest import patch_current
from tests.match_helpers import (
    WUHAN,
    YQ_LAT,
    YQ_LON,
    abilities,
    assert_blocked,
    assert_eligible,
    blocks,
    codes,
    make_employer,
    make_seeker,
    make_vacancy,
    matched_ids,
    north,
    pair,
)


def test_blind_seeker(client: TestClient) -> None:
    seeker = make_seeker(
        client, category="visual", grade=1, ability=abilities(vision=0), required=["screen_reader"]
    )
    employer = make_employer(client)
    data_entry = make_vacancy(
        client,
        employer,
        title="数据录入员",
        demands={"vision": 3, "fine_motor": 2, "literacy": 2},
        accommodations=["screen_reader"],
    )
    phone_service = make_vacancy(
        client,
        employer,
        title="电话客服专员",
        demands={"vision": 1, "hearing": 3, "speech": 3},
        accommodations=["screen_reader"],
    )
    phone_no_reader = make_vacancy(
        client,
        employer,
        title="电话客服专员",
        demands={"vision": 1, "hearing": 3, "speech": 3},
        accommodations=["flexible_hours"],
    )

    # Capacity 0 + screen reader 2 = 2 < 3: the data-entry job stays out of reach.
    verdict = assert_blocked(client, seeker, data_entry, "ability_gap")
    [gap] = blocks(verdict, "ability_gap")
    assert (gap["dimension"], gap["demand"], gap["capacity"], gap["bridge"]) == ("vision", 3, 0, 2)
    assert "accommodation_missing" not in codes(verdict)

    item = assert_eligible(client, seeker, phone_service)
    assert "screen_reader" in item["accommodations_used"]
    assert item["title"] == "电话客服专员"

    verdict = assert_blocked(
        client, seeker, phone_no_reader, "accommodation_missing", "ability_gap"
    )
    [missing] = blocks(verdict, "accommodation_missing")
    assert missing["details"]["accommodation"] == "screen_reader"
    [gap] = blocks(verdict, "ability_gap")
    assert (gap["dimension"], gap["demand"], gap["capacity"], gap["bridge"]) == ("vision", 1, 0, 0)

    assert matched_ids(client, seeker) == [phone_service]


def test_deaf_seeker(client: TestClient) -> None:
    seeker = make_seeker(
        client,
        category="hearing",
        grade=1,
        ability=abilities(hearing=0, speech=2),
        required=["text_communication"],
    )
    employer = make_employer(client)
    # Even every hearing accommodation together bridges at most +2: 0 + 2 < 3.
    telephone = make_vacancy(
        client,
        employer,
        title="电话客服专员",
        demands={"hearing": 3, "speech": 3},
        accommodations=["text_communication", "sign_language", "visual_alerts"],
    )
    online = make_vacancy(
        client,
        employer,
        title="在线文字客服",
        demands={"vision": 2, "literacy": 2, "fine_motor": 2},
        accommodations=["text_communication"],
    )
    meetings_signed = make_vacancy(
        client,
        employer,
        title="行政助理",
        demands={"hearing": 2},
        accommodations=["text_communication", "sign_language"],
    )
    meetings_text = make_vacancy(
        client,
        employer,
        title="行政助理",
        demands={"hearing": 2},
        accommodations=["text_communication"],
    )
    signed_only = make_vacancy(
        client, employer, title="行政助理", demands={"hearing": 2}, accommodations=["sign_language"]
    )

    verdict = assert_blocked(client, seeker, telephone, "ability_gap")
    hearing = [b for b in blocks(verdict, "ability_gap") if b["dimension"] == "hearing"]
    assert [(b["demand"], b["capacity"], b["bridge"]) for b in hearing] == [(3, 0, 2)]

    assert_eligible(client, seeker, online)
    item = assert_eligible(client, seeker, meetings_signed)  # 0 + 2 ≥ 2
    assert "sign_language" in item["accommodations_used"]
    assert "text_communication" in item["accommodations_used"]  # required

    verdict = assert_blocked(client, seeker, meetings_text, "ability_gap")  # 0 + 1 < 2
    assert [(b["dimension"], b["bridge"]) for b in blocks(verdict, "ability_gap")] == [
        ("hearing", 1)
    ]
    verdict = assert_blocked(client, seeker, signed_only, "accommodation_missing")
    assert "ability_gap" not in codes(verdict)
    assert sorted(matched_ids(client, seeker)) == sorted([online, meetings_signed])


def test_wheelchair_user(client: TestClient) -> None:
    seeker = make_seeker(
        client,
        category="physical",
        grade=1,
        ability=abilities(walking=0, standing=0, lifting_carrying=1),
        required=["step_free_access", "accessible_toilet"],
    )
    plain = make_employer(client, accessibility=[])
    accessible = make_employer(client, accessibility=["step_free_access", "accessible_toilet"])
    desk_job = {"title": "财务助理", "demands": {"vision": 2, "fine_motor": 2}}
    on_site_plain = make_vacancy(client, plain, **desk_job)
    on_site_accessible = make_vacancy(client, accessible, **desk_job)
    hybrid_plain = make_vacancy(client, plain, work_mode="hybrid", **desk_job)
    remote_plain = make_vacancy(
        client, plain, work_mode="remote", location=WUHAN, district="420106", **desk_job
    )
    walking_job = make_vacancy(client, accessible, title="仓库巡检", demands={"walking": 2})

    verdict = assert_blocked(client, seeker, on_site_plain, "accommodation_missing")
    assert sorted(
        b["details"]["accommodation"] for b in blocks(verdict, "accommodation_missing")
    ) == ["accessible_toilet", "step_free_access"]
    assert_blocked(client, seeker, hybrid_plain, "accommodation_missing")

    item = assert_eligible(client, seeker, on_site_accessible)
    assert {"step_free_access", "accessible_toilet"} <= set(item["accommodations_used"])
    # Premises needs are moot for remote work, even 800 km away.
    item = assert_eligible(client, seeker, remote_plain)
    assert item["accommodations_used"] == []
    # Step-free access bridges walking by 1 only: 0 + 1 < 2.
    verdict = assert_blocked(client, seeker, walking_job, "ability_gap")
    assert [
        (b["dimension"], b["capacity"], b["bridge"]) for b in blocks(verdict, "ability_gap")
    ] == [("walking", 0, 1)]

    # The plain employer makes its premises accessible: its on-site and hybrid jobs open
    # up for the seeker at once (the employer's change reaches its vacancies).
    patched = patch_current(
        client,
        f"/v1/employers/{plain}",
        json={"accessibility": ["step_free_access", "accessible_toilet"]},
    )
    assert patched.status_code == 200, patched.text
    assert on_site_plain in matched_ids(client, seeker)
    assert_eligible(client, seeker, on_site_plain)
    assert_eligible(client, seeker, hybrid_plain)


def test_intellectually_disabled_seeker(client: TestClient) -> None:
    seeker = make_seeker(
        client,
        category="intellectual",
        grade=2,
        ability=abilities(learning=1, literacy=1, attention=3),
    )
    employer = make_employer(client)
    job = {"title": "超市理货员", "demands": {"learning": 2, "literacy": 1, "fine_motor": 2}}
    coached = make_vacancy(client, employer, accommodations=["job_coach"], **job)
    simplified = make_vacancy(client, employer, accommodations=["simplified_tasks"], **job)
    unsupported = make_vacancy(client, employer, accommodations=["flexible_hours"], **job)

    item = assert_eligible(client, seeker, coached)
    assert item["accommodations_used"] == ["job_coach"]
    item = assert_eligible(client, seeker, simplified)
    assert item["accommodations_used"] == ["simplified_tasks"]
    verdict = assert_blocked(client, seeker, unsupported, "ability_gap")
    assert [
        (b["dimension"], b["demand"], b["capacity"], b["bridge"])
        for b in blocks(verdict, "ability_gap")
    ] == [("learning", 2, 1, 0)]
    assert sorted(matched_ids(client, seeker)) == sorted([coached, simplified])


def test_remote_only_seeker(client: TestClient) -> None:
    seeker = make_seeker(client, work_modes=["remote"], max_km=5)
    employer = make_employer(client, accessibility=["step_free_access"])
    on_site = make_vacancy(client, employer, work_mode="on_site")
    hybrid = make_vacancy(client, employer, work_mode="hybrid")
    far_remote = make_vacancy(
        client, employer, work_mode="remote", location=WUHAN, district="420106"
    )
    assert haversine_km(YQ_LAT, YQ_LON, WUHAN["lat"], WUHAN["lon"]) > 500

    for vacancy in (on_site, hybrid):
        verdict = assert_blocked(client, seeker, vacancy, "work_mode")
        assert codes(verdict) == {"work_mode"}
    assert_eligible(client, seeker, far_remote)
    assert matched_ids(client, seeker) == [far_remote]


def test_commuting_distance(client: TestClient) -> None:
    seeker = make_seeker(client, max_km=15, location=north(0))
    employer = make_employer(client)
    far = make_vacancy(client, employer, location=north(30))
    near = make_vacancy(client, employer, location=north(5))
    far_hybrid = make_vacancy(client, employer, work_mode="hybrid", location=north(30))
    far_remote = make_vacancy(client, employer, work_mode="remote", location=north(300))

    verdict = assert_blocked(client, seeker, far, "distance")
    assert codes(verdict) == {"distance"}
    [distance] = blocks(verdict, "distance")
    assert 29 <= distance["details"]["km"] <= 31
    assert distance["details"]["max_km"] == 15
    assert_blocked(client, seeker, far_hybrid, "distance")
    assert_eligible(client, seeker, near)
    assert_eligible(client, seeker, far_remote)
    assert sorted(matched_ids(client, seeker)) == sorted([near, far_remote])

    # The seeker widens the commute: the 30 km job comes within reach at once.
    body = client.get(f"/v1/seekers/{seeker}").json()["preferences"]
    patched = patch_current(
        client, f"/v1/seekers/{seeker}", json={"preferences": {**body, "max_commute_km": 40}}
    )
    assert patched.status_code == 200, patched.text
    assert far in matched_ids(client, seeker)


def test_distance_without_coordinates_falls_back_to_the_city(client: TestClient) -> None:
    unlocated = make_seeker(client, location=None, district="140302", max_km=15)
    located = make_seeker(client, location=north(0), district="140302", max_km=15)
    employer = make_employer(client)
    same_city = make_vacancy(client, employer, location=None, district="140311")  # 郊区
    other_city = make_vacancy(client, employer, location=None, district="140105")  # 太原
    located_other_city = make_vacancy(
        client, employer, location={"lat": 37.736, "lon": 112.565}, district="140105"
    )

    assert_eligible(client, unlocated, same_city)
    verdict = assert_blocked(client, unlocated, other_city, "distance")
    assert blocks(verdict, "distance")[0]["details"] == {"same_city": False}
    assert codes(verdict) == {"distance"}
    # One side without coordinates: the city decides as well.
    assert_eligible(client, located, same_city)
    assert_blocked(client, located, other_city, "distance")
    assert_blocked(client, unlocated, located_other_city, "distance")
    assert sorted(matched_ids(client, unlocated)) == [same_city]


def test_work_mode_and_employment_type_preferences(client: TestClient) -> None:
    seeker = make_seeker(client, work_modes=["on_site"], employment_types=["full_time"])
    employer = make_employer(client)
    fits = make_vacancy(client, employer, work_mode="on_site", employment_type="full_time")
    hybrid = make_vacancy(client, employer, work_mode="hybrid")
    remote = make_vacancy(client, employer, work_mode="remote")
    part_time = make_vacancy(client, employer, employment_type="part_time")
    internship = make_vacancy(client, employer, employment_type="internship")
    both = make_vacancy(client, employer, work_mode="remote", employment_type="flexible")

    assert_eligible(client, seeker, fits)
    for vacancy in (hybrid, remote):
        assert codes(assert_blocked(client, seeker, vacancy, "work_mode")) == {"work_mode"}
    for vacancy in (part_time, internship):
        assert codes(assert_blocked(client, seeker, vacancy)) == {"employment_type"}
    assert codes(pair(client, seeker, both)) == {"work_mode", "employment_type"}
    assert matched_ids(client, seeker) == [fits]

    # Preferences change: the part-time job is in, the internship still out.
    body = client.get(f"/v1/seekers/{seeker}").json()["preferences"]
    patched = patch_current(
        client,
        f"/v1/seekers/{seeker}",
        json={"preferences": {**body, "employment_types": ["full_time", "part_time"]}},
    )
    assert patched.status_code == 200, patched.text
    assert sorted(matched_ids(client, seeker)) == sorted([fits, part_time])
