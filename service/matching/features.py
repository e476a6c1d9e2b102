"""Pair features as array operations (MATCHING.md §4), for the scorer and the simulator.

``pair_features`` broadcasts like ``eligible_mask``.  Seeker category and grade are not
features: the score must not learn to rank people down for their disability.  The one
exception is an interaction that can only help (severe disability × a supportive employer).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import scipy.sparse as sp

from service.matching.arrays import SeekerArrays, VacancyArrays, pair_count
from service.matching.constraints import haversine_km
from service.matching.encoding import (
    ACC_BIT,
    DIM_INDEX,
    ETYPE_CODE,
    GROUP_BIT,
    KIND_CODE,
    KINDS,
    MODE_CODE,
    REMOTE,
)

SUPPORTIVE_KINDS: Final = [KIND_CODE[k] for k in ("sheltered_workshop",
                                                   "concentrated_employer", "blind_massage")]
UNLOCATED_SAME_CITY_KM: Final = 8.0

FEATURES: Final[tuple[str, ...]] = (
    "text_sim", "text_sim_high", "skill_cover", "skill_cover_full", "occupation_match",
    "no_occupation_preference", "ability_margin", "ability_margin_high",
    "ability_margin_min", "accommodations_relied", "job_coach_support", "education_gap",
    "under_educated", "over_educated", "salary_fit", "salary_short", "distance",
    "distance_far", "remote", "hybrid", "part_time_like", "internship",
    "part_time_for_low_endurance", "supportive_for_severe", "targeted",
    "welfare_for_hard_to_employ", "experience",
    *(f"kind_{k}" for k in KINDS),
)
# Which base factor each feature belongs to, for explanations.
FACTOR_OF: Final[dict[str, str]] = {
    "text_sim": "skills", "text_sim_high": "skills", "skill_cover": "skills",
    "skill_cover_full": "skills", "occupation_match": "occupation",
    "no_occupation_preference": "occupation", "ability_margin": "ability_margin",
    "ability_margin_high": "ability_margin", "ability_margin_min": "ability_margin",
    "accommodations_relied": "accommodations", "job_coach_support": "accommodations",
    "education_gap": "education", "under_educated": "education", "over_educated": "education",
    "salary_fit": "salary", "salary_short": "salary", "distance": "distance",
    "distance_far": "distance", "remote": "work_mode", "hybrid": "work_mode",
    "part_time_like": "employment_type", "internship": "employment_type",
    "part_time_for_low_endurance": "employment_type",
    "supportive_for_severe": "employer_kind", "targeted": "targeted",
    "welfare_for_hard_to_employ": "public_welfare", "experience": "experience",
    **{f"kind_{k}": "employer_kind" for k in KINDS},
}

# The columns pair_features (and the boosts) read: the hot path gathers only these.
SEEKER_COLUMNS: Final = frozenset({"abilities", "edu", "experience", "grade", "lat", "lon",
                                   "min_salary", "occupations", "groups", "graduated"})
VACANCY_COLUMNS: Final = frozenset({"bridge", "demands", "edu", "etype", "kind", "lat", "lon",
                                    "mode", "n_skills", "occupation", "offered",
                                    "salary_max", "targeted", "welfare", "groups"})

_PART_TIME_LIKE = [ETYPE_CODE["part_time"], ETYPE_CODE["flexible"]]
_ENDURANCE = DIM_INDEX["endurance"]
_LEARNING = DIM_INDEX["learning"]


def text_similarity_one_to_many(query: sp.csr_matrix, corpus_csc: sp.csc_matrix) -> np.ndarray:
    """Cosine similarity of one L2-normalised row against every row of ``corpus``.

    Only the columns the query uses are touched, so the cost follows the query's n-grams.
    """
    if query.nnz == 0:
        return np.zeros(corpus_csc.shape[0], dtype=np.float32)
    block = corpus_csc[:, query.indices]
    return np.asarray(block @ query.data.astype(np.float32)).ravel()


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """Dot products of aligned rows (pairs)."""
    return np.asarray(a.multiply(b).sum(axis=1)).ravel().astype(np.float32)


def occupation_match(s_occ: np.ndarray, v_occ: np.ndarray) -> np.ndarray:
    """Deepest common prefix (0-4 segments) of the vacancy's code with any preference."""
    v = v_occ[:, None, :]
    same = (s_occ == v) & (s_occ >= 0) & (v >= 0)
    return np.cumprod(same, axis=2).sum(axis=2).max(axis=1).astype(np.float32)


def pair_features(s: SeekerArrays, v: VacancyArrays, text_sim: np.ndarray,
                  skill_overlap: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The feature matrix (pairs × FEATURES); ``groups`` are the seekers' current groups."""
    k = pair_count(s, v)
    cap = s.abilities.astype(np.float32) + v.bridge
    demand = v.demands.astype(np.float32)
    demanded = demand > 0
    spare = np.clip(cap - demand, 0, 4)
    n_demanded = demanded.sum(axis=1)
    margin = np.where(n_demanded > 0, (spare * demanded).sum(axis=1) / np.maximum(
        n_demanded, 1), 2.0)
    margin_min = np.where(n_demanded > 0, np.where(demanded, spare, 4).min(axis=1), 2.0)
    relied = ((s.abilities < v.demands) & demanded).sum(axis=1)
    coach = ((v.offered & ACC_BIT["job_coach"]) != 0) & (
        s.abilities[:, _LEARNING] < v.demands[:, _LEARNING])
    edu_gap = (s.edu.astype(np.float32) - v.edu).clip(-4, 4)
    salary = (v.salary_max.astype(np.float32) - s.min_salary) / 1000.0
    remote = v.mode == REMOTE
    located = ~(np.isnan(s.lat) | np.isnan(v.lat))
    with np.errstate(invalid="ignore"):
        km = np.where(located, haversine_km(s.lat, s.lon, v.lat, v.lon),
                      UNLOCATED_SAME_CITY_KM)
    km = np.where(remote, 0.0, np.minimum(km, 100.0))
    part_time = np.isin(v.etype, _PART_TIME_LIKE)
    severe = s.grade <= 2
    supportive = np.isin(v.kind, SUPPORTIVE_KINDS)
    hard = (groups & GROUP_BIT["hard_to_employ"]) != 0
    skill_cover = skill_overlap / np.maximum(v.n_skills, 1)
    occ = occupation_match(s.occupations, v.occupation) / 4.0
    no_pref = (s.occupations[:, 0, 0] < 0)
    kinds = (v.kind[:, None] == np.arange(len(KINDS))[None, :]).astype(np.float32)
    columns = [
        text_sim, np.maximum(text_sim - 0.3, 0), skill_cover, skill_cover >= 0.999,
        np.where(no_pref, 0.0, occ), no_pref, margin, np.maximum(margin - 2.5, 0),
        margin_min, relied, coach, edu_gap, np.maximum(-edu_gap, 0),
        np.maximum(edu_gap - 2, 0), np.clip(salary, -3, 5), np.maximum(-salary, 0),
        km / 10.0, np.maximum(km - 15.0, 0) / 10.0, remote, v.mode == MODE_CODE["hybrid"],
        part_time, v.etype == ETYPE_CODE["internship"],
        part_time & (s.abilities[:, _ENDURANCE] < 3), severe & supportive, v.targeted,
        v.welfare & hard, np.log1p(s.experience),
    ]
    out = np.empty((k, len(FEATURES)), dtype=np.float32)
    for j, column in enumerate(columns):
        out[:, j] = np.broadcast_to(np.asarray(column, dtype=np.float32), (k,))
    out[:, len(columns):] = np.broadcast_to(kinds, (k, len(KINDS)))
    return out


assert len(FEATURES) == 27 + len(KINDS)
assert set(FACTOR_OF) == set(FEATURES)
