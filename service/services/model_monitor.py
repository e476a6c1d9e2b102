"""Monitoring a model on the outcomes of the referrals it ranked: calibration (expected
calibration error) and ranking quality (NDCG@10), with the counts behind them.

A referral's outcome (see :class:`service.models.model_registry.Monitoring`): 1 if the
placement made from it was still employed six months on
(:func:`service.services.follow_ups.retained_6_months`, the scorer's target), 0 if that
placement ended before, or the employer rejected the referral, or the seeker declined
it; pending otherwise (open, withdrawn, or six months not known yet).  Figures need
enough outcomes to mean anything: below ``MIN_OUTCOMES`` outcomes with a probability the
ECE is null, below ``MIN_SEEKERS`` rankable seekers the NDCG is null.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
from sklearn.metrics import ndcg_score
from sqlmodel import Session

from service.models.enums import ReferralStatus
from service.models.model_registry import Monitoring
from service.repositories import models as repo
from service.services.follow_ups import retained_6_months

MIN_OUTCOMES: Final = 20
MIN_SEEKERS: Final = 5
NDCG_K: Final = 10
BINS: Final = 10
_FAILED: Final = frozenset({ReferralStatus.rejected_by_employer, ReferralStatus.declined_by_seeker})


def outcome(ref: repo.RankedReferral, visits: dict[str, list[object]]) -> int | None:
    """1, 0, or None (pending) for one referral."""
    if ref.placement_id is not None and ref.six_months_on is not None:
        known = retained_6_months(ref.six_months_on, ref.end_date, visits.get(ref.placement_id, []))  # type: ignore[arg-type]
        return None if known is None else int(known)
    return 0 if ref.status in _FAILED else None


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Σ_bins (n_b / n) · |mean(y) − mean(p)| over equal-width probability bins (the
    training report's definition)."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += float(inside.mean()) * abs(float(y[inside].mean() - p[inside].mean()))
    return total


def ndcg_by_seeker(
    seekers: list[str], p: np.ndarray, y: np.ndarray, k: int = NDCG_K
) -> tuple[float | None, int]:
    """Mean NDCG@k over the seekers with two or more outcomes, one of them a success,
    each seeker's referrals ordered by the model's probability; and how many seekers."""
    groups: dict[str, list[int]] = {}
    for i, seeker in enumerate(seekers):
        groups.setdefault(seeker, []).append(i)
    values = [
        ndcg_score(y[g][None, :], p[g][None, :], k=k)
        for g in groups.values()
        if len(g) >= 2 and y[g].sum() > 0
    ]
    return (float(np.mean(values)) if values else None), len(values)


def measure(session: Session, version: str, since: dt.datetime | None) -> Monitoring:
    """The monitoring figures of ``version`` on the outcomes recorded since ``since``
    (its first activation; None: never active, nothing to measure)."""
    empty = Monitoring(
        since=since,
        referrals=0,
        outcomes=0,
        retained=0,
        pending=0,
        mean_probability=None,
        observed_rate=None,
        ece=None,
        ndcg_at_10=None,
        ranked_seekers=0,
        min_outcomes=MIN_OUTCOMES,
        min_seekers=MIN_SEEKERS,
    )
    if since is None:
        return empty
    referrals = repo.ranked_by(session, version, since)
    visits: dict[str, list[object]] = {
        k: list(v) for k, v in repo.visits_of_ranked(session, version, since).items()
    }
    labelled = [(r, label) for r in referrals if (label := outcome(r, visits)) is not None]
    scored = [(r, label) for r, label in labelled if r.probability is not None]
    p = np.array([r.probability for r, _ in scored], dtype=np.float64)
    y = np.array([label for _, label in scored], dtype=np.float64)
    ndcg, ranked = ndcg_by_seeker([r.seeker_id for r, _ in scored], p, y)
    return empty.model_copy(
        update={
            "referrals": len(referrals),
            "outcomes": len(labelled),
            "retained": sum(label for _, label in labelled),
            "pending": len(referrals) - len(labelled),
            "mean_probability": round(float(p.mean()), 6) if len(p) else None,
            "observed_rate": round(float(y.mean()), 6) if len(y) else None,
            "ece": (round(expected_calibration_error(p, y), 6) if len(p) >= MIN_OUTCOMES else None),
            "ndcg_at_10": round(ndcg, 6) if ndcg is not None and ranked >= MIN_SEEKERS else None,
            "ranked_seekers": ranked,
        }
    )
