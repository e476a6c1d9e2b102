"""The synthetic placement simulator: which placements succeed, and why (MATCHING.md §4).

Cold start: until recorded outcomes exist, the scorer learns from placements simulated here.
The simulator draws a province-sized population of seekers and vacancies
(``service.matching.offline.population``), keeps only **eligible** pairs (``eligible_mask``: the
scorer only ever ranks those), gives each pair a latent probability ``p`` that the person
is hired and still employed after six months, and draws the outcome ``y ~ Bernoulli(p)``.
Everything comes from one ``numpy.random.Generator`` seeded by ``seed``: same seed, same
records, pairs, probabilities and outcomes.

Seekers' capacities are the certificate's conservative estimate for their category and
grade (``estimate_abilities``) plus noise, their required accommodations follow from the
limitations, their homes spread over 20 real county-level divisions of Shanxi centred on
Yangquan (Taiyuan, Jinzhong, Xinzhou, Changzhi).  Vacancies are postings of the demo's
job kinds by employers of every kind, with their demands, accommodations, premises,
modes, types and salaries.

The generative story
--------------------
``logit(p)`` is a sum of terms.  Most mirror what the placement literature and Chinese
disability-employment practice report; the magnitudes are judgement, stated so they can
be argued with.  The story is deliberately *not* the feature formula: it reads the records
(and hidden facts) its own way, and some of what it uses no feature sees.

* ``base`` −1.9: most placements of disabled job seekers do not last six months.
* ``seeker`` N(0, 0.45) per person: motivation, family support, health — unobserved.
* ``severity`` −0.25 for grade 1–2: barriers outside the job (transport, care).  Not a
  feature (the score must not rank people down for their disability); it only shifts a
  person's level, never the order of their vacancies.
* ``skills`` 1.8 · (1 − exp(−(1.1·core + 0.5·others + 0.6·trade))): holding the posting's
  core skill (its first) matters most, further matching skills add less and less
  (saturating), and having trained in this very kind of job adds on top (a trade the
  records only show through skills and preferences).
* ``occupation``: the deepest common prefix of the posting's occupation code with the
  person's stated preferences — 0/1/2/3/4 segments give 0, 0.1, 0.4, 0.6, 0.7 (people stay
  in work they chose); no preference stated gives 0.3 (open to anything).
* ``headroom`` 1.0 · mean over demanded dimensions of (1 − exp(−spare/1.5)), where spare
  is capacity plus bridge minus demand: spare capacity helps, with diminishing returns
  (0.7 when the job demands nothing).
* ``strain`` −0.35 per dimension with a high demand (≥ 3) met with no spare at all.
* ``accommodations`` −0.3 for each dimension where the person relies on an accommodation
  (capacity alone is below the demand): each is a small risk that it fails in practice;
  only −0.05 when a job coach supports that dimension (learning, social interaction,
  stress tolerance).
* ``salary`` 0.5 · tanh(gap) − 0.6 · max(−gap, 0), gap = (mid-point of the offered range −
  reservation wage) / 1000 CNY; the reservation wage is the stated minimum or, when none
  is stated, a hidden one.
* ``commute`` −0.025 · km − 0.07 · max(km − 15, 0) on the true road distance (1.25 × the
  great circle from the true home, recorded or not); remote work has none.
* ``work mode``: remote +0.25 for people who walk with great difficulty, −0.15 otherwise
  (isolation); hybrid +0.05.
* ``employment type``: part-time or flexible +0.55 when endurance ≤ 2, otherwise −0.2
  (casual work churns); internships −0.5, or −0.1 for recent graduates.
* ``employer kind``: government organ +0.4, public institution +0.35, SOE +0.3, private 0,
  platform −0.45 (lower six-month retention), sheltered workshop +0.1, concentrated
  employer +0.15, blind massage +0.1, social organisation +0.05, individual business −0.2;
  and +0.7 more for a severely disabled person (grade 1–2) at a supportive employer
  (sheltered workshop, concentrated employer, blind massage), which retains them better.
* ``targeted`` +0.25 for a posting reserved for disabled people (the employer committed),
  ``welfare`` +0.6 for a public-welfare post filled by a hard-to-employ person.
* ``education`` −0.45 per level below the posting's minimum, −0.3 per level beyond two
  above it (over-qualified people leave).
* ``experience`` 0.4 · (1 − exp(−years / 4)).
* ``employer`` N(0, 0.3) per employer (retention culture) and ``noise`` N(0, 0.55) per pair
  (unobserved fit): what no model of these records can know.

Other worlds
------------
``Story`` holds the knobs of this story; its defaults are the story above, exactly (same
seed, same draws).  ``service.matching.offline.worlds`` turns them to tell other, equally
plausible stories: a multiplier per term, another base rate, employer-kind effects of
another sign, an occupation-*family* term (the person's trades, which no record shows,
against the posting's code; optionally growing with experience), commute tolerance that
depends on the disability, more or less unobserved noise, and labels recorded wrongly.
``simulate(observe=...)`` lets a world change what the records *show* (reworded skills,
abilities estimated instead of assessed) while the story keeps reading the truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from service.demo.jobs import KINDS as JOB_KINDS
from service.matching.arrays import SeekerArrays, VacancyArrays, build_seekers, build_vacancies
from service.matching.constraints import Day, eligible_mask, haversine_km
from service.matching.encoding import ACC_BIT, DIM_INDEX, KIND_CODE, KINDS, MODE_CODE
from service.matching.offline import population

DEFAULT_SEED: Final = 20261123
BASE: Final = -1.9
SIM_DAY: Final = population.SIM_DAY
GRADUATE_WINDOW_YEARS: Final = 2

KIND_EFFECT: Final[dict[str, float]] = {
    "government_organ": 0.4,
    "public_institution": 0.35,
    "soe": 0.3,
    "private": 0.0,
    "platform": -0.45,
    "sheltered_workshop": 0.1,
    "concentrated_employer": 0.15,
    "blind_massage": 0.1,
    "social_organization": 0.05,
    "individual_business": -0.2,
}
OCCUPATION_DEPTH_EFFECT: Final = np.array([0.0, 0.1, 0.4, 0.6, 0.7])
COACHED: Final = [DIM_INDEX[d] for d in ("learning", "social_interaction", "stress_tolerance")]
TERMS: Final = (
    "base",
    "seeker",
    "severity",
    "skills",
    "occupation",
    "headroom",
    "strain",
    "accommodations",
    "salary",
    "commute",
    "work_mode",
    "employment_type",
    "employer_kind",
    "targeted",
    "welfare",
    "education",
    "experience",
    "family",
    "employer",
    "noise",
)
NOISE_TERMS: Final = ("seeker", "employer", "noise")
# Occupation family: common prefix depth (0-4 segments) of a trade's code with the posting's.
FAMILY_DEPTH_EFFECT: Final = np.array([0.0, 0.3, 0.8, 0.9, 1.0])
Records = list[dict[str, Any]]
# (generator, seekers, vacancies) -> the records as the service would see them.
Observe = Callable[[np.random.Generator, Records, Records], tuple[Records, Records]]


@dataclass(frozen=True)
class Story:
    """The knobs of the generative story; the defaults tell the story above."""

    base: float = BASE
    scale: Mapping[str, float] = field(default_factory=dict)  # term -> multiplier
    kind_effect: Mapping[str, float] = field(default_factory=lambda: dict(KIND_EFFECT))
    supportive_severe: float = 0.7
    family: float = 0.0  # weight of the occupation-family term
    family_experience: float = 0.0  # ... and of family × (1 − exp(−years / 4))
    commute_reliant: float = 1.0  # commute multiplier: walking ≤ 2 or vision ≤ 1
    commute_other: float = 1.0  # ... everyone else
    seeker_sd: float = 0.45
    employer_scale: float = 1.0  # multiplier of the employer's retention culture
    noise_sd: float = 0.55
    label_noise: float = 0.0  # share of outcomes recorded as their opposite

    def weight(self, term: str) -> float:
        return float(self.scale.get(term, 1.0))


def no_text(texts: Sequence[str]) -> sp.csr_matrix:
    """A placeholder text encoder: eligibility and the story never read the text."""
    return sp.csr_matrix((len(texts), 1), dtype=np.float32)


@dataclass(frozen=True)
class Simulation:
    seed: int
    seekers: list[dict[str, Any]]
    vacancies: list[dict[str, Any]]
    seeker_idx: np.ndarray  # pair -> row in ``seekers``
    vacancy_idx: np.ndarray  # pair -> row in ``vacancies``
    terms: dict[str, np.ndarray]  # each term of the story, per pair
    p: np.ndarray  # true success probability
    y: np.ndarray  # realised outcome (0/1)
    rng: np.random.Generator  # the generator, to continue drawing (e.g. the split)

    @property
    def p_without_noise(self) -> np.ndarray:
        """The story with the unobservable terms removed (for reference only)."""
        return np.asarray(expit(sum(v for k, v in self.terms.items() if k not in NOISE_TERMS)))


def day() -> Day:
    return Day.of(SIM_DAY, GRADUATE_WINDOW_YEARS)


def sample_pairs(
    rng: np.random.Generator, s: SeekerArrays, v: VacancyArrays, per_seeker: int, today: Day
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``per_seeker`` eligible vacancies for each seeker, drawn without replacement."""
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for i in range(len(s)):
        eligible = np.flatnonzero(eligible_mask(s.take(np.array([i]), sparse=False), v, today))
        if len(eligible) > per_seeker:
            eligible = np.sort(rng.choice(eligible, size=per_seeker, replace=False))
        rows.append(np.full(len(eligible), i, dtype=np.int64))
        cols.append(eligible.astype(np.int64))
    return np.concatenate(rows), np.concatenate(cols)


def story(
    rng: np.random.Generator,
    seekers: list[dict[str, Any]],
    vacancies: list[dict[str, Any]],
    s_hidden: list[dict[str, Any]],
    v_hidden: list[dict[str, Any]],
    s: SeekerArrays,
    v: VacancyArrays,
    si: np.ndarray,
    vi: np.ndarray,
    knobs: Story | None = None,
) -> dict[str, np.ndarray]:
    """The terms of logit(p) for aligned pairs (seeker ``si[k]``, vacancy ``vi[k]``).

    ``seekers``, ``vacancies``, ``s`` and ``v`` are the *true* records: what the person
    can do and what the posting asks, whatever the records the service sees say.
    """
    knobs = knobs or Story()
    n = len(si)
    sp_, vp = s.take(si), v.take(vi)
    severe = sp_.grade <= 2
    t: dict[str, np.ndarray] = {"base": np.full(n, knobs.base)}
    t["seeker"] = rng.normal(0.0, knobs.seeker_sd, size=len(s))[si]
    t["severity"] = -0.25 * severe
    core = np.empty(n)
    others = np.empty(n)
    trade = np.empty(n)
    depth = np.empty(n, dtype=np.int64)
    family = np.zeros(n, dtype=np.int64)
    trade_codes = [[JOB_KINDS[k].code.split("-") for k in h["trades"]] for h in s_hidden]
    for k, (a, b) in enumerate(zip(si.tolist(), vi.tolist(), strict=True)):
        have, want = set(seekers[a]["skills"]), vacancies[b]["skills"]
        core[k] = want[0] in have
        others[k] = len(have.intersection(want[1:]))
        trade[k] = v_hidden[b]["kind"] in s_hidden[a]["trades"]
        code = vacancies[b]["occupation_code"].split("-")
        prefs = [c.split("-") for c in seekers[a]["occupations"]]
        depth[k] = max((_common(code, p) for p in prefs), default=-1)
        family[k] = max((_common(code, c) for c in trade_codes[a]), default=0)
    t["skills"] = 1.8 * (1 - np.exp(-(1.1 * core + 0.5 * others + 0.6 * trade)))
    t["occupation"] = np.where(depth < 0, 0.3, OCCUPATION_DEPTH_EFFECT[np.maximum(depth, 0)])
    ability = sp_.abilities.astype(float)
    demand = vp.demands.astype(float)
    demanded = demand > 0
    spare = np.clip(ability + vp.bridge - demand, 0, None)
    room = np.where(demanded, 1 - np.exp(-spare / 1.5), 0).sum(axis=1)
    t["headroom"] = np.where(demanded.any(axis=1), room / np.maximum(demanded.sum(axis=1), 1), 0.7)
    t["strain"] = -0.35 * ((demand >= 3) & (spare == 0)).sum(axis=1)
    relied = demanded & (ability < demand)
    coach = (vp.offered & ACC_BIT["job_coach"]) != 0
    coached = np.zeros_like(relied)
    coached[:, COACHED] = relied[:, COACHED] & coach[:, None]
    t["accommodations"] = -0.3 * (relied & ~coached).sum(axis=1) - 0.05 * coached.sum(axis=1)
    reservation = np.array([h["reservation"] for h in s_hidden])[si]
    stated = sp_.min_salary > 0
    reservation = np.where(stated, sp_.min_salary, reservation)
    gap = ((vp.salary_min + vp.salary_max) / 2 - reservation) / 1000.0
    t["salary"] = 0.5 * np.tanh(gap) - 0.6 * np.maximum(-gap, 0)
    remote = vp.mode == MODE_CODE["remote"]
    home = np.array([[h["lat"], h["lon"]] for h in s_hidden])[si]
    work = np.array([[h["lat"], h["lon"]] for h in v_hidden])[vi]
    km = np.where(remote, 0.0, 1.25 * haversine_km(home[:, 0], home[:, 1], work[:, 0], work[:, 1]))
    reliant = (sp_.abilities[:, DIM_INDEX["walking"]] <= 2) | (
        sp_.abilities[:, DIM_INDEX["vision"]] <= 1
    )
    tolerance = np.where(reliant, knobs.commute_reliant, knobs.commute_other)
    t["commute"] = tolerance * (-0.025 * km - 0.07 * np.maximum(km - 15, 0))
    walks_poorly = sp_.abilities[:, DIM_INDEX["walking"]] <= 1
    t["work_mode"] = np.where(
        remote,
        np.where(walks_poorly, 0.25, -0.15),
        np.where(vp.mode == MODE_CODE["hybrid"], 0.05, 0.0),
    )
    etype = np.array([vacancies[b]["employment_type"] for b in vi.tolist()])
    casual = (etype == "part_time") | (etype == "flexible")
    low_endurance = sp_.abilities[:, DIM_INDEX["endurance"]] <= 2
    recent = sp_.graduated >= day().graduate_since
    t["employment_type"] = np.where(casual, np.where(low_endurance, 0.55, -0.2), 0.0) + np.where(
        etype == "internship", np.where(recent, -0.1, -0.5), 0
    )
    kind_effect = np.array([knobs.kind_effect[k] for k in KINDS])[vp.kind]
    supportive = np.isin(vp.kind, [KIND_CODE[k] for k in population.SUPPORTIVE])
    t["employer_kind"] = kind_effect + knobs.supportive_severe * (severe & supportive)
    t["targeted"] = 0.25 * vp.targeted
    hard = np.array(["hard_to_employ" in seekers[a]["groups"] for a in si.tolist()])
    t["welfare"] = 0.6 * (vp.welfare & hard)
    edu_gap = sp_.edu.astype(float) - vp.edu
    t["education"] = -0.45 * np.maximum(-edu_gap, 0) - 0.3 * np.maximum(edu_gap - 2, 0)
    seasoned = 1 - np.exp(-sp_.experience.astype(float) / 4)
    t["experience"] = 0.4 * seasoned
    in_family = FAMILY_DEPTH_EFFECT[family]
    t["family"] = knobs.family * in_family + knobs.family_experience * in_family * seasoned
    culture = np.array([h["culture"] for h in v_hidden])[vi]
    t["employer"] = knobs.employer_scale * culture
    t["noise"] = rng.normal(0.0, knobs.noise_sd, size=n)
    assert tuple(t) == TERMS
    return {
        k: np.asarray(val, dtype=np.float64) * (1.0 if k == "base" else knobs.weight(k))
        for k, val in t.items()
    }


def _common(a: list[str], b: list[str]) -> int:
    depth = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        depth += 1
    return depth


def simulate(
    seed: int = DEFAULT_SEED,
    n_seekers: int = 4000,
    n_vacancies: int = 3000,
    pairs_per_seeker: int = 40,
    knobs: Story | None = None,
    observe: Observe | None = None,
) -> Simulation:
    """Draw a population, its eligible pairs, their success probabilities and outcomes.

    ``observe`` (drawing from its own generator, so the rest of the draws do not move)
    turns the true records into the records the service would see; eligibility and the
    features read those, the story reads the truth.
    """
    knobs = knobs or Story()
    rng = np.random.default_rng(seed)
    seekers, s_hidden = zip(*(population.seeker(rng, i) for i in range(n_seekers)), strict=True)
    emps = population.employers(rng, max(1, n_vacancies // 4))
    weights = np.array([e["size"] for e in emps])
    chosen = rng.choice(len(emps), size=n_vacancies, p=weights / weights.sum())
    vacancies, v_hidden = zip(
        *(population.vacancy(rng, i, emps[int(j)]) for i, j in enumerate(chosen)), strict=True
    )
    seen_s, seen_v = list(seekers), list(vacancies)
    if observe is not None:
        seen_s, seen_v = observe(np.random.default_rng([seed, 1]), seen_s, seen_v)
    s_true = build_seekers(seekers, no_text)
    s = build_seekers(seen_s, no_text) if observe is not None else s_true
    v = build_vacancies(vacancies, no_text)
    si, vi = sample_pairs(rng, s, v, pairs_per_seeker, day())
    terms = story(
        rng,
        list(seekers),
        list(vacancies),
        list(s_hidden),
        list(v_hidden),
        s_true,
        v,
        si,
        vi,
        knobs,
    )
    p = np.asarray(expit(sum(terms.values())), dtype=np.float64)
    y = (rng.random(len(p)) < p).astype(np.int8)
    if knobs.label_noise > 0:
        y = np.where(rng.random(len(p)) < knobs.label_noise, 1 - y, y).astype(np.int8)
    return Simulation(seed, seen_s, seen_v, si, vi, terms, p, y, rng)
