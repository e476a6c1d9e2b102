"""``accessmatch train --from-outcomes [--promote]``: learn a candidate scorer from the
recorded referrals and placements, compare it with the active one, register it if it
passes the gate, activate it with ``--promote``; print a short report.

Exit codes: 0 done (whatever the gate said), 1 too few outcomes to learn from (the message
gives the counts), 2 configuration or model error (as the other commands).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.matching.offline.learning import LearnParams

CLI_KEY = "cli"  # the audit log's key id for an operator at the command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("learning from recorded outcomes")
    group.add_argument(
        "--from-outcomes",
        action="store_true",
        help="learn from the database's referrals, placements and follow-up "
        "visits instead of simulating",
    )
    group.add_argument(
        "--promote",
        action="store_true",
        help="with --from-outcomes: activate the candidate if it passes the gate",
    )
    for name, what in (
        ("min-outcomes", "known outcomes (default 200)"),
        ("min-seekers", "distinct seekers among them (default 50)"),
        ("min-retained", "of them retained at six months (default 20)"),
        (
            "min-holdout-seekers",
            "hold-out seekers with a success and a failure to rank (default 10)",
        ),
    ):
        group.add_argument(f"--{name}", type=int, help=f"at least this many {what}")
    group.add_argument(
        "--resamples", type=int, help="bootstrap resamples over seekers (default 1000)"
    )
    group.add_argument(
        "--gate-metric",
        choices=("log_likelihood", "ndcg_at_10", "roc_auc"),
        help="the measure whose gain must exclude zero (default "
        "log_likelihood; the others are guards: not measurably worse)",
    )


def params_of(args: argparse.Namespace) -> LearnParams:
    """The defaults of ``LearnParams``, with what the command line sets."""
    from service.matching.offline.learning import LearnParams

    base = LearnParams()
    given = {
        field: getattr(args, field)
        for field in ("min_outcomes", "min_seekers", "min_retained", "min_holdout_seekers")
        if getattr(args, field) is not None
    }
    evaluation = base.evaluation
    if args.resamples is not None:
        evaluation = replace(evaluation, resamples=args.resamples)
    if args.gate_metric is not None:
        evaluation = replace(evaluation, metric=args.gate_metric)
    return replace(base, thresholds=replace(base.thresholds, **given), evaluation=evaluation)


def _f(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.4f}" if sign else f"{value:.4f}"


def _iv(interval: list[float | None] | None, sign: bool = False) -> str:
    if not interval:
        return ""
    return f"[{_f(interval[0], sign)}, {_f(interval[1], sign)}]"


def report_lines(metrics: dict[str, Any]) -> list[str]:
    d, hold, gate = metrics["data"], metrics["holdout"], metrics["gate"]
    skipped = ", ".join(f"{n} {k}" for k, n in d.get("skipped", {}).items() if n)
    lines = [
        f"referrals {d['referrals']}: {d['known']} known outcomes from {d['seekers']} seekers "
        f"({d['retained']} retained at six months), {d['hired'] + d['interviewed']} weaker "
        f"signals, {d['censored']} without an outcome"
        + (f"; skipped {skipped}" if skipped else ""),
        f"training rows {d['train_rows']} ({metrics['window']['train']['from']} – "
        f"{metrics['window']['train']['to']}); hold-out {hold['pairs']} outcomes from "
        f"{hold['seekers']} seekers, {hold['ranked_seekers']} with a success and a failure to "
        f"rank (from {hold['from']})",
        f"{'model':13s} {'NDCG@10':>8s} {'interval':20s} {'ROC AUC':>8s} {'interval':20s} "
        f"{'log-lik':>8s} {'ECE':>7s} interval",
    ]
    for name, m in hold["models"].items():
        lines.append(
            f"{name:13s} {_f(m['ndcg_at_10']):>8s} {_iv(m['ndcg_at_10_interval']):20s}"
            f" {_f(m['roc_auc']):>8s} {_iv(m['roc_auc_interval']):20s} "
            f"{_f(m.get('log_likelihood')):>8s} "
            f"{_f(m.get('ece')):>7s} {_iv(m.get('ece_interval'))}"
        )
    verdict = "PASSED" if gate["passed"] else "FAILED"
    lines.append(
        f"gate {verdict}: {gate['metric']} candidate − active "
        f"{_f(gate['delta'], True)}, {gate['confidence']:.0%} interval "
        f"{_iv(gate['interval'], True)} (lower bound must exceed "
        f"{gate['threshold']:+.4f}), against {gate['against']}, {gate['n_seekers']} "
        f"seekers, {gate['n_outcomes']} outcomes"
    )
    for guard in gate.get("guards", []):
        lines.append(
            f"  guard {guard['metric']}: candidate − active "
            f"{_f(guard['margin'], True)}, interval {_iv(guard['interval'], True)} "
            f"(upper bound must be ≥ 0): {'holds' if guard['holds'] else 'FAILS'}"
        )
    return lines


def run(args: argparse.Namespace) -> int:
    from service.access import Principal
    from service.config import get_settings
    from service.db import make_engine, transaction
    from service.errors import ApiError
    from service.matching.offline.learning import InsufficientOutcomes
    from service.matching.scorer import load_bundle
    from service.models.enums import Role
    from service.rules import load_rules
    from service.services.audit import Audit
    from service.services.retraining import retrain

    settings = get_settings()
    rules = load_rules(settings.rules_file)
    shipped = load_bundle(settings.scorer_dir)
    output = Path(args.output) if args.output else None
    engine = make_engine(settings.database_url)
    principal = Principal(
        key_id=CLI_KEY, role=Role.admin, name="accessmatch train", owner_id=CLI_KEY
    )
    try:
        with transaction(engine) as session:
            done = retrain(
                session,
                rules,
                Audit(session, principal),
                shipped,
                promote=args.promote,
                params=params_of(args),
                output=output,
            )
    except InsufficientOutcomes as exc:
        print(f"accessmatch: too few outcomes to learn from: {exc}", file=sys.stderr)
        return 1
    except ApiError as exc:  # the registry refused (e.g. the version exists already)
        print(f"accessmatch: the model registry refused: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for line in report_lines(done.learned.metrics):
        print(line)
    version = done.learned.bundle.version
    if done.registered is None:
        print(f"candidate {version} not registered (the gate failed)")
    else:
        print(
            f"candidate {version} registered"
            + ("; activated" if done.promoted else "; not activated (use --promote)")
        )
    if done.output is not None:
        print(f"candidate bundle written to {done.output}")
    return 0
