"""Learning from recorded outcomes, end to end and pure: rows and records in, a candidate
bundle and its metrics (hold-out comparison, gate, data window) out.

``learn`` refuses — ``InsufficientOutcomes``, a message with the counts — when there is too
little to learn from: never a silently worse model.  The thresholds are ``Thresholds``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.constraints import Day
from service.matching.offline.outcome_eval import (
    EvalParams,
    evaluate,
    gate,
    informative,
    seeker_groups,
)
from service.matching.offline.outcome_fit import FitParams, fit_candidate
from service.matching.offline.outcomes import (
    Dataset,
    DatasetParams,
    OutcomeRow,
    build_dataset,
    counts_of,
    kind_of,
)
from service.matching.offline.training import COL, rule_score
from service.matching.scorer import ScorerBundle


class InsufficientOutcomes(ValueError):
    """Too few recorded outcomes to learn from (the message gives the counts)."""

    def __init__(self, message: str, counts: dict[str, int]) -> None:
        super().__init__(message)
        self.counts = counts


@dataclass(frozen=True)
class Thresholds:
    min_outcomes: int = 200  # known outcomes (six-month retention, or closed without hire)
    min_seekers: int = 50  # distinct seekers among them
    min_retained: int = 20  # of them retained at six months
    min_holdout_seekers: int = 10  # informative seekers in the hold-out (see outcome_eval)


@dataclass(frozen=True)
class LearnParams:
    dataset: DatasetParams = field(default_factory=DatasetParams)
    fit: FitParams = field(default_factory=FitParams)
    evaluation: EvalParams = field(default_factory=EvalParams)
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class Learned:
    bundle: ScorerBundle
    metrics: dict[str, Any]
    data: Dataset


SKIPPED = {
    "erased": "referrals of erased people",
    "vacancy_deleted": "referrals to deleted vacancies",
}


def check_counts(
    counts: dict[str, int], limits: Thresholds, *, skipped: dict[str, int] | None = None
) -> None:
    n, k, pos = counts["known"], counts["seekers"], counts["retained"]
    if n >= limits.min_outcomes and k >= limits.min_seekers and pos >= limits.min_retained:
        return
    extra = "".join(f"; {n} {SKIPPED.get(k, k)} skipped" for k, n in (skipped or {}).items() if n)
    raise InsufficientOutcomes(
        f"{n} known outcomes from {k} seekers ({pos} retained at six months, "
        f"{counts['hired'] + counts['interviewed']} weaker signals, {counts['censored']} "
        f"referrals without an outcome{extra}); at least {limits.min_outcomes} outcomes "
        f"from {limits.min_seekers} seekers, {limits.min_retained} of them retained, are "
        "needed",
        counts,
    )


def _holdout_check(data: Dataset, limits: Thresholds) -> None:
    hold = data.holdout
    groups = seeker_groups(data.seeker[hold])
    n_inf = int(informative(groups, data.y[hold]).sum())
    if n_inf < limits.min_holdout_seekers:
        raise InsufficientOutcomes(
            f"{len(hold)} hold-out outcomes (the newest {data.counts['holdout_rows']} of "
            f"{data.counts['known']}) from {len(groups)} seekers, of whom {n_inf} have both a "
            f"success and a failure to rank; at least {limits.min_holdout_seekers} such "
            "seekers are needed to compare rankings",
            {**data.counts, "holdout_informative": n_inf},
        )


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def window(rows: Sequence[OutcomeRow], data: Dataset) -> dict[str, Any]:
    def span(positions: np.ndarray) -> dict[str, str | None]:
        times = data.created[positions]
        return {
            "from": _iso(min(times)) if len(times) else None,
            "to": _iso(max(times)) if len(times) else None,
        }

    return {
        "referrals": {
            "from": _iso(min(r.created_at for r in rows)),
            "to": _iso(max(r.created_at for r in rows)),
        },
        "train": span(data.train),
        "holdout": span(data.holdout),
        "holdout_from": _iso(data.cutoff),
    }


def learn(
    rows: Sequence[OutcomeRow],
    seekers: SeekerArrays,
    vacancies: VacancyArrays,
    active: ScorerBundle,
    day: Day,
    params: LearnParams | None = None,
    *,
    skipped: dict[str, int] | None = None,
) -> Learned:
    """Build the data set, fit the candidate, compare on the time-ordered hold-out."""
    params = params or LearnParams()
    counts = counts_of(rows, [kind_of(r) for r in rows])
    check_counts(counts, params.thresholds, skipped=skipped)
    data = build_dataset(rows, seekers, vacancies, day, params.dataset)
    _holdout_check(data, params.thresholds)
    candidate = fit_candidate(active, data, params.fit)
    hold = data.holdout
    Xh = data.X[hold]
    scores = {
        "candidate": candidate.bundle.predict(Xh),
        "active": active.predict(Xh),
        "tfidf_skills": Xh[:, COL["text_sim"]],
        "rules": rule_score(Xh, data.max_km[hold]),
    }
    result = evaluate(
        scores, {"candidate", "active"}, data.y[hold], data.seeker[hold], params.evaluation
    )
    verdict = gate(result, against=active.version, params=params.evaluation)
    times = data.created[hold]
    metrics = {
        "holdout": {
            "from": _iso(min(times)),
            "to": _iso(max(times)),
            "seekers": result["differences"]["ndcg_at_10"]["n_holdout_seekers"],
            "ranked_seekers": result["differences"]["ndcg_at_10"]["n_seekers"],
            "pairs": len(hold),
            "positives": int(data.y[hold].sum()),
            "observed_rate": result["observed_rate"],
            "models": result["models"],
            "differences": result["differences"],
        },
        "gate": verdict,
        "window": window(rows, data),
        "data": {**data.counts, "skipped": dict(skipped or {})},
        "weights": {
            "eta": round(data.eta, 6),
            "max_weight": params.dataset.max_weight,
            "hire_weight": params.dataset.hire_weight,
            "interview_weight": params.dataset.interview_weight,
            "soft_labels": {k: round(v, 6) for k, v in data.soft_labels.items()},
        },
        "fit": candidate.info | {"version": candidate.bundle.version},
        "params": {
            "evaluation": asdict(params.evaluation),
            "thresholds": asdict(params.thresholds),
        },
    }
    bundle = ScorerBundle(
        version=candidate.bundle.version,
        text_encoder=candidate.bundle.text_encoder,
        model=candidate.bundle.model,
        feature_names=candidate.bundle.feature_names,
        params=candidate.bundle.params,
        report={"outcomes": metrics},
    )
    return Learned(bundle=bundle, metrics=metrics, data=data)
