"""Learning from outcomes recorded through the API, on both databases: referrals made from
the service's rankings, moved along, placements started months ago, six-month visits;
then the function ``accessmatch train --from-outcomes`` runs, with the registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import config as config_module
from service.access import Principal
from service.cli import main as cli_main
from service.db import transaction
from service.matching.offline.learning import InsufficientOutcomes, LearnParams, Thresholds
from service.matching.offline.outcome_eval import EvalParams
from service.matching.scorer import load_bundle
from service.models.enums import Role
from service.services.audit import Audit
from service.services.follow_ups import add_months
from service.services.retraining import Retrained, retrain
from tests.conftest import SECRET
from tests.match_helpers import abilities, make_employer, make_seeker, make_vacancy, north
from tests.placement_helpers import TODAY

START = add_months(TODAY, -7)  # six months on lies in the past: the visit can be recorded
SMALL = LearnParams(
    thresholds=Thresholds(min_outcomes=20, min_seekers=8, min_retained=4, min_holdout_seekers=3),
    evaluation=EvalParams(resamples=200),
)
# Which of a seeker's three referrals (by the rank the list showed it at) succeeds.
Chooser = Callable[[int], bool]


def _patch(client: TestClient, referral: dict[str, Any], **body: Any) -> None:
    response = client.patch(
        f"/v1/referrals/{referral['id']}", json=body, headers={"If-Match": referral["etag"]}
    )
    assert response.status_code == 200, response.text
    referral["etag"] = response.headers["etag"]


def _outcome(
    client: TestClient, referral: dict[str, Any], employer_id: str, seeker_id: str, success: bool
) -> None:
    if not success:
        _patch(client, referral, status="rejected_by_employer", reason_code="skills_mismatch")
        return
    for status in ("interview_scheduled", "interviewed", "offered"):
        _patch(client, referral, status=status)
    placed = client.post(
        "/v1/placements",
        json={
            "seeker_id": seeker_id,
            "employer_id": employer_id,
            "referral_id": referral["id"],
            "start_date": START.isoformat(),
            "form": "quota",
            "counts_as_new": True,
        },
    )
    assert placed.status_code == 201, placed.text
    visit = client.post(
        f"/v1/placements/{placed.json()['id']}/follow-ups",
        json={"date": add_months(START, 6).isoformat(), "method": "phone", "still_employed": True},
    )
    assert visit.status_code == 201, visit.text


def build_world(client: TestClient, n_seekers: int, succeeds: Chooser) -> list[str]:
    """Vacancies at 1-9 km of different pay; each seeker is referred to the top three of
    its list, with rank and shown; the one ``succeeds`` picks is hired and still employed
    at six months, the others are turned down."""
    employer = make_employer(client, kind="private")
    seekers = []
    for j in range(5):
        make_vacancy(
            client,
            employer,
            title=f"数据录入员{j}",
            location=north(1 + 2 * j),
            salary_min=2600 + 300 * j,
            salary_max=3400 + 350 * j,
            openings=100,
            skills=["电脑打字", "数据录入", "客服"][: 1 + j % 3],
        )
    for i in range(n_seekers):
        seeker_id = make_seeker(
            client,
            location=north(i % 4),
            ability=abilities(),
            min_salary=2400 + 100 * (i % 5),
            max_km=25,
            skills=["电脑打字", "数据录入"][: 1 + i % 2],
            birth=dt.date(1980 + i % 20, 1 + i % 12, 10),
            sequence=101 + i,
        )
        seekers.append(seeker_id)
        items = client.get(f"/v1/seekers/{seeker_id}/matches", params={"limit": 5}).json()["items"]
        assert len(items) == 5
        made = []
        for item in items[:3]:  # all three referred before any is decided
            response = client.post(
                "/v1/referrals",
                json={
                    "seeker_id": seeker_id,
                    "vacancy_id": item["vacancy_id"],
                    "source": "match",
                    "rank": item["rank"],
                    "shown": len(items),
                },
            )
            assert response.status_code == 201, response.text
            made.append(
                (
                    {"id": response.json()["id"], "etag": response.headers["etag"]},
                    succeeds(item["rank"]),
                )
            )
        for referral, success in sorted(made, key=lambda m: m[1]):  # the hire comes last
            _outcome(client, referral, employer, seeker_id, success)
    return seekers


def run(client: TestClient, *, promote: bool, params: LearnParams = SMALL) -> Retrained:
    """What ``accessmatch train --from-outcomes`` does, on the test app's database."""
    app: Any = client.app
    principal = Principal(key_id="cli", role=Role.admin, name="test", owner_id="cli")
    with transaction(app.state.engine) as session:
        return retrain(
            session,
            app.state.context.rules,
            Audit(session, principal),
            load_bundle(),
            promote=promote,
            params=params,
        )


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_url: str, *args: str
) -> tuple[int, str, str]:
    """``accessmatch train --from-outcomes ARGS`` on the test database."""
    monkeypatch.setenv("ACCESSMATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("ACCESSMATCH_SECRET_KEY", SECRET)
    config_module.get_settings.cache_clear()
    try:
        code = cli_main(["train", "--from-outcomes", *args])
    finally:
        config_module.get_settings.cache_clear()
    out = capsys.readouterr()
    return code, out.out, out.err


SMALL_ARGS = (
    "--min-outcomes",
    "20",
    "--min-seekers",
    "8",
    "--min-retained",
    "4",
    "--min-holdout-seekers",
    "3",
    "--resamples",
    "200",
)


def registry(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/models")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_failing_gate_registers_and_promotes_nothing(client: TestClient) -> None:
    """Outcomes exactly as the active model ranks (rank 1 succeeds): with the gate on
    NDCG@10 no candidate can rank better, so the gate fails — and the registry is left as
    it was."""
    build_world(client, 16, lambda rank: rank == 1)
    before = registry(client)
    on_ranking = replace(SMALL, evaluation=replace(SMALL.evaluation, metric="ndcg_at_10"))
    done = run(client, promote=True, params=on_ranking)
    m = done.learned.metrics
    assert set(m) >= {"holdout", "gate", "window", "data", "weights", "fit"}
    assert set(m["holdout"]["models"]) == {"candidate", "active", "tfidf_skills", "rules"}
    active = m["holdout"]["models"]["active"]
    assert active["ndcg_at_10"] == 1.0  # the outcomes follow its ranking exactly
    gate = m["gate"]
    assert gate["metric"] == "ndcg_at_10"
    assert gate["passed"] is False and gate["interval"][0] <= 0
    assert gate["against"] == before["active_version"]
    assert gate["n_outcomes"] == m["holdout"]["pairs"] == 12  # the newest quarter of 48
    assert gate["n_seekers"] == 4
    assert m["data"]["known"] == 48 and m["data"]["retained"] == 16
    assert m["data"]["seekers"] == 16
    assert m["window"]["train"]["to"] < m["window"]["holdout"]["from"]
    assert done.registered is None and done.promoted is False
    after = registry(client)
    assert after["active_version"] == before["active_version"]
    assert [i["version"] for i in after["items"]] == [i["version"] for i in before["items"]]


def test_a_passing_gate_registers_and_activates_the_candidate(
    client: TestClient,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Outcomes against the active model's order (its third choice succeeds): the
    candidate learns the reverse, passes, is registered with its metrics and window, and
    with ``--promote`` becomes the active version (the command line, end to end)."""
    build_world(client, 16, lambda rank: rank == 3)
    before = registry(client)["active_version"]
    code, out, err = cli(monkeypatch, capsys, db_url, "--promote", *SMALL_ARGS)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("referrals 48: 48 known outcomes from 16 seekers (16 retained")
    assert any(
        line.startswith("gate PASSED: log_likelihood candidate − active +") for line in lines
    )
    assert sum(line.startswith("  guard ") and line.endswith(": holds") for line in lines) == 2
    for name in ("candidate", "active", "tfidf_skills", "rules"):
        assert any(line.startswith(name) for line in lines), name
    assert lines[-1].endswith("registered; activated"), out
    listing = registry(client)
    version = listing["active_version"]
    assert version != before and version in lines[-1]
    mine = next(i for i in listing["items"] if i["version"] == version)
    assert mine["source"] == "outcomes" and mine["window"]["outcomes"] == 48
    assert mine["created_by"] == "cli"
    detail = client.get(f"/v1/models/{version}").json()
    gate = detail["metrics"]["gate"]
    assert gate["passed"] is True and gate["interval"][0] > 0 and gate["against"] == before
    # Learning again measures against the candidate, now the active model.
    again = run(client, promote=True)
    assert again.learned.metrics["gate"]["against"] == version


def test_too_few_outcomes_refuses_with_the_counts(
    client: TestClient,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit code 1 and the counts; an erased person's referrals (their remainder has no
    record to learn from) are skipped and counted; the registry is left as it was."""
    seekers = build_world(client, 4, lambda rank: rank == 1)
    assert client.delete(f"/v1/seekers/{seekers[0]}").status_code == 204
    code, out, err = cli(monkeypatch, capsys, db_url, "--promote")
    assert (code, out) == (1, "")
    assert err.startswith(
        "accessmatch: too few outcomes to learn from: 9 known outcomes from 3 seekers (3 "
        "retained at six months, 0 weaker signals, 0 referrals without an outcome; 3 "
        "referrals of erased people skipped); at least 200 outcomes from 50 seekers, 20 of "
        "them retained, are needed"
    ), err
    with pytest.raises(InsufficientOutcomes) as caught:
        run(client, promote=True, params=LearnParams())
    assert caught.value.counts["known"] == 9
    assert [i["source"] for i in registry(client)["items"]] == ["cold_start"]
