"""The model registry: register a scorer, activate one (the promotion gate, rollback),
read the versions with their metrics and monitoring.

The active version is the newest activation.  A *candidate* (a version never active
before) is promoted only if its recorded gate passed — it beat the model active when it
was measured, on the hold-out, by a margin whose bootstrap interval lies above zero —
and that model is still the active one.  A version that was active before comes back
without the gate (a rollback).  Every process serves the active version within its poll
interval (:mod:`service.services.model_watch`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.errors import Conflict, NotFound, field_error, raise_if_errors
from service.matching.artifact import bundle_from_bytes, bundle_to_bytes
from service.matching.scorer import ScorerBundle
from service.models.base import as_utc, utcnow
from service.models.enums import AuditAction
from service.models.model_registry import (
    ActivationPublic,
    ActivationReason,
    ArtifactInfo,
    Gate,
    ModelDetail,
    ModelList,
    ModelSource,
    ModelSummary,
    TrainingWindow,
)
from service.models.tables import ModelActivation, ModelVersion
from service.repositories import models as repo
from service.services import model_monitor
from service.services.audit import Audit

SYSTEM = None  # activated_by of the activation made at start-up
MAX_VERSION = 40  # the audit log's resource ids


def as_json(value: Any) -> Any:
    """Plain JSON of a trainer's metrics: numpy scalars and arrays as numbers and lists,
    NaN and infinities as null (JSONB refuses them)."""
    if isinstance(value, Mapping):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [as_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"metrics hold a {type(value).__name__}, which is not JSON")


def _row(
    bundle: ScorerBundle,
    *,
    source: ModelSource,
    window: TrainingWindow,
    metrics: Mapping[str, Any],
    created_by: str | None,
) -> dict[str, Any]:
    if not 0 < len(bundle.version) <= MAX_VERSION:
        raise_if_errors(
            [
                field_error(
                    "version",
                    "version_length",
                    f"a model version has 1 to {MAX_VERSION} characters: {bundle.version!r}",
                )
            ]
        )
    artifact, meta = bundle_to_bytes(bundle)
    return {
        "version": bundle.version,
        "created_at": utcnow(),
        "source": source.value,
        "window_from": window.from_date,
        "window_to": window.to_date,
        "window_referrals": window.referrals,
        "window_placements": window.placements,
        "window_outcomes": window.outcomes,
        "metrics": as_json(metrics),
        "artifact": artifact,
        "bundle_meta": meta,
        "sha256": str(meta["sha256"]),
        "created_by": created_by,
    }


def _checked_gate(metrics: Mapping[str, Any]) -> None:
    if "gate" not in metrics:
        return
    try:
        Gate.model_validate(metrics["gate"])
    except ValidationError as exc:
        raise_if_errors(
            [
                field_error(
                    f"metrics.gate.{'.'.join(map(str, e['loc']))}".rstrip("."), e["type"], e["msg"]
                )
                for e in exc.errors()
            ]
        )


def register(
    session: Session,
    bundle: ScorerBundle,
    *,
    source: ModelSource | str,
    window: TrainingWindow | Mapping[str, Any] | None,
    metrics: Mapping[str, Any],
    created_by: str | None,
) -> ModelVersion:
    """Store ``bundle`` as a new version (not active: :func:`activate` decides).

    The artifact is stored as bytes and loaded back before it is kept: a bundle that
    does not survive the round trip, or scores differently after it, is refused.
    Raises Conflict if the version exists, ValidationFailed for a malformed gate."""
    if repo.exists(session, bundle.version):
        raise Conflict(f"model version {bundle.version} is registered already")
    metrics = as_json(metrics)
    _checked_gate(metrics)
    span = TrainingWindow.model_validate(window or {})
    values = _row(
        bundle, source=ModelSource(source), window=span, metrics=metrics, created_by=created_by
    )
    reloaded = bundle_from_bytes(values["artifact"], values["bundle_meta"])
    lin = bundle.linear
    probe = lin.mean + lin.scale * np.random.default_rng(1).normal(0, 2, (64, len(lin.mean)))
    if not np.array_equal(reloaded.predict(probe), bundle.predict(probe)):
        raise Conflict(f"model version {bundle.version} scores differently once stored")
    row = ModelVersion(**values)
    repo.add_version(session, row)
    return row


def ensure_initial(session: Session, bundle: ScorerBundle) -> None:
    """An empty registry gets ``bundle`` (the shipped scorer) as its first, active
    version.  Safe when processes race: each insert is skipped if another made it."""
    if repo.head(session) is not None:
        return
    values = _row(
        bundle,
        source=ModelSource.cold_start,
        window=TrainingWindow(),
        metrics={"cold_start_report": bundle.report},
        created_by=SYSTEM,
    )
    repo.add_version_if_absent(session, values)
    repo.add_first_activation(
        session,
        {
            "version": bundle.version,
            "activated_at": utcnow(),
            "activated_by": SYSTEM,
            "previous_version": None,
            "reason": ActivationReason.initial.value,
            "note": "the shipped scorer, at first start-up",
        },
    )


def adopt(session: Session, bundle: ScorerBundle, note: str) -> None:
    """Make the shipped ``bundle`` active at start-up because the active version does not
    fit this code (a release changed the features): registered if absent, activated with
    reason ``initial``.  A concurrent activation wins; this one is then skipped."""
    current = repo.head(session)
    if current is None:
        ensure_initial(session, bundle)
        return
    if not repo.exists(session, bundle.version):
        repo.add_version_if_absent(
            session,
            _row(
                bundle,
                source=ModelSource.cold_start,
                window=TrainingWindow(),
                metrics={"cold_start_report": bundle.report},
                created_by=SYSTEM,
            ),
        )
    try:
        with session.begin_nested():
            repo.add_activation(
                session,
                ModelActivation(
                    version=bundle.version,
                    supersedes=current[0],
                    activated_by=SYSTEM,
                    previous_version=current[1],
                    reason=ActivationReason.initial.value,
                    note=note[:500],
                ),
            )
    except IntegrityError:
        pass


def load(session: Session, version: str) -> ScorerBundle:
    """The stored bundle (ScorerError if it does not load or fit the code)."""
    row = repo.get(session, version)
    if row is None:
        raise NotFound(f"no model version {version}")
    return bundle_from_bytes(row.artifact, row.bundle_meta)


# -- activation ----------------------------------------------------------------------


def _gate_refusal(row: ModelVersion, active: str) -> str | None:
    """Why the candidate may not be promoted over ``active``, or None."""
    raw = (row.metrics or {}).get("gate")
    if raw is None:
        return (
            f"version {row.version} was never active and records no promotion gate "
            f"(metrics.gate); only a candidate measured against the active model can "
            f"be promoted"
        )
    try:
        gate = Gate.model_validate(raw)
    except ValidationError:
        return f"version {row.version} records a malformed gate"
    low, high = gate.interval
    if not gate.passed and not low > gate.threshold:
        return (
            f"the gate failed: {gate.metric} margin {gate.margin:+.4f} over "
            f"{gate.against}, {gate.confidence:.0%} interval [{low:+.4f}, {high:+.4f}] "
            f"does not lie above {gate.threshold:g}"
        )
    if not gate.passed:
        worse = "; ".join(
            f"{g.metric} margin {g.margin:+.4f}, interval "
            f"[{g.interval[0]:+.4f}, {g.interval[1]:+.4f}]"
            for g in gate.failed_guards()
        )
        return f"the gate failed: the candidate is measurably worse on {worse}"
    if gate.against != active:
        return (
            f"the gate was measured against {gate.against}, but {active} is active "
            f"now: evaluate the candidate against it again"
        )
    return None


def activate(session: Session, audit: Audit, version: str, note: str | None) -> ModelActivation:
    """Activate ``version``: a promotion through the gate, or a rollback; 409 naming why
    not.  Two activations racing from the same state: one of them is 409."""
    row = repo.get(session, version)
    if row is None:
        raise NotFound(f"no model version {version}")
    current = repo.head(session)
    if current is not None and current[1] == version:
        raise Conflict(f"version {version} is the active one already")
    before = repo.activations(session, version)
    reason = ActivationReason.rollback if before else ActivationReason.promotion
    if reason is ActivationReason.promotion and current is not None:
        refusal = _gate_refusal(row, current[1])
        if refusal is not None:
            raise Conflict(refusal, errors=[field_error("version", "gate_not_passed", refusal)])
    activation = ModelActivation(
        version=version,
        supersedes=current[0] if current else 0,
        activated_by=audit.principal.key_id,
        previous_version=current[1] if current else None,
        reason=reason.value,
        note=note,
    )
    try:
        with session.begin_nested():
            repo.add_activation(session, activation)
    except IntegrityError as exc:
        raise Conflict(
            "another activation was made at the same moment; read the registry and try again"
        ) from exc
    audit.record(AuditAction.model_activate, "model", version)
    return activation


# -- reading -------------------------------------------------------------------------


def activation_public(a: ModelActivation) -> ActivationPublic:
    assert a.id is not None
    return ActivationPublic(
        id=a.id,
        version=a.version,
        activated_at=as_utc(a.activated_at),
        activated_by=a.activated_by,
        previous_version=a.previous_version,
        reason=ActivationReason(a.reason),
        note=a.note,
    )


def _holdout_ndcg(metrics: Mapping[str, Any]) -> float | None:
    try:
        value = metrics["holdout"]["models"]["candidate"]["ndcg_at_10"]
    except (KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def _gate_of(metrics: Mapping[str, Any]) -> Gate | None:
    try:
        return Gate.model_validate(metrics["gate"]) if "gate" in metrics else None
    except ValidationError:
        return None


def _summary(
    row: ModelVersion, history: list[ModelActivation], active: str | None
) -> dict[str, Any]:
    return {
        "version": row.version,
        "created_at": as_utc(row.created_at),
        "source": ModelSource(row.source),
        "created_by": row.created_by,
        "active": row.version == active,
        "window": TrainingWindow(
            from_date=row.window_from,
            to_date=row.window_to,
            referrals=row.window_referrals,
            placements=row.window_placements,
            outcomes=row.window_outcomes,
        ),
        "holdout_ndcg_at_10": _holdout_ndcg(row.metrics or {}),
        "gate": _gate_of(row.metrics or {}),
        "activations": [activation_public(a) for a in history if a.version == row.version],
    }


def listing(session: Session) -> ModelList:
    history = repo.activations(session)
    active = history[0].version if history else None
    return ModelList(
        active_version=active,
        items=[ModelSummary(**_summary(r, history, active)) for r in repo.versions(session)],
        activations=[activation_public(a) for a in history],
    )


def detail(session: Session, version: str) -> ModelDetail:
    row = repo.get(session, version)
    if row is None:
        raise NotFound(f"no model version {version}")
    history = repo.activations(session)
    active = history[0].version if history else None
    mine = [a for a in history if a.version == version]
    since = as_utc(mine[-1].activated_at) if mine else None
    meta = row.bundle_meta or {}
    return ModelDetail(
        **_summary(row, history, active),
        metrics=row.metrics or {},
        artifact=ArtifactInfo(
            sha256=row.sha256,
            size_bytes=len(row.artifact),
            features=len(meta.get("feature_names", [])),
            libraries=dict(meta.get("libraries", {})),
            params=dict(meta.get("params", {})),
        ),
        monitoring=model_monitor.measure(session, version, since),
    )
