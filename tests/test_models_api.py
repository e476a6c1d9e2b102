"""The model registry on SQLite and PostgreSQL: the shipped scorer registered at start-up,
reading by role, the promotion gate, promotion, rollback, the hot switch in this process
and in a second one on the same database, the artifact kept in the database, and the
monitoring figures once outcomes are recorded.  Test models are real bundles: the
shipped one with its weights (and, for one test, its text encoder) changed."""

from __future__ import annotations

import copy
import datetime as dt
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.errors import Conflict, ValidationFailed
from service.matching.artifact import encoder_fingerprint
from service.matching.scorer import ScorerBundle, linear_parts, load_bundle
from service.models.model_registry import ModelSource
from service.models.tables import ModelVersion
from service.rules import today_in_china
from service.services import models as registry
from service.services.follow_ups import add_months
from tests.conftest import ADMIN_KEY, assert_problem, audit_rows, issue_key, row_counts
from tests.match_helpers import make_employer, make_seeker, make_vacancy

SHIPPED = load_bundle()
DEADLINE_SECONDS = 20.0


def named(tag: str) -> str:
    """A test version: the shipped one's name and a tag, within the 40 characters."""
    return f"{SHIPPED.version[:31]}.{tag[:8]}"


def variant(tag: str, scale: float, *, new_encoder: bool = False) -> ScorerBundle:
    """The shipped bundle with every logistic weight multiplied by ``scale`` (and, if
    asked, a text encoder of its own: the IDF weights changed)."""
    model = copy.deepcopy(SHIPPED.model)
    inner = model
    if hasattr(inner, "calibrated_classifiers_"):
        inner = inner.calibrated_classifiers_[0].estimator
        inner = getattr(inner, "estimator", inner)
    logistic = inner.steps[1][1]
    logistic.coef_ = logistic.coef_ * scale
    encoder = SHIPPED.text_encoder
    if new_encoder:
        encoder = copy.deepcopy(encoder)
        encoder.steps[1][1].idf_ = encoder.steps[1][1].idf_ * 1.5
    return ScorerBundle(
        version=named(tag), text_encoder=encoder, model=model, params=SHIPPED.params, report={}
    )


def gate(against: str, *, low: float, high: float) -> dict[str, Any]:
    margin = (low + high) / 2
    return {
        "metric": "ndcg_at_10",
        "against": against,
        "candidate": 0.6 + margin,
        "active": 0.6,
        "margin": margin,
        "interval": [low, high],
        "confidence": 0.95,
        "resamples": 500,
        "unit": "seeker",
        "passed": low > 0,
    }


def register(engine: sa.Engine, bundle: ScorerBundle, metrics: dict[str, Any]) -> None:
    window = {
        "from_date": "2026-01-01",
        "to_date": "2026-09-30",
        "referrals": 400,
        "placements": 90,
        "outcomes": 310,
    }
    with Session(engine) as session:
        registry.register(
            session,
            bundle,
            source=ModelSource.outcomes,
            window=window,
            metrics=metrics,
            created_by="test",
        )
        session.commit()


def wait_for(check: Callable[[], bool]) -> None:
    """Poll until ``check()`` holds; fail past the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not check():
        assert time.monotonic() < deadline, "not switched within the deadline"
        time.sleep(0.05)


def active(client: TestClient) -> str:
    return str(client.get("/v1/models").json()["active_version"])


def serves(client: TestClient, seeker: str, version: str) -> Callable[[], bool]:
    def check() -> bool:
        answer = client.get(f"/v1/seekers/{seeker}/matches")
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["model_version"] == version)

    return check


@pytest.fixture
def rival(settings: Any) -> Iterator[TestClient]:
    """A second app on the same database: another process of the service."""
    from service.main import create_app

    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as other:
        yield other
    app.state.engine.dispose()


def _pair(client: TestClient) -> tuple[str, str]:
    employer = make_employer(client)
    return make_seeker(client), make_vacancy(client, employer)


# -- start-up, reading ---------------------------------------------------------------


def test_the_shipped_scorer_is_registered_once_at_start_up(
    client: TestClient, raw_db: sa.Engine, settings: Any
) -> None:
    listed = client.get("/v1/models").json()
    assert listed["active_version"] == SHIPPED.version
    [item] = listed["items"]
    assert item["active"] is True and item["source"] == "cold_start"
    assert item["gate"] is None and item["window"]["outcomes"] == 0
    [first] = listed["activations"]
    assert first["reason"] == "initial" and first["activated_by"] is None
    assert first["previous_version"] is None and item["activations"] == [first]
    # A second process starting on the same database registers nothing more.
    from service.main import create_app

    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as other:
        assert active(other) == SHIPPED.version
    app.state.engine.dispose()
    counts = row_counts(raw_db)
    assert (counts["model_version"], counts["model_activation"]) == (1, 1)
    assert (
        f'accessmatch_model_info{{version="{SHIPPED.version}"}} 1.0' in client.get("/metrics").text
    )
    assert client.get("/readyz").json()["model_version"] == SHIPPED.version


@pytest.mark.parametrize(
    ("role", "status"), [("analyst", 200), ("counselor", 403), ("partner", 403), ("kiosk", 403)]
)
def test_who_may_read_the_registry(client: TestClient, role: str, status: int) -> None:
    headers = issue_key(client, role)
    for url in ("/v1/models", f"/v1/models/{SHIPPED.version}"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == status, answer.text
    if status == 200:
        detail = client.get(f"/v1/models/{SHIPPED.version}", headers=headers).json()
        assert detail["active"] and detail["artifact"]["features"] == len(SHIPPED.feature_names)
        assert detail["monitoring"]["outcomes"] == 0 and detail["monitoring"]["ece"] is None
    assert_problem(client.get("/v1/models/1.0+nothing-like-it"), 404)
    refused = client.post(
        f"/v1/models/{SHIPPED.version}/activate", json={}, headers=issue_key(client, "analyst")
    )
    assert_problem(refused, 403)


def test_the_artifact_in_the_database_loads_and_scores_like_the_file(
    client: TestClient, raw_db: sa.Engine
) -> None:
    with Session(raw_db) as session:
        stored = registry.load(session, SHIPPED.version)
    lin = linear_parts(SHIPPED.model)
    X = lin.mean + lin.scale * np.random.default_rng(7).normal(0, 1.5, (500, len(lin.mean)))
    assert np.array_equal(stored.predict(X), SHIPPED.predict(X))
    assert np.array_equal(stored.contributions(X), SHIPPED.contributions(X))
    texts = ["数据录入员 客服 电脑打字", "盲人按摩师", ""]
    assert (stored.encode_text(texts) != SHIPPED.encode_text(texts)).nnz == 0
    assert encoder_fingerprint(stored) == encoder_fingerprint(SHIPPED)


def test_a_release_whose_code_does_not_fit_the_active_model_serves_the_shipped_one(
    client: TestClient, raw_db: sa.Engine, settings: Any
) -> None:
    """The active version's features differ from the code's (a release changed them): a
    process starting then activates the shipped scorer, saying why, and the running
    ones follow it."""
    seeker, _ = _pair(client)
    old = variant("oldfeat", 1.1)
    register(raw_db, old, {"gate": gate(SHIPPED.version, low=0.01, high=0.02)})
    assert client.post(f"/v1/models/{old.version}/activate").status_code == 201
    wait_for(serves(client, seeker, old.version))
    with Session(raw_db) as session:
        row = session.get(ModelVersion, old.version)
        assert row is not None
        row.bundle_meta = {**row.bundle_meta, "feature_names": ["an_older_feature"]}
        session.commit()
    from service.main import create_app

    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as fresh:
        assert serves(fresh, seeker, SHIPPED.version)()
        newest = fresh.get("/v1/models").json()["activations"][0]
    app.state.engine.dispose()
    assert newest["version"] == SHIPPED.version and newest["reason"] == "initial"
    assert newest["previous_version"] == old.version
    assert "does not fit this code" in newest["note"]
    wait_for(serves(client, seeker, SHIPPED.version))


# -- the gate ------------------------------------------------------------------------


def test_a_candidate_that_failed_the_gate_is_refused_and_nothing_changes(
    client: TestClient, raw_db: sa.Engine
) -> None:
    register(raw_db, variant("fail", 0.9), {"gate": gate(SHIPPED.version, low=-0.01, high=0.05)})
    register(raw_db, variant("nogate", 0.8), {"holdout": {"seekers": 10}})
    register(
        raw_db, variant("stale", 0.7), {"gate": gate("1.0+an-older-model", low=0.01, high=0.05)}
    )
    worse = {"metric": "roc_auc", "margin": -0.03, "interval": [-0.05, -0.01], "holds": False}
    register(
        raw_db,
        variant("worse", 0.6),
        {
            "gate": {
                **gate(SHIPPED.version, low=0.01, high=0.05),
                "metric": "log_likelihood",
                "guards": [worse],
                "passed": False,
            }
        },
    )
    before = row_counts(raw_db)
    for tag, words in (
        ("fail", "the gate failed"),
        ("nogate", "no promotion gate"),
        ("stale", "measured against 1.0+an-older-model"),
        ("worse", "measurably worse on roc_auc margin -0.0300"),
    ):
        answer = client.post(f"/v1/models/{named(tag)}/activate", json={"reason": "try"})
        assert words in assert_problem(answer, 409)["detail"], tag
    assert row_counts(raw_db) == before
    assert active(client) == SHIPPED.version
    assert not [e for e in audit_rows(raw_db) if e["action"] == "model.activate"]
    listed = {i["version"]: i for i in client.get("/v1/models").json()["items"]}
    assert listed[named("fail")]["gate"]["passed"] is False
    assert listed[named("fail")]["window"]["outcomes"] == 310


def test_registration_refuses_a_duplicate_and_a_gate_that_contradicts_itself(
    client: TestClient, raw_db: sa.Engine
) -> None:
    with pytest.raises(Conflict):
        register(raw_db, SHIPPED, {})
    long = copy.copy(variant("long", 1.1))
    object.__setattr__(long, "version", "1.1+" + "x" * 40)
    with pytest.raises(ValidationFailed, match="40 characters"):
        register(raw_db, long, {})
    lying = {**gate(SHIPPED.version, low=-0.02, high=0.04), "passed": True}
    with pytest.raises(ValidationFailed, match="passed"):
        register(raw_db, variant("liar", 1.1), {"gate": lying})
    hidden = {
        **gate(SHIPPED.version, low=0.01, high=0.04),
        "guards": [
            {"metric": "ndcg_at_10", "margin": -0.02, "interval": [-0.04, -0.001], "holds": False}
        ],
    }  # says passed although a guard fails
    with pytest.raises(ValidationFailed, match="every guard holds"):
        register(raw_db, variant("hider", 1.1), {"gate": hidden})
    claims = {
        **gate(SHIPPED.version, low=0.01, high=0.04),
        "guards": [
            {"metric": "ndcg_at_10", "margin": -0.02, "interval": [-0.04, -0.001], "holds": True}
        ],
    }  # a guard that says it holds although its interval is below 0
    with pytest.raises(ValidationFailed, match="upper bound"):
        register(raw_db, variant("claimer", 1.1), {"gate": claims})
    assert row_counts(raw_db)["model_version"] == 1
    # A trainer's metrics as they come: numpy numbers, NaN, keys the registry ignores.
    extra = {
        **gate(SHIPPED.version, low=0.01, high=0.03),
        "threshold": 0.005,
        "delta": np.float64(0.02),
        "n_seekers": np.int64(40),
    }
    register(
        raw_db,
        variant("numpy", 1.1),
        {
            "gate": extra,
            "holdout": {
                "models": {"candidate": {"ndcg_at_10": np.float64(0.61), "ece": float("nan")}}
            },
        },
    )
    detail = client.get(f"/v1/models/{named('numpy')}").json()
    assert detail["metrics"]["gate"]["n_seekers"] == 40 and detail["gate"]["passed"]
    assert detail["metrics"]["holdout"]["models"]["candidate"]["ece"] is None
    assert detail["holdout_ndcg_at_10"] == 0.61 and detail["active"] is False
    assert detail["monitoring"]["since"] is None


def test_promotion_rollback_and_the_active_one(client: TestClient, raw_db: sa.Engine) -> None:
    seeker, _ = _pair(client)
    candidate = variant("better", 1.2)
    register(raw_db, candidate, {"gate": gate(SHIPPED.version, low=0.01, high=0.07)})
    promoted = client.post(
        f"/v1/models/{candidate.version}/activate",
        json={"reason": "beats the cold start on the hold-out"},
    )
    assert promoted.status_code == 201, promoted.text
    assert promoted.headers["location"] == f"/v1/models/{candidate.version}"
    body = promoted.json()
    assert body["reason"] == "promotion" and body["previous_version"] == SHIPPED.version
    assert body["note"] == "beats the cold start on the hold-out"
    assert body["activated_by"] == audit_rows(raw_db, action="model.activate")[0]["key_id"]
    wait_for(serves(client, seeker, candidate.version))
    assert_problem(client.post(f"/v1/models/{candidate.version}/activate"), 409)

    # Rollback: one call, no gate.
    back = client.post(f"/v1/models/{SHIPPED.version}/activate")
    assert back.status_code == 201, back.text
    assert back.json()["reason"] == "rollback"
    wait_for(serves(client, seeker, SHIPPED.version))
    # The candidate was active before: coming back is a rollback too.
    again = client.post(f"/v1/models/{candidate.version}/activate", json={})
    assert again.status_code == 201 and again.json()["reason"] == "rollback"
    history = client.get("/v1/models").json()["activations"]
    assert [a["reason"] for a in history] == ["rollback", "rollback", "promotion", "initial"]
    assert [a["previous_version"] for a in history[:3]] == [
        SHIPPED.version,
        candidate.version,
        SHIPPED.version,
    ]
    assert len(audit_rows(raw_db, action="model.activate")) == 3


# -- the hot switch --------------------------------------------------------------------


def test_another_process_switches_within_seconds(
    client: TestClient, rival: TestClient, raw_db: sa.Engine
) -> None:
    seeker, vacancy = _pair(client)
    assert serves(rival, seeker, SHIPPED.version)()
    old = rival.get(f"/v1/seekers/{seeker}/matches/{vacancy}").json()["probability"]
    candidate = variant("fleet", 1.3)
    register(raw_db, candidate, {"gate": gate(SHIPPED.version, low=0.02, high=0.06)})
    assert client.post(f"/v1/models/{candidate.version}/activate").status_code == 201
    started = time.monotonic()
    wait_for(serves(rival, seeker, candidate.version))
    switched_after = time.monotonic() - started
    pair = rival.get(f"/v1/seekers/{seeker}/matches/{vacancy}").json()
    assert pair["model_version"] == candidate.version
    # The new weights score the pair, in both processes alike.
    here = client.get(f"/v1/seekers/{seeker}/matches/{vacancy}").json()
    assert here["model_version"] == candidate.version
    assert here["probability"] == pair["probability"] != old
    print(f"second process switched after {switched_after:.2f} s")


def test_a_new_text_encoder_brings_its_own_index(
    client: TestClient, rival: TestClient, raw_db: sa.Engine
) -> None:
    seeker, vacancy = _pair(client)
    old_index = rival.app.state.matcher.index  # type: ignore[attr-defined]
    assert old_index.ready
    candidate = variant("reworded", 1.0, new_encoder=True)
    assert encoder_fingerprint(candidate) != encoder_fingerprint(SHIPPED)
    register(raw_db, candidate, {"gate": gate(SHIPPED.version, low=0.01, high=0.03)})
    assert client.post(f"/v1/models/{candidate.version}/activate").status_code == 201
    wait_for(serves(rival, seeker, candidate.version))
    new_index = rival.app.state.matcher.index  # type: ignore[attr-defined]
    assert new_index is not old_index and new_index.ready
    items = rival.get(f"/v1/seekers/{seeker}/matches").json()["items"]
    assert vacancy in [i["vacancy_id"] for i in items]


def test_a_request_in_flight_keeps_the_model_it_started_with(client: TestClient) -> None:
    live = client.app.state.matcher  # type: ignore[attr-defined]
    in_flight = live.current()
    assert live.use(variant("swap", 0.5)) is True
    assert in_flight.scorer.version == SHIPPED.version  # what that request ranks with
    assert live.current().scorer.version == named("swap")
    assert live.use(variant("swap", 0.5)) is False  # the one served already
    # The registry still names the shipped scorer: the watcher brings it back.
    client.app.state.model_watcher.wake()  # type: ignore[attr-defined]
    wait_for(lambda: live.current().scorer.version == SHIPPED.version)


# -- monitoring ----------------------------------------------------------------------

TODAY = today_in_china()
START = TODAY - dt.timedelta(days=200)


def _patch(client: TestClient, url: str, body: dict[str, Any]) -> None:
    etag = client.get(url).headers["etag"]
    answer = client.patch(url, json=body, headers={"If-Match": etag})
    assert answer.status_code == 200, answer.text


def _retained(client: TestClient, referral: dict[str, Any], employer: str) -> None:
    url = f"/v1/referrals/{referral['id']}"
    for step in ("interview_scheduled", "interviewed", "offered"):
        _patch(client, url, {"status": step})
    placed = client.post(
        "/v1/placements",
        json={
            "seeker_id": referral["seeker_id"],
            "employer_id": employer,
            "referral_id": referral["id"],
            "start_date": START.isoformat(),
            "form": "quota",
            "counts_as_new": True,
        },
    )
    assert placed.status_code == 201, placed.text
    visit = client.post(
        f"/v1/placements/{placed.json()['id']}/follow-ups",
        json={
            "date": add_months(START, 6).isoformat(),
            "method": "on_site",
            "still_employed": True,
        },
    )
    assert visit.status_code == 201, visit.text


def _ece(p: list[float], y: list[int]) -> float:
    """Written out independently: 10 equal-width bins, weighted gaps."""
    total = 0.0
    for b in range(10):
        inside = [i for i, q in enumerate(p) if min(int(q * 10), 9) == b]
        if inside:
            gap = sum(y[i] for i in inside) / len(inside) - sum(p[i] for i in inside) / len(inside)
            total += len(inside) / len(p) * abs(gap)
    return total


def test_monitoring_figures_appear_once_outcomes_exist(client: TestClient) -> None:
    employer = make_employer(client)
    titles = ["数据录入员", "客服专员", "电话客服", "档案整理员"]
    vacancies = [
        make_vacancy(client, employer, title=t, openings=10, salary_min=2600 + 300 * i)
        for i, t in enumerate(titles)
    ]
    referrals: list[dict[str, Any]] = []
    for n in range(6):
        seeker = make_seeker(client, experience_years=n, max_km=20 + n)
        for vacancy in vacancies:
            made = client.post(
                "/v1/referrals",
                json={"seeker_id": seeker, "vacancy_id": vacancy, "source": "match"},
            )
            assert made.status_code == 201, made.text
            referrals.append(made.json())
    url = f"/v1/models/{SHIPPED.version}"
    pending = client.get(url).json()["monitoring"]
    assert (pending["referrals"], pending["outcomes"], pending["pending"]) == (24, 0, 24)
    assert pending["ece"] is None and pending["ndcg_at_10"] is None

    labels: list[int] = []
    for i, referral in enumerate(referrals):
        if i % 4 == (i // 4) % 4:  # one hire per seeker, at a different place each time
            _retained(client, referral, employer)
            labels.append(1)
        else:
            _patch(
                client,
                f"/v1/referrals/{referral['id']}",
                {"status": "rejected_by_employer", "reason_code": "skills_mismatch"},
            )
            labels.append(0)
    figures = client.get(url).json()["monitoring"]
    assert (figures["referrals"], figures["outcomes"], figures["retained"], figures["pending"]) == (
        24,
        24,
        6,
        0,
    )
    p = [r["ranking"]["probability"] for r in referrals]
    assert figures["ece"] == pytest.approx(_ece(p, labels), abs=1e-6)
    assert figures["observed_rate"] == pytest.approx(0.25)
    assert figures["ranked_seekers"] == 6 and 0 < figures["ndcg_at_10"] <= 1
    metrics = client.get("/metrics").text
    assert "accessmatch_model_outcomes_count 24.0" in metrics
    ece_line = next(
        line for line in metrics.splitlines() if line.startswith("accessmatch_model_outcomes_ece ")
    )
    assert math.isclose(float(ece_line.split()[1]), figures["ece"], abs_tol=1e-6)
