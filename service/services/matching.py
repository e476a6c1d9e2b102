"""Match queries: check who may see them, rank from the index, explain the shown items,
audit what was shown."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from sqlmodel import Session

from service.access import Action
from service.errors import NotFound
from service.matching.arrays import (
    SeekerArrays,
    TextEncoder,
    VacancyArrays,
    build_seekers,
    build_vacancies,
)
from service.matching.artifact import encoder_fingerprint
from service.matching.constraints import (
    Blocking,
    Day,
    availability_blocks,
    verdict,
)
from service.matching.encoding import GROUP_BIT, MODES
from service.matching.explain import Reason, accommodations_used, pair_reasons
from service.matching.index import MatchIndex, Side, Snapshot
from service.matching.location import LocationKey, displaced_location
from service.matching.policy import PriorityPolicy
from service.matching.ranking import Ranked, vacancies_for_seeker
from service.matching.records import seeker_record, vacancy_record
from service.matching.scorer import ScorerBundle
from service.models.enums import Accommodation, AuditAction, PriorityGroup, WorkMode
from service.models.match import (
    BlockingOut,
    PairVerdict,
    ReasonOut,
    SeekerMatches,
    VacancyMatch,
)
from service.models.tables import Employer, Seeker, Vacancy
from service.repositories import changes
from service.repositories import matching as match_repo
from service.repositories import seekers as seeker_repo
from service.rules import DomainRules, today_in_china
from service.services.audit import Audit
from service.services.seekers import check_owner


@dataclass(frozen=True)
class Matcher:
    index: MatchIndex
    scorer: ScorerBundle
    policy: PriorityPolicy
    rules: DomainRules

    def day(self) -> Day:
        return Day.of(today_in_china(), self.rules.graduate_window_years)


class LiveMatcher:
    """The process's matcher, whose scorer can be switched while it serves.

    One reference to an immutable :class:`Matcher`: a request reads it once
    (:meth:`current`) and ranks, scores, explains and names ``model_version`` with that
    one, so a switch never mixes two models in one answer and requests in flight finish
    with the model they started with.  A scorer whose text encoder differs from the one
    the index was built with gets an index of its own, built *before* the switch (the
    old one keeps serving meanwhile); the index and the scorer then change together."""

    def __init__(self, matcher: Matcher, make_index: Callable[[TextEncoder], MatchIndex]) -> None:
        self._current = matcher
        self._make_index = make_index
        self._encoder = encoder_fingerprint(matcher.scorer)
        self._switch = threading.Lock()

    def current(self) -> Matcher:
        return self._current

    @property
    def index(self) -> MatchIndex:
        return self._current.index

    @property
    def scorer(self) -> ScorerBundle:
        return self._current.scorer

    def use(self, scorer: ScorerBundle) -> bool:
        """Serve ``scorer`` from now on; False if it is already the one served."""
        with self._switch:
            now = self._current
            if scorer.version == now.scorer.version:
                return False
            fingerprint = encoder_fingerprint(scorer)
            index = now.index
            if fingerprint != self._encoder:
                index = self._make_index(scorer.encode_text)
                if now.index.ready:  # else the start-up builder builds it
                    index.snapshot()
            self._current = dataclasses.replace(now, index=index, scorer=scorer)
            self._encoder = fingerprint
            return True


def _reasons(items: list[Reason]) -> list[ReasonOut]:
    return [ReasonOut.model_construct(**vars(r)) for r in items]


def blocking_out(items: list[Blocking]) -> list[BlockingOut]:
    return [BlockingOut(**asdict(b)) for b in items]


def locate(matcher: Matcher, side: str, key: str) -> tuple[Snapshot, int]:
    """The snapshot and row of a record; one forced refresh covers a write made by
    another process since the last poll."""
    snap = matcher.index.snapshot()
    row = getattr(snap, side).row.get(key)
    if row is None:
        matcher.index.refresh()
        snap = matcher.index.snapshot()
        row = getattr(snap, side).row.get(key)
    if row is None:
        raise NotFound(f"no {side[:-1]} {key}")
    return snap, row


def explained(
    ranked: Ranked,
    matcher: Matcher,
    s: SeekerArrays,
    v: VacancyArrays,
    seeker_rows: np.ndarray,
    vacancy_rows: np.ndarray,
) -> list[tuple[list[ReasonOut], list[str]]]:
    """Reasons and accommodations used for each shown item (row i of s and v)."""
    contributions = matcher.scorer.contributions(ranked.features)
    out = []
    for i, (si, vi) in enumerate(zip(seeker_rows, vacancy_rows, strict=True)):
        reasons = pair_reasons(
            contributions[i],
            matcher.scorer.factors,
            ranked.features[i],
            ranked.boosts[i],
            bool(ranked.lifted[i]),
            s,
            int(si),
            v,
            int(vi),
        )
        out.append((_reasons(reasons), accommodations_used(s, int(si), v, int(vi))))
    return out


def _seeker_allowed(session: Session, audit: Audit, seeker_id: str, attempted: AuditAction) -> None:
    if audit.principal.owner_filter(Action.match_seeker) is None:
        return  # any seeker: no owner to look up (the index answers 404 for a missing one)
    owner = seeker_repo.owner_of(session, seeker_id)
    if owner is None:
        raise NotFound(f"no seeker {seeker_id}")
    check_owner(audit, seeker_id, owner, Action.match_seeker, attempted)


def sync_index(session: Session, matcher: Matcher) -> None:
    """One cheap look at the change log: a write committed by another process (a consent
    withdrawn, a seeker erased) counts before this answer, not at the next poll."""
    matcher.index.note_latest(changes.latest(session))


def matches_for_seeker(
    session: Session, matcher: Matcher, audit: Audit, seeker_id: str, limit: int
) -> SeekerMatches:
    _seeker_allowed(session, audit, seeker_id, AuditAction.matches_for_seeker)
    sync_index(session, matcher)
    result = rank_vacancies(matcher, seeker_id, limit)
    audit.record(AuditAction.matches_for_seeker, "seeker", seeker_id, seekers=[seeker_id])
    return result


def rank_vacancies(matcher: Matcher, seeker_id: str, limit: int) -> SeekerMatches:
    snap, row = locate(matcher, "seekers", seeker_id)
    day = matcher.day()
    s_one = snap.seekers.arrays.take(np.array([row]), sparse=False)
    open_count = int(np.count_nonzero(snap.vacancies.arrays.open_))
    blocks = availability_blocks(s_one, day)
    if blocks:
        return SeekerMatches(
            seeker_id=seeker_id,
            model_version=matcher.scorer.version,
            eligible_count=0,
            excluded_count=open_count,
            blocking=blocking_out(blocks),
            items=[],
        )
    ranked = vacancies_for_seeker(
        snap.seekers, snap.vacancies, row, day, limit, matcher.scorer, matcher.policy
    )
    v_all = snap.vacancies.arrays
    shown = len(ranked.rows)
    why = explained(ranked, matcher, s_one, v_all, np.zeros(shown, dtype=int), ranked.rows)
    items = []
    for i, vrow in enumerate(ranked.rows):
        reasons, used = why[i]
        items.append(
            VacancyMatch.model_construct(
                rank=i + 1,
                vacancy_id=str(v_all.ids[vrow]),
                score=float(ranked.score[i]),
                probability=float(ranked.probability[i]),
                title=str(v_all.titles[vrow]),
                employer_id=str(v_all.employer_ids[vrow]),
                employer_name=str(v_all.employer_names[vrow]),
                work_mode=WorkMode(MODES[int(v_all.mode[vrow])]),
                reasons=reasons,
                accommodations_used=[Accommodation(a) for a in used],
            )
        )
    return SeekerMatches(
        seeker_id=seeker_id,
        model_version=matcher.scorer.version,
        eligible_count=ranked.eligible,
        excluded_count=open_count - ranked.eligible,
        items=items,
    )


def group_names(mask: int) -> list[PriorityGroup]:
    return [PriorityGroup(g) for g, bit in GROUP_BIT.items() if mask & bit]


@dataclass(frozen=True)
class PairAssessment:
    """One pair judged by the constraints and, if none blocks, scored: what a pair verdict
    and a referral's ranking context are made of."""

    blocks: list[Blocking]
    score: float | None = None
    probability: float | None = None
    reasons: list[ReasonOut] = field(default_factory=list)
    accommodations_used: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.blocks


def vacancy_with_employer(session: Session, vacancy_id: str) -> tuple[Vacancy, Employer]:
    found = list(match_repo.vacancies_with_employers(session, ids=[vacancy_id]))
    if not found:
        raise NotFound(f"no vacancy {vacancy_id}")
    return found[0]


def assess_pair(
    matcher: Matcher,
    seeker: Seeker,
    vacancy: Vacancy,
    employer: Employer,
    *,
    explain: bool = True,
    displace: LocationKey | None = None,
) -> PairAssessment:
    """The constraints' verdict and the score for one pair, read from the given rows (no
    access check, no audit: the caller does both); ``explain=False`` skips the reasons.
    ``displace``: judge the seeker at the displaced home a partner's answers are computed
    from (service.matching.location), so that the answer tells a partner no more."""
    s_rec = seeker_record(seeker, matcher.rules)
    if displace is not None and s_rec["lat"] is not None and s_rec["lon"] is not None:
        lat, lon = displaced_location(
            np.array([s_rec["lat"]]), np.array([s_rec["lon"]]), [seeker.id], displace
        )
        s_rec = {**s_rec, "lat": float(lat[0]), "lon": float(lon[0])}
    v_rec = vacancy_record(vacancy, employer)
    today = today_in_china()
    window = matcher.rules.graduate_window_years
    blocks = verdict(s_rec, v_rec, today, window)
    if blocks:
        return PairAssessment(blocks=blocks)
    seekers = Side.of(build_seekers([s_rec], matcher.scorer.encode_text))
    vacancies = Side.of(build_vacancies([v_rec], matcher.scorer.encode_text))
    # The same day as the verdict above, even if midnight passed in between.
    ranked = vacancies_for_seeker(
        seekers, vacancies, 0, Day.of(today, window), 1, matcher.scorer, matcher.policy
    )
    reasons: list[ReasonOut] = []
    used: list[str] = []
    if explain:
        reasons, used = explained(
            ranked,
            matcher,
            seekers.arrays,
            vacancies.arrays,
            np.zeros(1, dtype=int),
            np.zeros(1, dtype=int),
        )[0]
    return PairAssessment(
        blocks=[],
        score=float(ranked.score[0]),
        probability=float(ranked.probability[0]),
        reasons=reasons,
        accommodations_used=used,
    )


def pair_verdict(
    session: Session, matcher: Matcher, audit: Audit, seeker_id: str, vacancy_id: str
) -> PairVerdict:
    """The full verdict for one pair, read straight from the database."""
    seeker = seeker_repo.get(session, seeker_id)
    if seeker is None:
        raise NotFound(f"no seeker {seeker_id}")
    check_owner(
        audit, seeker_id, seeker.owner_key_id, Action.match_seeker, AuditAction.matches_pair
    )
    audit.record(AuditAction.matches_pair, "seeker", seeker_id, seekers=[seeker_id])
    vacancy, employer = vacancy_with_employer(session, vacancy_id)
    judged = assess_pair(matcher, seeker, vacancy, employer)
    return PairVerdict(
        seeker_id=seeker_id,
        vacancy_id=vacancy_id,
        model_version=matcher.scorer.version,
        eligible=judged.eligible,
        score=judged.score,
        probability=judged.probability,
        blocking=blocking_out(judged.blocks),
        reasons=judged.reasons,
        accommodations_used=judged.accommodations_used,
    )  # type: ignore[arg-type]
