"""Top-k ranking: eligibility mask → features on the survivors → one model call → boosts
(and, for candidates, the FA*IR guarantee) → ``argpartition`` for the top k."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.constraints import Day, eligible_mask, seeker_groups
from service.matching.encoding import GROUP_BIT
from service.matching.fairness import fair_order
from service.matching.features import (
    SEEKER_COLUMNS,
    VACANCY_COLUMNS,
    pair_features,
    text_similarity_one_to_many,
)
from service.matching.index import Side
from service.matching.policy import PriorityPolicy
from service.matching.scorer import ScorerBundle

_HARD = GROUP_BIT["hard_to_employ"]


@dataclass(frozen=True)
class Ranked:
    """The shown rows of the other side, best first, with what explains them."""

    rows: np.ndarray  # row numbers in the other side's arrays
    probability: np.ndarray
    score: np.ndarray  # probability + boosts: the ranking key
    features: np.ndarray  # (k, FEATURES)
    boosts: list[list[tuple[str, float]]]
    lifted: np.ndarray  # lifted by the fairness guarantee
    eligible: int
    considered: int


def _top(score: np.ndarray, k: int) -> np.ndarray:
    if len(score) <= k:
        return np.argsort(-score, kind="stable")
    part = np.argpartition(-score, k - 1)[:k]
    return part[np.argsort(-score[part], kind="stable")]


@dataclass(frozen=True)
class _Scored:
    rows: np.ndarray  # survivors: row numbers in the other side
    s: SeekerArrays
    v: VacancyArrays
    groups: np.ndarray  # the seekers' groups today
    features: np.ndarray
    probability: np.ndarray


def _score(
    query: SeekerArrays | VacancyArrays,
    other: Side,
    day: Day,
    scorer: ScorerBundle,
    only: np.ndarray | None,
) -> _Scored:
    """Mask the other side by the hard constraints, then score the survivors at once."""
    seeker_query = isinstance(query, SeekerArrays)
    if seeker_query:
        mask = eligible_mask(query, other.arrays, day)  # type: ignore[arg-type]
    else:
        mask = eligible_mask(other.arrays, query, day)  # type: ignore[arg-type]
    if only is not None:
        mask &= only
    rows = np.flatnonzero(mask)
    survivors = other.arrays.take(
        rows, sparse=False, columns=VACANCY_COLUMNS if seeker_query else SEEKER_COLUMNS
    )
    text = text_similarity_one_to_many(query.text, other.text_csc)[rows]
    overlap = text_similarity_one_to_many(query.skills, other.skills_csc)[rows]
    s: SeekerArrays = query if seeker_query else survivors  # type: ignore[assignment]
    v: VacancyArrays = survivors if seeker_query else query  # type: ignore[assignment]
    groups = seeker_groups(s, day)
    features = pair_features(s, v, text, overlap, groups)
    return _Scored(rows, s, v, groups, features, scorer.predict(features))


def vacancies_for_seeker(
    seekers: Side,
    vacancies: Side,
    seeker_row: int,
    day: Day,
    k: int,
    scorer: ScorerBundle,
    policy: PriorityPolicy,
    only: np.ndarray | None = None,
) -> Ranked:
    scored = _score(seekers.arrays.take(np.array([seeker_row])), vacancies, day, scorer, only)
    v, mine = scored.v, int(scored.groups[0])
    named = (v.groups & mine) != 0
    welfare = v.welfare & bool(mine & _HARD)
    boost = (
        policy.names_seekers_group * named
        + policy.targeted * v.targeted
        + policy.public_welfare_for_hard_to_employ * welfare
    )
    score = scored.probability + boost
    top = _top(score, k)
    boosts = [
        [
            (code, value)
            for code, value, hit in (
                ("boost_priority_group_named", policy.names_seekers_group, named[i]),
                ("boost_targeted", policy.targeted, v.targeted[i]),
                ("boost_public_welfare", policy.public_welfare_for_hard_to_employ, welfare[i]),
            )
            if hit
        ]
        for i in top
    ]
    return Ranked(
        rows=scored.rows[top],
        probability=scored.probability[top],
        score=score[top],
        features=scored.features[top],
        boosts=boosts,
        lifted=np.zeros(len(top), dtype=bool),
        eligible=len(scored.rows),
        considered=int(np.count_nonzero(vacancies.arrays.open_)),
    )


def seekers_for_vacancy(
    vacancies: Side,
    seekers: Side,
    vacancy_row: int,
    day: Day,
    k: int,
    scorer: ScorerBundle,
    policy: PriorityPolicy,
    only: np.ndarray | None = None,
) -> Ranked:
    scored = _score(vacancies.arrays.take(np.array([vacancy_row])), seekers, day, scorer, only)
    groups = scored.groups
    boost = np.zeros(len(scored.rows))
    for group, value in policy.candidate_group.items():
        boost += value * ((groups & GROUP_BIT[group.value]) != 0)
    boost = np.minimum(boost, policy.candidate_boost_cap)
    score = scored.probability + boost
    fair_bits = sum(GROUP_BIT[g.value] for g in policy.fair_groups)
    protected = (groups & fair_bits) != 0
    # Fairness is decided among the best candidates: the top 4k by score and the best k
    # protected ones (so the guarantee can be met whenever such candidates exist).
    protected_rows = np.flatnonzero(protected)
    pool = np.union1d(_top(score, 4 * k), protected_rows[_top(score[protected_rows], k)])
    order, lifted = fair_order(
        score[pool], protected[pool], k, policy.fair_min_share, policy.fair_alpha
    )
    top = pool[order]
    boosts = [
        [
            (f"boost_{g.value}", value)
            for g, value in policy.candidate_group.items()
            if groups[i] & GROUP_BIT[g.value]
        ]
        for i in top
    ]
    return Ranked(
        rows=scored.rows[top],
        probability=scored.probability[top],
        score=score[top],
        features=scored.features[top],
        boosts=boosts,
        lifted=lifted,
        eligible=len(scored.rows),
        considered=len(seekers) if only is None else int(np.count_nonzero(only)),
    )
