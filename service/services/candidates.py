"""Candidates for a vacancy, as the calling key may see them: in full for counsellors; for
partners (their own vacancies only) pseudonymous, only seekers who agreed to share, matched
from each seeker's displaced location (service.matching.location) and with score and
probability rounded, so that no sequence of a partner's calls locates a home."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlmodel import Session

from service.access import Action, CandidateView
from service.context import Context
from service.errors import NotFound
from service.matching.constraints import closed_blocks, seeker_groups
from service.matching.dimensions import estimate_abilities
from service.matching.explain import is_model_reason
from service.matching.ranking import seekers_for_vacancy
from service.models.abilities import FullProfile
from service.models.base import utcnow
from service.models.enums import Accommodation, AuditAction, Education
from service.models.match import (
    CandidateMatch,
    CandidateProfile,
    FairnessOut,
    ReasonOut,
    VacancyCandidates,
)
from service.repositories import pseudonyms as pseudonym_repo
from service.repositories import seekers as seeker_repo
from service.repositories import vacancies as vacancy_repo
from service.services import guard
from service.services.audit import Audit
from service.services.matching import (
    Matcher,
    blocking_out,
    explained,
    group_names,
    locate,
    sync_index,
)

# Seeker ids of the ranked rows -> for those still to be shown: (id shown, profile).
Presenter = Callable[[list[str]], dict[str, tuple[str, CandidateProfile]]]
# A partner's score and probability come in steps of this size.
PARTNER_STEP = 0.05


def candidates_for_vacancy(
    session: Session, matcher: Matcher, ctx: Context, audit: Audit, vacancy_id: str, limit: int
) -> VacancyCandidates:
    vacancy = vacancy_repo.get(session, vacancy_id)
    if vacancy is None:
        raise NotFound(f"no vacancy {vacancy_id}")
    principal = audit.principal
    guard.check(
        principal,
        Action.match_vacancy,
        vacancy.owner_key_id,
        read=Action.read_vacancy,
        what="vacancy",
        ident=vacancy_id,
    )
    pseudonymous = principal.candidate_view is CandidateView.pseudonymous

    def present(seeker_ids: list[str]) -> dict[str, tuple[str, CandidateProfile]]:
        # The database has the last word on consent: a row the index still holds but
        # whose consent was withdrawn a moment ago is not shown.
        profiles = _profiles(session, seeker_ids, shared_only=pseudonymous)
        return {
            sid: (pseudonym(ctx, principal.owner_id, sid) if pseudonymous else sid, p)
            for sid, p in profiles.items()
        }

    sync_index(session, matcher)
    result, shown = rank_candidates(matcher, vacancy_id, limit, present, pseudonymous=pseudonymous)
    if pseudonymous:
        # Remembered, so that the partner can refer a shown candidate back by pseudonym.
        pseudonym_repo.record(
            session,
            principal.owner_id,
            {pseudonym(ctx, principal.owner_id, sid): sid for sid in shown},
            utcnow(),
        )
    audit.record(AuditAction.matches_candidates, "vacancy", vacancy_id, seekers=shown)
    return result


def pseudonym(ctx: Context, owner_id: str, seeker_id: str) -> str:
    """Stable for one partner (across its key rotations), unlinkable across partners, not
    reversible without the secret."""
    return "psn_" + ctx.cipher.lookup_hash(seeker_id, f"candidate-pseudonym:{owner_id}")[:26]


def _profiles(
    session: Session, seeker_ids: list[str], *, shared_only: bool
) -> dict[str, CandidateProfile]:
    """What a hiring decision needs, for the seekers whose consent still holds."""
    out = {}
    for row in seeker_repo.candidate_rows(session, seeker_ids, shared_only=shared_only):
        abilities, estimated = estimate_abilities(row.category, row.grade, row.abilities_assessed)
        out[row.id] = CandidateProfile(
            abilities=FullProfile(**abilities),
            abilities_estimated=estimated,
            skills=row.skills,
            education=Education(row.education),
            experience_years=row.experience_years,
        )
    return out


def redacted(reasons: list[ReasonOut]) -> list[ReasonOut]:
    """Reasons for a pseudonymous list: no commute reason (it is about where the person
    lives) and no model effect (a number that moves with the person's data, from which
    distance or pay expectations could be worked back); the boosts' fixed values stay."""
    return [
        ReasonOut.model_construct(**{**dict(r), "effect": None}) if is_model_reason(r.code) else r
        for r in reasons
        if not r.code.startswith("distance_")
    ]


def coarse(value: float) -> float:
    """A partner's score or probability: to the nearest ``PARTNER_STEP``."""
    return round(round(value / PARTNER_STEP) * PARTNER_STEP, 2)


def rank_candidates(
    matcher: Matcher, vacancy_id: str, limit: int, present: Presenter, *, pseudonymous: bool = False
) -> tuple[VacancyCandidates, list[str]]:
    """The ranked candidates as ``present`` shows them, and the ids of those shown;
    pseudonymous: only seekers who share with employers, each at its displaced location
    (eligibility, score and order alike), coarse numbers and redacted reasons."""
    snap, row = locate(matcher, "vacancies", vacancy_id)
    seekers = snap.seekers.displaced() if pseudonymous else snap.seekers
    day = matcher.day()
    v_one = snap.vacancies.arrays.take(np.array([row]), sparse=False)
    fairness = FairnessOut(
        protected_groups=matcher.policy.fair_groups,
        min_share=matcher.policy.fair_min_share,
        alpha=matcher.policy.fair_alpha,
    )
    only = seekers.arrays.shared if pseudonymous else None
    base = {
        "vacancy_id": vacancy_id,
        "model_version": matcher.scorer.version,
        "fairness": fairness,
        "pseudonymous": pseudonymous,
    }
    blocks = closed_blocks(v_one, day)
    if blocks:
        considered = len(seekers) if only is None else int(np.count_nonzero(only))
        return VacancyCandidates(
            **base,
            eligible_count=0,
            excluded_count=considered,
            blocking=blocking_out(blocks),
            items=[],
        ), []
    ranked = seekers_for_vacancy(
        snap.vacancies, seekers, row, day, limit, matcher.scorer, matcher.policy, only
    )
    s_all = seekers.arrays
    ids = [str(s_all.ids[r]) for r in ranked.rows]
    shown = present(ids)
    groups = seeker_groups(s_all.take(ranked.rows, sparse=False), day)
    why = explained(
        ranked, matcher, s_all, v_one, ranked.rows, np.zeros(len(ranked.rows), dtype=int)
    )
    items: list[CandidateMatch] = []
    for i, seeker_id in enumerate(ids):
        if seeker_id not in shown:
            continue
        (reasons, used), (shown_id, profile) = why[i], shown[seeker_id]
        score, probability = float(ranked.score[i]), float(ranked.probability[i])
        if pseudonymous:
            reasons, score, probability = redacted(reasons), coarse(score), coarse(probability)
        items.append(
            CandidateMatch.model_construct(
                rank=len(items) + 1,
                seeker_id=shown_id,
                score=score,
                probability=probability,
                priority_groups=group_names(int(groups[i])),
                reasons=reasons,
                accommodations_used=[Accommodation(a) for a in used],
                profile=profile,
            )
        )
    return VacancyCandidates(
        **base,
        eligible_count=ranked.eligible,
        excluded_count=ranked.considered - ranked.eligible,
        items=items,
    ), [i for i in ids if i in shown]
