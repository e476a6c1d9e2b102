"""The simulated year's hands on the API: registering the world, a quarter of referrals
and their outcomes, the quarterly retraining (see ``bench.simulated_year``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from bench.year_eval import Panel, build_panel, judge, referred_ece
from bench.year_world import World, employer_body, seeker_body, vacancy_body
from service.access import Principal
from service.config import Settings
from service.db import transaction
from service.main import create_app
from service.matching.constraints import Day
from service.matching.offline.learning import InsufficientOutcomes
from service.matching.scorer import ScorerBundle, load_bundle
from service.migrate import upgrade
from service.models.enums import Role
from service.rules import today_in_china
from service.services.audit import Audit
from service.services.follow_ups import add_months
from service.services.retraining import active_bundle, retrain

ADMIN_KEY = "year-bench-admin-key-0123456789"
SECRET = "year-bench-secret-key-0123456789-abcdefghij"
SHOWN = 10
PER_PERSON = 5
VISITING = 0.9
LATE = 0.2  # share of a quarter's hires whose six-month record comes next quarter
OPENINGS = 6
# How a referral that does not last six months ends, and how often.
FAILURES = (
    ("rejected_by_employer", "skills_mismatch", 0.55),
    ("interview_rejected", "interview_performance", 0.2),
    ("declined_by_seeker", "pay_too_low", 0.15),
    ("hired_and_left", None, 0.1),
)


class BenchFailure(RuntimeError):
    pass


@dataclass
class Quarter:
    referred: int
    hired: int
    ece: float | None  # the served probabilities on the quarter's outcomes, vs the truth
    ece_cold: float | None


class Driver:
    def __init__(self, world: World, tmp: Path, *, seed: int, quarters: int) -> None:
        self.world, self.tmp, self.quarters = world, tmp, quarters
        self.rng = np.random.default_rng([seed, 99])
        self.today = today_in_china()
        self.cold = load_bundle()
        self.seeker_id: dict[int, str] = {}  # world row -> service id
        self.seeker_row: dict[str, int] = {}
        self.vacancy_row: dict[str, int] = {}
        self.vacancy_of: dict[str, tuple[str, str]] = {}  # id -> (employer id, world row)
        self.seeking: set[str] = set()
        # placement id, its ETag, the seeker, retained at six months, the start
        self.pending: list[tuple[str, str, str, bool, dt.date]] = []
        self.requests = 0
        self.history: list[dict[str, Any]] = []  # each retraining's metrics
        self.totals = {"referrals": 0, "placements": 0, "visits": 0}

    # -- the app ------------------------------------------------------------------------
    def __enter__(self) -> Driver:
        url = f"sqlite:///{self.tmp / 'year.db'}"
        upgrade(url)
        settings = Settings(
            database_url=url,
            secret_key=SECRET,
            admin_key=ADMIN_KEY,
            rate_limit="1000000/minute",
            log_json=False,
            log_level="WARNING",
            model_poll_seconds=0.5,
        )
        self.app = create_app(settings)
        self.client = TestClient(self.app, headers={"X-API-Key": ADMIN_KEY})
        self.client.__enter__()
        self._register_vacancies()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.client.__exit__(kind, exc, tb)
        self.app.state.engine.dispose()

    def call(self, method: str, url: str, expect: int, **kwargs: Any) -> Any:
        self.requests += 1
        response = self.client.request(method, url, **kwargs)
        if response.status_code != expect:
            raise BenchFailure(f"{method} {url}: {response.status_code} {response.text}")
        return response

    # -- registering ----------------------------------------------------------------------
    def _register_vacancies(self) -> None:
        employer_ids = {}
        for serial, emp in enumerate(self.world.employers, start=1):
            made = self.call("POST", "/v1/employers", 201, json=employer_body(emp, serial))
            employer_ids[emp["id"]] = made.json()["id"]
        for row, record in enumerate(self.world.vacancies):
            employer = employer_ids[record["employer_id"]]
            made = self.call(
                "POST",
                "/v1/vacancies",
                201,
                json=vacancy_body(record, employer, self.today, OPENINGS),
            )
            self.vacancy_row[made.json()["id"]] = row
            self.vacancy_of[made.json()["id"]] = (employer, record["id"])

    def register(self, rows: Iterable[int]) -> None:
        for row in rows:
            body = seeker_body(self.world.seekers[row], row, self.rng)
            made = self.call("POST", "/v1/seekers", 201, json=body)
            sid = made.json()["id"]
            self.seeker_id[row], self.seeker_row[sid] = sid, row
            self.seeking.add(sid)

    # -- a quarter ------------------------------------------------------------------------
    def start_of(self, q: int) -> dt.date:
        """Placements of quarter q start this many quarters before the last one's start,
        which lies six months and ten days back: every six-month visit is in the past."""
        return self.today - dt.timedelta(days=193 + 91 * (self.quarters - 1 - q))

    def quarter(self, q: int) -> Quarter:
        self._settle(self.pending)
        self.pending = []
        people = [s for s in sorted(self.seeking) if self.rng.random() < VISITING]
        self.rng.shuffle(people)  # type: ignore[arg-type]
        referred: list[tuple[str, str, float]] = []  # seeker, vacancy, probability shown
        hired = 0
        for seeker in people:
            tried, got = self._visit(seeker, self.start_of(q))
            referred += [(seeker, vacancy, prob) for vacancy, prob in tried]
            hired += got
        return self._calibration(referred, hired)

    def _visit(self, seeker: str, start: dt.date) -> tuple[list[tuple[str, float]], int]:
        """The person's list, and referrals from it one at a time until one is a job.

        The counselor tries up to ``PER_PERSON`` of the shown items, drawn with a position
        bias (rank r ∝ 1/r, without replacement, in the order drawn); each referral is
        decided before the next is made, so every recorded outcome is the pair's own (no
        referral is left open by a job found elsewhere).  A failure ends in one of
        ``FAILURES``; "hired and gone before month six" is a job too, and ends the turn."""
        items = self.call(
            "GET", f"/v1/seekers/{seeker}/matches", 200, params={"limit": SHOWN}
        ).json()["items"]
        if not items:
            return [], 0
        ranks = np.arange(1, len(items) + 1)
        order = self.rng.choice(
            len(items),
            size=min(PER_PERSON, len(items)),
            replace=False,
            p=(1 / ranks) / np.sum(1 / ranks),
        )
        tried: list[tuple[str, float]] = []
        for k in order.tolist():
            item = items[k]
            made = self.call(
                "POST",
                "/v1/referrals",
                201,
                json={
                    "seeker_id": seeker,
                    "vacancy_id": item["vacancy_id"],
                    "source": "match",
                    "rank": item["rank"],
                    "shown": len(items),
                },
            )
            self.totals["referrals"] += 1
            referral = {"id": made.json()["id"], "etag": made.headers["etag"]}
            tried.append((item["vacancy_id"], float(item["probability"])))
            chance = self.world.outcome_probability(
                np.array([self.seeker_row[seeker]]),
                np.array([self.vacancy_row[item["vacancy_id"]]]),
            )[0]
            success = bool(self.rng.random() < chance)
            kind = self.rng.choice(len(FAILURES), p=[f[2] for f in FAILURES])
            status, reason, _ = FAILURES[int(kind)]
            if success or status == "hired_and_left":
                self._hire(seeker, referral, item["vacancy_id"], start, retained=success)
                return tried, 1
            if status == "interview_rejected":
                for step in ("interview_scheduled", "interviewed"):
                    self._move(referral, step)
                status = "rejected_by_employer"
            self._move(referral, status, reason)
        return tried, 0

    def _move(self, referral: dict[str, Any], status: str, reason: str | None = None) -> None:
        body = {"status": status, **({"reason_code": reason} if reason else {})}
        made = self.call(
            "PATCH",
            f"/v1/referrals/{referral['id']}",
            200,
            json=body,
            headers={"If-Match": referral["etag"]},
        )
        referral["etag"] = made.headers["etag"]

    def _hire(
        self, seeker: str, referral: dict[str, Any], vacancy: str, start: dt.date, *, retained: bool
    ) -> None:
        """Interviewed, offered, placed; the six-month record now, or (``LATE``) next
        quarter."""
        for step in ("interview_scheduled", "interviewed", "offered"):
            self._move(referral, step)
        placed = self.call(
            "POST",
            "/v1/placements",
            201,
            json={
                "seeker_id": seeker,
                "employer_id": self.vacancy_of[vacancy][0],
                "referral_id": referral["id"],
                "start_date": start.isoformat(),
                "form": "quota",
                "counts_as_new": True,
            },
        )
        self.totals["placements"] += 1
        self.seeking.discard(seeker)
        outcome = (placed.json()["id"], placed.headers["etag"], seeker, retained, start)
        if self.rng.random() < LATE:
            self.pending.append(outcome)
        else:
            self._settle([outcome])

    def _settle(self, outcomes: Sequence[tuple[str, str, str, bool, dt.date]]) -> None:
        """The six-month record: a visit finding the person at work, or the job's end."""
        for placement, etag, seeker, retained, start in outcomes:
            if retained:
                self.call(
                    "POST",
                    f"/v1/placements/{placement}/follow-ups",
                    201,
                    json={
                        "date": add_months(start, 6).isoformat(),
                        "method": "phone",
                        "still_employed": True,
                    },
                )
                self.totals["visits"] += 1
                continue
            end = start + dt.timedelta(days=int(self.rng.integers(20, 81)))
            self.call(
                "PATCH",
                f"/v1/placements/{placement}",
                200,
                json={"end_date": end.isoformat(), "end_reason": "resigned_workload"},
                headers={"If-Match": etag},
            )
            self.seeking.add(seeker)

    # -- judging and retraining -----------------------------------------------------------
    def _calibration(self, referred: list[tuple[str, str, float]], hired: int) -> Quarter:
        """ECE of the served probabilities on the quarter's referrals (each has an outcome
        of its own), the truth as the expected outcome; and the cold-start model's."""
        if not referred:
            return Quarter(0, hired, None, None)
        si = np.array([self.seeker_row[s] for s, _, _ in referred])
        vi = np.array([self.vacancy_row[v] for _, v, _ in referred])
        truth = self.world.outcome_probability(si, vi)
        shown = np.array([p for _, _, p in referred])
        cold = self._cold_probabilities(referred)
        return Quarter(len(referred), hired, referred_ece(shown, truth), referred_ece(cold, truth))

    def _cold_probabilities(self, referred: list[tuple[str, str, float]]) -> np.ndarray:
        from service.services.retraining import load

        with transaction(self.app.state.engine) as session:
            loaded = load(session, self.app.state.context.rules, self.cold)
        from service.matching.offline.training import pair_matrix

        s_row = {k: i for i, k in enumerate(loaded.seekers.ids.tolist())}
        v_row = {k: i for i, k in enumerate(loaded.vacancies.ids.tolist())}
        X = pair_matrix(
            loaded.seekers,
            loaded.vacancies,
            np.array([s_row[s] for s, _, _ in referred]),
            np.array([v_row[v] for _, v, _ in referred]),
            self.day(),
        )
        return self.cold.predict(X.astype(np.float64))

    def day(self) -> Day:
        return Day.of(self.today, self.app.state.context.rules.graduate_window_years)

    def panel(self, rows: Sequence[int]) -> Panel:
        ids = [self.seeker_id[int(r)] for r in rows]
        with transaction(self.app.state.engine) as session:
            return build_panel(
                session,
                self.app.state.context.rules,
                self.cold,
                self.world,
                ids,
                [int(r) for r in rows],
                self.vacancy_row,
                self.day(),
            )

    def active(self) -> ScorerBundle:
        with transaction(self.app.state.engine) as session:
            return active_bundle(session, self.cold)

    def serving_label(self) -> str:
        version = self.app.state.matcher.scorer.version
        return "cold start" if version == self.cold.version else f"learned {version[-6:]}"

    def judge(self, panel: Panel) -> dict[str, dict[str, Any]]:
        return judge(panel, {"active": self.app.state.matcher.scorer, "cold_start": self.cold})

    def retrain(self, panel: Panel) -> tuple[dict[str, Any] | None, str, float | None]:
        """Retrain and promote if the gate passes; the gate, a note, and the candidate's
        panel NDCG@10 (promoted or not)."""
        principal = Principal(key_id="bench", role=Role.admin, name="year", owner_id="bench")
        try:
            with transaction(self.app.state.engine) as session:
                done = retrain(
                    session,
                    self.app.state.context.rules,
                    Audit(session, principal),
                    self.cold,
                    promote=True,
                )
        except InsufficientOutcomes as exc:
            return None, f"too few outcomes: {exc}", None
        self.app.state.model_watcher.sync()  # this process follows the registry now
        gate = done.learned.metrics["gate"]
        if done.promoted and self.app.state.matcher.scorer.version != done.registered:
            raise BenchFailure("the promoted model is not the one served")
        candidate = judge(panel, {"candidate": done.learned.bundle})["candidate"]
        self.history.append({"metrics": done.learned.metrics, "panel": candidate})
        return gate, "promoted" if done.promoted else "", candidate["ndcg_at_10"]

    def counts(self) -> dict[str, int]:
        return {
            "seekers": len(self.seeker_id),
            "vacancies": len(self.vacancy_row),
            "requests": self.requests,
            **self.totals,
        }
