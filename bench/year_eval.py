"""Judging the models of the simulated year against the world's truth.

* Ranking: a fixed panel of the world's people, each with *every* vacancy the hard
  constraints allow (as the service's records say; availability and open openings set
  aside, so that the panel stays the same all year).  NDCG@10 per person with the true
  success probability as the graded relevance, for the active model, the cold-start
  model, skills-only TF-IDF, the hand rules and the oracle (the truth itself).
* Calibration: expected calibration error (10 bins of the predicted probability, the
  mean *true* chance per bin that the recorded outcome is a success — the truth through
  the world's label noise, if any — so no outcome draw adds noise) over the panel's
  pairs, and over the pairs referred in a quarter (what that quarter's rankings led to).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session

from bench.year_world import World
from service.matching.arrays import build_seekers, build_vacancies
from service.matching.constraints import Day, eligible_mask
from service.matching.offline.training import (
    COL,
    expected_calibration_error,
    mean_ndcg,
    pair_matrix,
    rule_score,
)
from service.matching.records import seeker_record, vacancy_record
from service.matching.scorer import ScorerBundle
from service.repositories import matching as match_repo
from service.rules import DomainRules

MIN_CANDIDATES = 10


@dataclass(frozen=True)
class Panel:
    X: np.ndarray
    p: np.ndarray  # the world's truth: P(hired and still employed at six months)
    p_outcome: np.ndarray  # P(the recorded outcome says so): the truth through label noise
    max_km: np.ndarray
    groups: list[np.ndarray]  # rows of each panel person (with ≥ MIN_CANDIDATES)
    people: int


def build_panel(
    session: Session,
    rules: DomainRules,
    encoder: ScorerBundle,
    world: World,
    seeker_ids: Sequence[str],
    seeker_rows: Sequence[int],
    vacancy_row: dict[str, int],
    day: Day,
) -> Panel:
    """The panel's pairs, their features (computed as the service computes them) and
    their truth."""
    by_id = {s.id: s for s in match_repo.seekers(session, list(seeker_ids))}
    s_recs = [seeker_record(by_id[i], rules) for i in seeker_ids]
    pairs = list(match_repo.vacancies_with_employers(session))
    v_recs = [vacancy_record(v, e) for v, e in pairs]
    s = build_seekers(s_recs, encoder.encode_text)
    v = build_vacancies(v_recs, encoder.encode_text)
    s = dataclasses.replace(s, seeking=np.ones(len(s), dtype=bool))  # employed or not
    v = dataclasses.replace(v, open_=np.ones(len(v), dtype=bool))  # filled or not
    si_parts, vi_parts = [], []
    for i in range(len(s)):
        eligible = np.flatnonzero(eligible_mask(s.take(np.array([i])), v, day))
        si_parts.append(np.full(len(eligible), i, dtype=np.int64))
        vi_parts.append(eligible.astype(np.int64))
    si, vi = np.concatenate(si_parts), np.concatenate(vi_parts)
    X = pair_matrix(s, v, si, vi, day).astype(np.float64)
    w_si = np.asarray(seeker_rows, dtype=np.int64)[si]
    w_vi = np.array([vacancy_row[str(v.ids[j])] for j in vi.tolist()], dtype=np.int64)
    p, p_outcome = world.truth(w_si, w_vi), world.outcome_probability(w_si, w_vi)
    groups = [
        g for g in (np.flatnonzero(si == i) for i in range(len(s))) if len(g) >= MIN_CANDIDATES
    ]
    return Panel(
        X=X, p=p, p_outcome=p_outcome, max_km=s.max_km[si], groups=groups, people=len(groups)
    )


def judge(panel: Panel, models: dict[str, ScorerBundle]) -> dict[str, dict[str, Any]]:
    """NDCG@10 (and ECE for probability models) of each model and baseline."""
    scores: dict[str, np.ndarray] = {name: b.predict(panel.X) for name, b in models.items()}
    scores["tfidf_skills"] = panel.X[:, COL["text_sim"]]
    scores["rules"] = rule_score(panel.X, panel.max_km)
    scores["oracle"] = panel.p
    out: dict[str, dict[str, Any]] = {}
    for name, score in scores.items():
        row: dict[str, Any] = {"ndcg_at_10": mean_ndcg(panel.groups, panel.p, score, 10)}
        if name in models:
            row["ece_panel"] = expected_calibration_error(score, panel.p_outcome)
            row["mean_probability"] = float(score.mean())
        out[name] = row
    return out


def referred_ece(predicted: np.ndarray, truth: np.ndarray) -> float | None:
    """ECE of the probabilities the service gave the referred pairs, against the truth."""
    return expected_calibration_error(predicted, truth) if len(predicted) else None
