"""Schemas of the model registry: versions, activations, the promotion gate, monitoring.

The metrics of a version registered from outcomes (``accessmatch train --from-outcomes``)
are a JSON object; the registry reads two parts of it:

``metrics["gate"]`` (:class:`Gate`, required for a promotion): the no-regression gate,
the candidate against the model that was active when it was evaluated, on the
time-ordered hold-out, with a bootstrap interval over seekers, and the guards (measures on
which the candidate must not be measurably worse)::

    {"metric": "log_likelihood", "against": "<the active version then>",
     "candidate": -0.52, "active": -0.58, "margin": 0.06,
     "interval": [0.02, 0.10], "confidence": 0.95, "resamples": 1000,
     "unit": "seeker", "passed": true,
     "guards": [{"metric": "ndcg_at_10", "margin": 0.01, "interval": [-0.02, 0.04],
                 "holds": true}]}

``passed`` must equal ``interval[0] > threshold`` and every guard holding
(``threshold`` optional, default and minimum 0); a guard ``holds`` exactly when its
interval's upper bound is at least 0 (``guards`` optional: none).  Registration refuses a
gate that says otherwise; other keys (``delta``, ``n_seekers``, ...) are kept and ignored.
Activation promotes a candidate only if it passed *and* ``against`` is still the active
version.

``metrics["holdout"]`` (free form, read for the list's summary): the hold-out itself
and every model on it, e.g.::

    {"from": "2026-07-01", "to": "2026-09-30", "seekers": 120, "pairs": 900,
     "positives": 80,
     "models": {"candidate": {"ndcg_at_10": 0.64, "ndcg_at_10_interval": [0.6, 0.68],
                              "ece": 0.02, "roc_auc": 0.66},
                "active": {...}, "tfidf_skills": {...}, "rules": {...}}}
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from service.models.common import PlainText, Strict


class ModelSource(StrEnum):
    cold_start = "cold_start"  # trained on simulated worlds, shipped with the code
    outcomes = "outcomes"  # trained on recorded referrals and placements


class ActivationReason(StrEnum):
    initial = "initial"  # registered at start-up: the registry was empty
    promotion = "promotion"  # a candidate that passed the gate
    rollback = "rollback"  # a version that was active before


class TrainingWindow(BaseModel):
    """The recorded outcomes a model learned from (all zero for a cold start)."""

    from_date: dt.date | None = None
    to_date: dt.date | None = None
    referrals: int = Field(default=0, ge=0)
    placements: int = Field(default=0, ge=0)
    outcomes: int = Field(default=0, ge=0)


class GateGuard(BaseModel):
    """A measure on which the candidate must not be measurably worse than the active model."""

    metric: str = Field(min_length=1, max_length=40)
    margin: float = Field(description="candidate − active on the hold-out")
    interval: tuple[float, float] = Field(description="bootstrap interval of the margin")
    holds: bool = Field(description="the interval's upper bound is at least 0")

    @model_validator(mode="after")
    def _consistent(self) -> GateGuard:
        low, high = self.interval
        if low > high:
            raise ValueError("guard interval: the lower bound exceeds the upper")
        if self.holds != (high >= 0):
            raise ValueError(
                "guard holds must say whether the interval's upper bound is at least 0"
            )
        return self


class Gate(BaseModel):
    """The no-regression gate, as the trainer measured it (see the module docstring)."""

    metric: str = Field(min_length=1, max_length=40)
    against: str = Field(
        min_length=1,
        max_length=40,
        description="the version that was active when this was measured",
    )
    candidate: float
    active: float
    margin: float = Field(description="candidate − active on the hold-out")
    interval: tuple[float, float] = Field(description="bootstrap interval of the margin")
    confidence: float = Field(gt=0, lt=1)
    resamples: int = Field(ge=1)
    unit: str = Field(default="seeker", description="what the bootstrap resampled")
    threshold: float = Field(
        default=0.0, ge=0, description="the lower bound must exceed it (at least 0)"
    )
    guards: list[GateGuard] = Field(
        default_factory=list,
        description="measures on which the candidate must not be "
        "measurably worse (the interval's upper bound at least 0)",
    )
    passed: bool

    @model_validator(mode="after")
    def _consistent(self) -> Gate:
        low, high = self.interval
        if low > high:
            raise ValueError("gate.interval: the lower bound exceeds the upper")
        if self.passed != (low > self.threshold and all(g.holds for g in self.guards)):
            raise ValueError(
                "gate.passed must say whether the interval's lower bound "
                "exceeds the threshold and every guard holds"
            )
        return self

    def failed_guards(self) -> list[GateGuard]:
        return [g for g in self.guards if not g.holds]


class ModelActivate(Strict):
    reason: Annotated[PlainText, Field(max_length=500)] | None = Field(
        default=None, description="why (kept with the activation)"
    )


class ActivationPublic(BaseModel):
    id: int
    version: str
    activated_at: dt.datetime
    activated_by: str | None = Field(description="the key id; null: registered at start-up")
    previous_version: str | None
    reason: ActivationReason
    note: str | None


class Monitoring(BaseModel):
    """Outcomes of the referrals this version ranked, since its first activation.

    An outcome: a placement made from the referral with six-month retention known
    (retained 1, left before six months 0), or a referral the employer rejected or the
    seeker declined (0).  Open referrals, withdrawn ones and placements whose six months
    are not known yet are pending."""

    since: dt.datetime | None
    referrals: int
    outcomes: int
    retained: int
    pending: int
    mean_probability: float | None = Field(description="the model's predicted rate")
    observed_rate: float | None = Field(description="the share retained at six months")
    ece: float | None = Field(
        description="expected calibration error, 10 equal-width bins; null below min_outcomes"
    )
    ndcg_at_10: float | None = Field(
        description="per seeker, the referrals ordered by the "
        "model's probability; null below "
        "min_seekers"
    )
    ranked_seekers: int
    min_outcomes: int
    min_seekers: int


class ArtifactInfo(BaseModel):
    sha256: str
    size_bytes: int
    features: int
    libraries: dict[str, str]
    params: dict[str, Any]


class ModelSummary(BaseModel):
    version: str
    created_at: dt.datetime
    source: ModelSource
    created_by: str | None
    active: bool
    window: TrainingWindow
    holdout_ndcg_at_10: float | None
    gate: Gate | None
    activations: list[ActivationPublic] = Field(description="this version's, newest first")


class ModelList(BaseModel):
    active_version: str | None
    items: list[ModelSummary] = Field(description="newest first")
    activations: list[ActivationPublic] = Field(description="the history, newest first")


class ModelDetail(ModelSummary):
    metrics: dict[str, Any]
    artifact: ArtifactInfo
    monitoring: Monitoring
