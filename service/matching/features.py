"""Pair features as array operations (MATCHING.md §4), for the scorer and the simulator.

``TABLE`` is the one definition of the features: each ``Feature`` names itself, the
explanation factor it belongs to, the columns it reads and how it is computed from a
``Pair``.  ``FEATURES``, ``FACTOR_OF``, ``FACTORS``, ``FEATURE_INDEX`` and the columns the
hot path gathers (``SEEKER_COLUMNS``, ``VACANCY_COLUMNS``) are all derived from it, so a
feature is added, changed or removed in one place (and the scorer retrained: the artifact
records the feature names and ``load_bundle`` refuses one that does not fit).

``pair_features`` broadcasts like ``eligible_mask``.  Seeker category and grade are not
features: the score must not learn to rank people down for their disability.  The one
exception is an interaction that can only help (severe disability × a supportive employer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

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

SUPPORTIVE_KINDS: Final = [
    KIND_CODE[k] for k in ("sheltered_workshop", "concentrated_employer", "blind_massage")
]
UNLOCATED_SAME_CITY_KM: Final = 8.0
MAX_KM: Final = 100.0
TEXT_SIM_HIGH: Final = 0.3
FAR_KM: Final = 15.0

_PART_TIME_LIKE = [ETYPE_CODE["part_time"], ETYPE_CODE["flexible"]]
_ENDURANCE = DIM_INDEX["endurance"]
_LEARNING = DIM_INDEX["learning"]
_HARD = GROUP_BIT["hard_to_employ"]


def _any_of(codes: np.ndarray, values: list[int]) -> np.ndarray:
    """``np.isin`` for a few small codes, without its set-up cost."""
    out = codes == values[0]
    for value in values[1:]:
        out |= codes == value
    return out


class Pair:
    """What the feature formulas read: the two sides (one of them may be a single row that
    broadcasts), the text and skill dot products, the seekers' groups today; and the
    quantities several features share, each computed once, on first use."""

    def __init__(
        self,
        s: SeekerArrays,
        v: VacancyArrays,
        text_sim: np.ndarray,
        skill_overlap: np.ndarray,
        groups: np.ndarray,
    ) -> None:
        self.s, self.v, self.groups = s, v, groups
        self.text_sim, self.skill_overlap = text_sim, skill_overlap

    @cached_property
    def demanded(self) -> np.ndarray:
        return self.v.demands.astype(np.float32) > 0

    @cached_property
    def spare(self) -> np.ndarray:
        """Capacity (abilities + the offered accommodations' bridge) above each demand."""
        cap = self.s.abilities.astype(np.float32) + self.v.bridge
        return np.clip(cap - self.v.demands.astype(np.float32), 0, 4)

    @cached_property
    def n_demanded(self) -> np.ndarray:
        return self.demanded.sum(axis=1)

    @cached_property
    def margin(self) -> np.ndarray:
        n = self.n_demanded
        return np.where(n > 0, (self.spare * self.demanded).sum(axis=1) / np.maximum(n, 1), 2.0)

    @cached_property
    def edu_gap(self) -> np.ndarray:
        return (self.s.edu.astype(np.float32) - self.v.edu).clip(-4, 4)

    @cached_property
    def salary(self) -> np.ndarray:
        """Top of the pay range above the seeker's minimum, in thousands of CNY."""
        return (self.v.salary_max.astype(np.float32) - self.s.min_salary) / 1000.0

    @cached_property
    def remote(self) -> np.ndarray:
        return self.v.mode == REMOTE

    @cached_property
    def km(self) -> np.ndarray:
        """Great-circle km, capped; 0 for remote work, 8 assumed without coordinates."""
        s, v = self.s, self.v
        located = ~(np.isnan(s.lat) | np.isnan(v.lat))
        with np.errstate(invalid="ignore"):
            km = np.where(located, haversine_km(s.lat, s.lon, v.lat, v.lon), UNLOCATED_SAME_CITY_KM)
        return np.where(self.remote, 0.0, np.minimum(km, MAX_KM))

    @cached_property
    def part_time(self) -> np.ndarray:
        return _any_of(self.v.etype, _PART_TIME_LIKE)

    @cached_property
    def skill_cover(self) -> np.ndarray:
        return self.skill_overlap / np.maximum(self.v.n_skills, 1)

    @cached_property
    def no_preference(self) -> np.ndarray:
        return self.s.occupations[:, 0, 0] < 0


@dataclass(frozen=True)
class Feature:
    """One feature: its name, the explanation factor it belongs to, the inputs it reads
    (``s.<column>``, ``v.<column>``, or the pair inputs ``text_sim``, ``skill_overlap``,
    ``groups``) and its value for every pair."""

    name: str
    factor: str
    reads: tuple[str, ...]
    compute: Callable[[Pair], Any]


def _kind(code: int) -> Callable[[Pair], Any]:
    return lambda p: p.v.kind == code


_SPARE = ("s.abilities", "v.bridge", "v.demands")
_KM = ("s.lat", "s.lon", "v.lat", "v.lon", "v.mode")
F = Feature
TABLE: Final[tuple[Feature, ...]] = (
    F("text_sim", "skills", ("text_sim",), lambda p: p.text_sim),
    F(
        "text_sim_high",
        "skills",
        ("text_sim",),
        lambda p: np.maximum(p.text_sim - TEXT_SIM_HIGH, 0),
    ),
    F("skill_cover", "skills", ("skill_overlap", "v.n_skills"), lambda p: p.skill_cover),
    F(
        "skill_cover_full",
        "skills",
        ("skill_overlap", "v.n_skills"),
        lambda p: p.skill_cover >= 0.999,
    ),
    # Deepest common prefix (÷ 4) with any preference; 0 without one (the next feature).
    F(
        "occupation_match",
        "occupation",
        ("s.occupations", "v.occupation"),
        lambda p: np.where(
            p.no_preference, 0.0, occupation_match(p.s.occupations, p.v.occupation) / 4.0
        ),
    ),
    F("no_occupation_preference", "occupation", ("s.occupations",), lambda p: p.no_preference),
    F("ability_margin", "ability_margin", _SPARE, lambda p: p.margin),
    F("ability_margin_high", "ability_margin", _SPARE, lambda p: np.maximum(p.margin - 2.5, 0)),
    F(
        "ability_margin_min",
        "ability_margin",
        _SPARE,
        lambda p: np.where(p.n_demanded > 0, np.where(p.demanded, p.spare, 4).min(axis=1), 2.0),
    ),
    # Demanded dimensions where capacity alone falls short (an accommodation bridges them).
    F(
        "accommodations_relied",
        "accommodations",
        ("s.abilities", "v.demands"),
        lambda p: ((p.s.abilities < p.v.demands) & p.demanded).sum(axis=1),
    ),
    F(
        "job_coach_support",
        "accommodations",
        ("s.abilities", "v.demands", "v.offered"),
        lambda p: (
            ((p.v.offered & ACC_BIT["job_coach"]) != 0)
            & (p.s.abilities[:, _LEARNING] < p.v.demands[:, _LEARNING])
        ),
    ),
    F("education_gap", "education", ("s.edu", "v.edu"), lambda p: p.edu_gap),
    F("under_educated", "education", ("s.edu", "v.edu"), lambda p: np.maximum(-p.edu_gap, 0)),
    F("over_educated", "education", ("s.edu", "v.edu"), lambda p: np.maximum(p.edu_gap - 2, 0)),
    F("salary_fit", "salary", ("s.min_salary", "v.salary_max"), lambda p: np.clip(p.salary, -3, 5)),
    F(
        "salary_short",
        "salary",
        ("s.min_salary", "v.salary_max"),
        lambda p: np.maximum(-p.salary, 0),
    ),
    F("distance", "distance", _KM, lambda p: p.km / 10.0),
    F("distance_far", "distance", _KM, lambda p: np.maximum(p.km - FAR_KM, 0) / 10.0),
    F("remote", "work_mode", ("v.mode",), lambda p: p.remote),
    F("hybrid", "work_mode", ("v.mode",), lambda p: p.v.mode == MODE_CODE["hybrid"]),
    F("part_time_like", "employment_type", ("v.etype",), lambda p: p.part_time),
    F(
        "internship",
        "employment_type",
        ("v.etype",),
        lambda p: p.v.etype == ETYPE_CODE["internship"],
    ),
    F(
        "part_time_for_low_endurance",
        "employment_type",
        ("v.etype", "s.abilities"),
        lambda p: p.part_time & (p.s.abilities[:, _ENDURANCE] < 3),
    ),
    F(
        "supportive_for_severe",
        "employer_kind",
        ("s.grade", "v.kind"),
        lambda p: (p.s.grade <= 2) & _any_of(p.v.kind, SUPPORTIVE_KINDS),
    ),
    F("targeted", "targeted", ("v.targeted",), lambda p: p.v.targeted),
    F(
        "welfare_for_hard_to_employ",
        "public_welfare",
        ("v.welfare", "groups"),
        lambda p: p.v.welfare & ((p.groups & _HARD) != 0),
    ),
    F("experience", "experience", ("s.experience",), lambda p: np.log1p(p.s.experience)),
    *(F(f"kind_{k}", "employer_kind", ("v.kind",), _kind(KIND_CODE[k])) for k in KINDS),
)
del F

FEATURES: Final[tuple[str, ...]] = tuple(f.name for f in TABLE)
FEATURE_INDEX: Final[dict[str, int]] = {name: j for j, name in enumerate(FEATURES)}
# Which base factor each feature belongs to, for explanations.
FACTOR_OF: Final[dict[str, str]] = {f.name: f.factor for f in TABLE}
FACTORS: Final[tuple[str, ...]] = tuple(dict.fromkeys(f.factor for f in TABLE))
PAIR_INPUTS: Final = frozenset({"text_sim", "skill_overlap", "groups"})


def _columns(side: str) -> frozenset[str]:
    return frozenset(r[2:] for f in TABLE for r in f.reads if r.startswith(side))


# The columns the hot path gathers for the survivors: those the features read, plus those
# ranking reads besides them (the seekers' groups today, the boosts).
SEEKER_COLUMNS: Final = _columns("s.") | {"groups", "graduated"}
VACANCY_COLUMNS: Final = _columns("v.") | {"groups", "targeted", "welfare"}


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
    """Deepest common prefix (0-4 segments) of the vacancy's code with any preference.

    Preferences are packed first (-1 padded), so only the slots some seeker uses are
    compared; with none at all the answer is 0 without comparing anything.
    """
    used = int((s_occ[:, :, 0] >= 0).sum(axis=1).max(initial=0))
    if used == 0:
        return np.zeros(max(len(s_occ), len(v_occ)), dtype=np.float32)
    s_occ = s_occ[:, :used]
    v = v_occ[:, None, :]
    same = (s_occ == v) & (s_occ >= 0) & (v >= 0)
    return np.logical_and.accumulate(same, axis=2).sum(axis=2).max(axis=1).astype(np.float32)


def pair_features(
    s: SeekerArrays,
    v: VacancyArrays,
    text_sim: np.ndarray,
    skill_overlap: np.ndarray,
    groups: np.ndarray,
) -> np.ndarray:
    """The feature matrix (pairs × FEATURES); ``groups`` are the seekers' current groups."""
    k = pair_count(s, v)
    pair = Pair(s, v, text_sim, skill_overlap, groups)
    out = np.empty((k, len(TABLE)), dtype=np.float32)
    for j, feature in enumerate(TABLE):
        out[:, j] = np.broadcast_to(np.asarray(feature.compute(pair), dtype=np.float32), (k,))
    return out


assert len(set(FEATURES)) == len(FEATURES), "feature names must be unique"
assert all(r in PAIR_INPUTS or r[:2] in ("s.", "v.") for f in TABLE for r in f.reads)
