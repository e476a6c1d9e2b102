"""Recorded outcomes → a training set: labels, evidence weights, exposure correction and
the time-ordered split (pure: no database; ``service.services.retraining`` feeds it).

Labels (the scorer predicts "hired and still employed six months after the start")
---------------------------------------------------------------------------------
Each referral is one row, of one of four kinds:

* ``known`` — the outcome of the pair is known, label 0/1, evidence weight 1:
  a hire whose six-month retention is known (``retained_6_months`` True → 1, False → 0),
  or a referral closed without a hire *for a reason about the pair*: rejected by the
  employer (skills, experience, accommodation not feasible, no-show, interview, other) or
  declined by the seeker (pay, commute, hours, job content, workplace not accessible,
  other) → 0.
* ``hired`` — a hire whose six-month outcome is not known yet (the job started less than
  six months ago, or no visit at month six yet).  Weaker evidence: a *soft* label equal to
  the retention rate of the hires whose outcome is known (Laplace-smoothed,
  ``(retained + 1) / (known hires + 2)``), with evidence weight ``hire_weight`` (0.5).
* ``interviewed`` — still open, but past an interview (interviewed or offered).  A soft
  label equal to the success rate of the known rows that reached an interview (smoothed
  the same way), evidence weight ``interview_weight`` (0.25).
* ``censored`` — says nothing about the pair and is left out (counted): withdrawn (by
  the counselor: vacancy closed, seeker unavailable, recorded in error), rejected because
  the position was filled, declined because the person found another job or for health
  or family reasons, or still open without an interview (no signal yet).

A soft label ``q`` with weight ``w`` enters the fit as two rows, label 1 with weight
``w·q`` and label 0 with weight ``w·(1 − q)``: its expected log-likelihood.  In the
calibration (``outcome_fit``) it counts with weight 1 instead of ``w``: its expected
outcome is what a calibrated model should match, and recent hires, whose outcomes arrive
last, would otherwise be missing from the newest rows.

Exposure bias (the scorer's own lists decide what gets referred)
----------------------------------------------------------------
A pair shown at rank ``r`` is examined with probability ``propensity(r) = r^(−η)``
(a position-bias model: rank 1 is always examined).  Each row is weighted by the inverse
propensity, clipped: ``min(r^η, max_weight)`` (``max_weight`` 10, which bounds the
variance the correction adds) — in the fit of the correction, not in the calibration:
which pairs were shown and referred depends on their scores, not on their outcomes given
the score, so calibration (the outcome rate at a given probability) needs no exposure
correction, and leaving it out spares it the variance those weights add.  A row without
a rank (a counselor's own choice, a partner's pick) gets weight 1.  ``η`` is estimated
from the rank histogram of the training referrals (``eta=None``, the default) or fixed
(``eta``): the referral rate at rank ``r`` (referrals at ``r`` over referrals whose list
showed at least ``r`` items) is regressed on ``log r`` (weighted by the referrals at each
rank); minus the slope, clipped to [0, 2], is ``η`` (1 when fewer than two ranks occur).
Where referrals follow relevance as well as position, the slope also absorbs the ranker's
own ordering, so the estimate is an upper bound on the pure position effect: it
over-corrects rather than under-corrects, and the clip bounds what that costs.  Weights
are scaled to mean 1 over the training rows, so the penalty of the fit keeps its meaning.

The time-ordered split
----------------------
The ``known`` rows are sorted by referral time; the newest ``holdout_share`` (25 %) of them
form the hold-out, everything referred strictly before the oldest hold-out row is
training.  No hold-out row is older than a training row; weaker rows referred at or after
that time are dropped (neither trainable nor evaluable).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.constraints import Day
from service.matching.offline.training import pair_matrix

KINDS: Final = ("known", "hired", "interviewed", "censored")
# Closing statuses without a hire whose reason says something about the pair.
PAIR_REASONS: Final[dict[str, frozenset[str]]] = {
    "rejected_by_employer": frozenset(
        {
            "skills_mismatch",
            "experience_insufficient",
            "accommodation_not_feasible",
            "no_show",
            "interview_performance",
            "other",
        }
    ),
    "declined_by_seeker": frozenset(
        {
            "pay_too_low",
            "commute_too_long",
            "hours_unsuitable",
            "job_content",
            "workplace_not_accessible",
            "other",
        }
    ),
}
INTERVIEWED: Final = frozenset({"interviewed", "offered"})


@dataclass(frozen=True)
class OutcomeRow:
    """One referral with what became of it."""

    referral_id: str
    seeker_id: str
    vacancy_id: str
    created_at: dt.datetime
    model_version: str
    score: float | None
    probability: float | None
    rank: int | None
    shown: int | None
    source: str
    status: str  # the referral's current (final, if closed) status
    reason_code: str | None
    interviewed: bool  # reached an interview (an event, or a status past it)
    hired: bool
    retained_6_months: bool | None  # from the placement; None: not known (yet)


@dataclass(frozen=True)
class DatasetParams:
    hire_weight: float = 0.5
    interview_weight: float = 0.25
    eta: float | None = None  # None: estimated from the rank histogram; else fixed
    max_weight: float = 10.0
    holdout_share: float = 0.25


def kind_of(row: OutcomeRow) -> str:
    if row.hired:
        return "known" if row.retained_6_months is not None else "hired"
    reasons = PAIR_REASONS.get(row.status)
    if reasons is not None:
        return "known" if (row.reason_code or "other") in reasons else "censored"
    if row.status in INTERVIEWED:
        return "interviewed"
    return "censored"  # withdrawn, or still open without an interview


def hard_label(row: OutcomeRow) -> int:
    return int(bool(row.hired and row.retained_6_months))


def smoothed_rate(labels: np.ndarray) -> float:
    return float((labels.sum() + 1.0) / (len(labels) + 2.0))


def estimate_eta(ranks: np.ndarray, shown: np.ndarray) -> float:
    """The position-bias exponent from the rank histogram (see the module's docstring)."""
    ok = ranks >= 1
    ranks, shown = ranks[ok], np.maximum(shown[ok], ranks[ok])
    if len(ranks) < 2:
        return 1.0
    r_values = np.unique(ranks)
    counts = np.array([(ranks == r).sum() for r in r_values], dtype=float)
    exposed = np.array([(shown >= r).sum() for r in r_values], dtype=float)
    if len(r_values) < 2:
        return 1.0
    x, y = np.log(r_values), np.log(counts / exposed)
    w = counts
    xm, ym = np.average(x, weights=w), np.average(y, weights=w)
    var = float(np.average((x - xm) ** 2, weights=w))
    slope = float(np.average((x - xm) * (y - ym), weights=w)) / var if var > 0 else -1.0
    return float(np.clip(-slope, 0.0, 2.0))


def propensity(ranks: np.ndarray, eta: float, max_weight: float) -> np.ndarray:
    """``r^(−η)`` clipped below at ``1 / max_weight``; 1 where the rank is unknown (≤ 0)."""
    r = np.where(ranks >= 1, ranks, 1).astype(np.float64)
    return np.asarray(np.clip(r ** (-eta), 1.0 / max_weight, 1.0), dtype=np.float64)


@dataclass(frozen=True)
class Split:
    train: np.ndarray  # row numbers (in the outcome rows) of the training rows
    holdout: np.ndarray  # row numbers of the hold-out rows (all ``known``)
    cutoff: dt.datetime | None  # the oldest hold-out referral time
    dropped: int  # weaker rows at or after the cutoff


def time_split(
    created: Sequence[dt.datetime], kinds: Sequence[str], ids: Sequence[str], holdout_share: float
) -> Split:
    """The newest ``holdout_share`` of the known rows, and everything strictly older."""
    order = sorted(range(len(created)), key=lambda i: (created[i], ids[i]))
    known = [i for i in order if kinds[i] == "known"]
    usable = [i for i in order if kinds[i] != "censored"]
    n_hold = round(len(known) * holdout_share)
    if n_hold == 0 or n_hold >= len(known):
        return Split(np.array(usable, dtype=np.int64), np.zeros(0, dtype=np.int64), None, 0)
    cutoff = created[known[len(known) - n_hold]]
    holdout = [i for i in known if created[i] >= cutoff]
    train = [i for i in usable if created[i] < cutoff]
    dropped = sum(1 for i in usable if created[i] >= cutoff and kinds[i] != "known")
    return Split(
        np.array(train, dtype=np.int64), np.array(holdout, dtype=np.int64), cutoff, dropped
    )


@dataclass(frozen=True)
class Dataset:
    """The feature rows of every usable referral and what the fit and the evaluation need.

    ``X``, ``y``, ``weight`` are aligned with ``rows`` (indices into the outcome rows); a
    soft row appears twice (label 1 and 0, weights ``w·q`` and ``w·(1 − q)``)."""

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray  # in the fit: exposure × evidence (× the soft label's share)
    calibration_weight: np.ndarray  # in the calibration: 1 (× the soft label's share)
    rows: np.ndarray
    seeker: np.ndarray  # seeker id per row
    created: np.ndarray  # referral time per row (datetime objects)
    max_km: np.ndarray
    train: np.ndarray  # positions in X of the training rows
    holdout: np.ndarray  # positions in X of the hold-out rows
    counts: dict[str, int] = field(default_factory=dict)
    eta: float = 1.0
    soft_labels: dict[str, float] = field(default_factory=dict)
    cutoff: dt.datetime | None = None


def counts_of(rows: Sequence[OutcomeRow], kinds: Sequence[str]) -> dict[str, int]:
    known = [r for r, k in zip(rows, kinds, strict=True) if k == "known"]
    return {
        "referrals": len(rows),
        **{k: sum(1 for x in kinds if x == k) for k in KINDS},
        "retained": sum(hard_label(r) for r in known),
        "known_hires": sum(1 for r in known if r.hired),
        "seekers": len({r.seeker_id for r in known}),
    }


def build_dataset(
    rows: Sequence[OutcomeRow],
    seekers: SeekerArrays,
    vacancies: VacancyArrays,
    day: Day,
    params: DatasetParams | None = None,
) -> Dataset:
    """Features, labels, evidence × exposure weights and the split (see the docstring).

    ``seekers``/``vacancies`` hold (at least) every seeker and vacancy the rows name."""
    params = params or DatasetParams()
    kinds = [kind_of(r) for r in rows]
    split = time_split(
        [r.created_at for r in rows], kinds, [r.referral_id for r in rows], params.holdout_share
    )
    ranks = np.array([r.rank or 0 for r in rows], dtype=np.int64)
    shown = np.array([r.shown or r.rank or 0 for r in rows], dtype=np.int64)
    eta = (
        params.eta
        if params.eta is not None
        else estimate_eta(ranks[split.train], shown[split.train])
    )
    ips = 1.0 / propensity(ranks, eta, params.max_weight)
    kind_arr = np.array(kinds, dtype=object)
    labels = np.array([hard_label(r) for r in rows], dtype=np.float64)
    train_known = split.train[kind_arr[split.train] == "known"]
    interviewed = np.array([r.interviewed or r.hired for r in rows], dtype=bool)
    soft = {
        "hired": smoothed_rate(
            labels[train_known][np.array([rows[i].hired for i in train_known], dtype=bool)]
        )
        if len(train_known)
        else 0.5,
        "interviewed": smoothed_rate(labels[train_known][interviewed[train_known]])
        if len(train_known)
        else 0.5,
    }
    evidence = {"known": 1.0, "hired": params.hire_weight, "interviewed": params.interview_weight}
    # outcome row, label, weight in the fit, weight in the calibration, part (0 train)
    entries: list[tuple[int, float, float, float, int]] = []
    for part, indices in ((0, split.train), (1, split.holdout)):
        for i in indices.tolist():
            kind = kinds[i]
            exposure = ips[i] if part == 0 else 1.0
            if kind == "known":
                entries.append((i, labels[i], exposure, 1.0, part))
            else:  # a soft label: its expected log-likelihood, as two weighted rows
                for label, share in ((1.0, soft[kind]), (0.0, 1.0 - soft[kind])):
                    entries.append((i, label, evidence[kind] * exposure * share, share, part))
    idx = np.array([e[0] for e in entries], dtype=np.int64)
    y = [e[1] for e in entries]
    weight = np.array([e[2] for e in entries], dtype=np.float64)
    cal_weight = np.array([e[3] for e in entries], dtype=np.float64)
    role_arr = np.array([e[4] for e in entries], dtype=np.int8)
    if (role_arr == 0).any():
        weight[role_arr == 0] /= weight[role_arr == 0].mean()
    s_row = {k: i for i, k in enumerate(seekers.ids.tolist())}
    v_row = {k: i for i, k in enumerate(vacancies.ids.tolist())}
    si = np.array([s_row[rows[i].seeker_id] for i in idx.tolist()], dtype=np.int64)
    vi = np.array([v_row[rows[i].vacancy_id] for i in idx.tolist()], dtype=np.int64)
    X = (
        pair_matrix(seekers, vacancies, si, vi, day).astype(np.float64)
        if len(idx)
        else np.zeros((0, 0))
    )
    created = np.array([rows[i].created_at for i in idx.tolist()], dtype=object)
    train_pos = np.flatnonzero(role_arr == 0)
    counts = counts_of(rows, kinds) | {
        "train_rows": len(split.train),
        "holdout_rows": len(split.holdout),
        "dropped_after_cutoff": split.dropped,
    }
    return Dataset(
        X=X,
        y=np.array(y, dtype=np.float64),
        weight=weight,
        calibration_weight=cal_weight,
        rows=idx,
        seeker=np.array([rows[i].seeker_id for i in idx.tolist()], dtype=object),
        created=created,
        max_km=seekers.max_km[si] if len(si) else np.zeros(0),
        train=train_pos,
        holdout=np.flatnonzero(role_arr == 1),
        counts=counts,
        eta=float(eta),
        soft_labels=soft,
        cutoff=split.cutoff,
    )
