"""``accessmatch train --from-outcomes``: recorded referrals and their outcomes → a
candidate scorer, compared with the active one on a time-ordered hold-out
(``service.matching.offline.learning``); a candidate that passes the gate is registered
(``service.services.models.register``) and, when asked, activated.  A candidate that
fails it is neither registered nor activated (with ``output`` its bundle is still written
there, to be looked at).

Referrals of erased people (their remainder has no seeker record to compute features
from) and of vacancies no longer on record are skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from service.matching.arrays import SeekerArrays, VacancyArrays, build_seekers, build_vacancies
from service.matching.constraints import Day
from service.matching.offline.learning import Learned, LearnParams, learn
from service.matching.offline.outcomes import OutcomeRow
from service.matching.records import seeker_record, vacancy_record
from service.matching.scorer import ScorerBundle, save_bundle
from service.models.base import as_utc
from service.models.enums import ReferralStatus
from service.models.model_registry import ModelSource
from service.repositories import matching as match_repo
from service.repositories import models as model_repo
from service.repositories import outcomes as repo
from service.rules import DomainRules, today_in_china
from service.services import follow_ups
from service.services import models as registry
from service.services.audit import Audit

_PAST_INTERVIEW = frozenset(
    {ReferralStatus.interviewed.value, ReferralStatus.offered.value, ReferralStatus.hired.value}
)


@dataclass(frozen=True)
class Loaded:
    rows: list[OutcomeRow]
    seekers: SeekerArrays
    vacancies: VacancyArrays
    skipped_erased: int
    skipped_missing: int


@dataclass(frozen=True)
class Retrained:
    learned: Learned
    registered: str | None  # the version as registered, or None
    promoted: bool
    output: Path | None  # where the bundle was written, when it was


def outcome_row(found: repo.ReferralOutcome) -> OutcomeRow:
    r, p = found.referral, found.placement
    retained = (
        follow_ups.retained_6_months(p.six_months_on, p.end_date, found.visits)
        if p is not None
        else None
    )
    return OutcomeRow(
        referral_id=r.id,
        seeker_id=r.seeker_id,
        vacancy_id=r.vacancy_id,
        created_at=as_utc(r.created_at),
        model_version=r.model_version,
        score=r.score,
        probability=r.probability,
        rank=r.rank,
        shown=r.shown,
        source=r.source,
        status=r.status,
        reason_code=r.reason_code,
        interviewed=found.interviewed or r.status in _PAST_INTERVIEW,
        hired=p is not None,
        retained_6_months=retained,
    )


def load(session: Session, rules: DomainRules, encoder: ScorerBundle) -> Loaded:
    """Every referral as an outcome row, and the records they name, encoded with
    ``encoder``'s text encoder."""
    found = repo.referral_outcomes(session)
    seeker_ids = sorted({f.referral.seeker_id for f in found})
    vacancy_ids = sorted({f.referral.vacancy_id for f in found})
    seekers = {s.id: s for s in match_repo.seekers(session, seeker_ids)}
    vacancies = {
        v.id: (v, e) for v, e in match_repo.vacancies_with_employers(session, ids=vacancy_ids)
    }
    rows: list[OutcomeRow] = []
    erased = missing = 0
    for f in found:
        if f.referral.seeker_id not in seekers:
            erased += 1
        elif f.referral.vacancy_id not in vacancies:
            missing += 1
        else:
            rows.append(outcome_row(f))
    s_records = [seeker_record(seekers[i], rules) for i in seeker_ids if i in seekers]
    v_records = [vacancy_record(*vacancies[i]) for i in vacancy_ids if i in vacancies]
    return Loaded(
        rows=rows,
        seekers=build_seekers(s_records, encoder.encode_text),
        vacancies=build_vacancies(v_records, encoder.encode_text),
        skipped_erased=erased,
        skipped_missing=missing,
    )


def active_bundle(session: Session, shipped: ScorerBundle) -> ScorerBundle:
    """The registry's active version (the shipped bundle if that is the one, or if the
    registry is empty)."""
    head = model_repo.head(session)
    if head is None or head[1] == shipped.version:
        return shipped
    return registry.load(session, head[1])


def training_window(learned: Learned) -> dict[str, object]:
    """What the registry keeps of the data a candidate learned from."""
    data, times = learned.data, learned.data.created[learned.data.train]
    counts = data.counts
    return {
        "from_date": min(times).date() if len(times) else None,
        "to_date": max(times).date() if len(times) else None,
        "referrals": int(counts["train_rows"]),
        "placements": int(counts["known_hires"] + counts["hired"]),
        "outcomes": int(counts["known"]),
    }


def retrain(
    session: Session,
    rules: DomainRules,
    audit: Audit,
    shipped: ScorerBundle,
    *,
    promote: bool = False,
    params: LearnParams | None = None,
    output: Path | None = None,
) -> Retrained:
    """Learn a candidate against the active model; register it if it passes the gate,
    and activate it too with ``promote``.  ``InsufficientOutcomes`` when there is too
    little to learn from (nothing is written then)."""
    active = active_bundle(session, shipped)
    learned = train_from_outcomes(session, rules, active, params=params, output=output)
    if not learned.metrics["gate"]["passed"]:
        return Retrained(learned=learned, registered=None, promoted=False, output=output)
    row = registry.register(
        session,
        learned.bundle,
        source=ModelSource.outcomes,
        window=training_window(learned),
        metrics=learned.metrics,
        created_by=audit.principal.key_id,
    )
    if promote:
        gate = learned.metrics["gate"]
        registry.activate(
            session,
            audit,
            row.version,
            note=f"from outcomes: {gate['metric']} {gate['delta']:+.4f} over "
            f"{gate['against']}, interval [{gate['interval'][0]:+.4f}, "
            f"{gate['interval'][1]:+.4f}]",
        )
    return Retrained(learned=learned, registered=row.version, promoted=promote, output=output)


def train_from_outcomes(
    session: Session,
    rules: DomainRules,
    active: ScorerBundle,
    *,
    params: LearnParams | None = None,
    output: Path | None = None,
) -> Learned:
    """Build, fit and evaluate against ``active`` (``InsufficientOutcomes`` when there is
    too little); write the candidate bundle to ``output`` when given."""
    loaded = load(session, rules, active)
    day = Day.of(today_in_china(), rules.graduate_window_years)
    learned = learn(
        loaded.rows,
        loaded.seekers,
        loaded.vacancies,
        active,
        day,
        params,
        skipped={"erased": loaded.skipped_erased, "vacancy_deleted": loaded.skipped_missing},
    )
    if output is not None:
        save_bundle(learned.bundle, output)
    return learned
