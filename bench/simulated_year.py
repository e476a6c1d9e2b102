"""A simulated year of learning from outcomes, through the real API.

An independent world (a held-out variant of ``service.matching.offline.worlds``: the
cold-start scorer never trained on it) registers its people, employers and vacancies with
POST, on a fresh SQLite database served in-process (TestClient, as the tests do).  Each
quarter:

1. nine in ten of the people still seeking see their list (GET
   /v1/seekers/{id}/matches, 10 items); a counselor tries up to five of the shown
   vacancies, drawn with a position bias (rank r ∝ 1/r, without replacement, in the order
   drawn), one at a time: POST /v1/referrals (rank, shown), the next only once this one is
   decided;
2. the world draws the referral's outcome from its truth and it moves along the
   pipeline (PATCH): a success is interviewed, offered, placed (POST /v1/placements, the
   start backdated to the quarter's place in the past year so that its month-six visit
   can be recorded now) and found still employed at month six (POST .../follow-ups); a
   failure is turned down (with or without an interview), declined for the pay, or hired
   and gone before month six (the placement ended with PATCH).  A job ends the person's
   turn, so every referral has an outcome of its own (none is left open by a job found
   elsewhere); people who keep failing make more referrals, as in life.  The six-month
   records of a fifth of the hires come only next quarter (weaker evidence at
   retraining);
3. at the quarter's end, ``accessmatch train --from-outcomes --promote``'s function runs
   (``service.services.retraining.retrain``) and the process switches to a promoted model.

Reported per quarter, against the world's truth (``bench.year_eval``): NDCG@10 on a fixed
panel of people, for the model serving, the cold-start model, both baselines and the
quarter-end candidate; ECE of the model serving on the panel and on the quarter's recorded
outcomes (the truth as the expected outcome), with the cold-start model's on the latter.

    python bench/simulated_year.py [--seekers N] [--vacancies N] [--seed N] [--world NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # python bench/simulated_year.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.year_driver import Driver, Quarter
from bench.year_world import DEFAULT_WORLD, make_world


@dataclass
class Row:
    label: str
    serving: str
    metrics: dict[str, dict[str, Any]]
    referred: int = 0
    referred_ece: float | None = None
    referred_ece_cold: float | None = None
    gate: dict[str, Any] | None = None
    note: str = ""
    candidate_ndcg: float | None = None  # the quarter-end candidate on the panel
    extra: dict[str, Any] = field(default_factory=dict)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seekers", type=int, default=1000, help="people at the start")
    parser.add_argument("--inflow", type=int, default=500, help="new people per quarter")
    parser.add_argument("--vacancies", type=int, default=500)
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--panel", type=int, default=150, help="people in the panel")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--world", default=DEFAULT_WORLD)
    parser.add_argument(
        "--metrics-out", type=Path, help="write each retraining's metrics (JSON) here"
    )
    return parser.parse_args(argv)


def _f(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def gate_text(gate: dict[str, Any]) -> str:
    """The gate's verdict: its measure's gain and interval, and the guards'."""
    guards = "; ".join(
        f"{g['metric']} {g['margin']:+.3f} [{g['interval'][0]:+.3f}, "
        f"{g['interval'][1]:+.3f}]{'' if g['holds'] else ' worse'}"
        for g in gate.get("guards", [])
    )
    return (
        f"{'passed' if gate['passed'] else 'failed'}: {gate['metric']} "
        f"{gate['delta']:+.4f} [{gate['interval'][0]:+.4f}, {gate['interval'][1]:+.4f}], "
        f"{gate['n_seekers']} seekers" + (f"; guards {guards}" if guards else "")
    )


def print_report(
    rows: list[Row], world: str, assumes: str, seconds: float, counts: dict[str, int]
) -> None:
    print(f"\nSimulated year in the held-out world '{world}': {assumes}")
    print(
        f"{counts['seekers']} people, {counts['vacancies']} vacancies, "
        f"{counts['referrals']} referrals, {counts['placements']} placements, "
        f"{counts['visits']} six-month visits, {counts['requests']} API requests; "
        f"{seconds:.0f} s\n"
    )
    head = (
        "quarter",
        "serving",
        "NDCG@10 serving",
        "cold start",
        "TF-IDF",
        "rules",
        "oracle",
        "ECE panel",
        "ECE outcomes",
        "(cold start)",
        "candidate NDCG@10",
        "gate at quarter end",
    )
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        m = r.metrics
        gate = r.gate
        verdict = "—" if gate is None else gate_text(gate)
        print(
            " | ".join(
                [
                    r.label,
                    r.serving,
                    _f(m["active"]["ndcg_at_10"]),
                    _f(m["cold_start"]["ndcg_at_10"]),
                    _f(m["tfidf_skills"]["ndcg_at_10"]),
                    _f(m["rules"]["ndcg_at_10"]),
                    _f(m["oracle"]["ndcg_at_10"]),
                    _f(m["active"]["ece_panel"]),
                    _f(r.referred_ece),
                    _f(r.referred_ece_cold),
                    _f(r.candidate_ndcg),
                    verdict + (f" {r.note}" if r.note else ""),
                ]
            )
        )


def targets(rows: list[Row]) -> list[str]:
    learned = [r for r in rows if r.serving != "cold start"]
    beats = [
        r.label
        for r in learned
        if r.metrics["active"]["ndcg_at_10"]
        > max(r.metrics[b]["ndcg_at_10"] for b in ("cold_start", "tfidf_skills", "rules"))
    ]
    out = [
        f"learned model above cold start and both baselines (panel NDCG@10): "
        f"{'met in ' + ', '.join(beats) if beats else 'NOT met'}"
    ]
    after = [r for r in learned if r.referred_ece is not None]
    worst = max((r.referred_ece for r in after), default=None)  # type: ignore[type-var]
    panel = max((r.metrics["active"]["ece_panel"] for r in learned), default=None)
    out.append(
        "ECE ≤ 0.03 after the first retraining, on the recorded outcomes: "
        + (
            "no retraining was promoted"
            if worst is None
            else f"{'met' if worst <= 0.03 else 'NOT met'} (worst {worst:.3f})"
        )
        + ("" if panel is None else f"; on the panel: worst {panel:.3f}")
    )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    total = args.seekers + args.inflow * (args.quarters - 1)
    world = make_world(total, args.vacancies, seed=args.seed, name=args.world)
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="accessmatch-year-") as tmp,
        Driver(world, Path(tmp), seed=args.seed, quarters=args.quarters) as run,
    ):
        run.register(range(args.seekers))
        panel = run.panel(
            np.random.default_rng(args.seed).choice(
                args.seekers, size=min(args.panel, args.seekers), replace=False
            )
        )
        for q in range(args.quarters):
            if q:
                run.register(
                    range(args.seekers + (q - 1) * args.inflow, args.seekers + q * args.inflow)
                )
            quarter: Quarter = run.quarter(q)
            serving = run.serving_label()
            metrics = run.judge(panel)
            gate, note, candidate = run.retrain(panel)
            rows.append(
                Row(
                    label=f"Q{q + 1}",
                    serving=serving,
                    metrics=metrics,
                    referred=quarter.referred,
                    referred_ece=quarter.ece,
                    referred_ece_cold=quarter.ece_cold,
                    gate=gate,
                    note=note,
                    candidate_ndcg=candidate,
                )
            )
            print(
                f"Q{q + 1}: {quarter.referred} referrals, {quarter.hired} hires; "
                f"{note or ('gate ' + str(gate and gate['passed']))}; "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
        rows.append(Row(label="year end", serving=run.serving_label(), metrics=run.judge(panel)))
        counts = run.counts()
        if args.metrics_out:
            args.metrics_out.write_text(json.dumps(run.history, indent=1, default=str))
    seconds = time.perf_counter() - started
    print_report(rows, args.world, world.spec.assumes, seconds, counts)
    print()
    for line in targets(rows):
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
