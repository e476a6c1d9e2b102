"""What the priority boosts and the FA*IR guarantee cost in ranking quality.

For candidate lists of simulated vacancies (the seeded placement simulator, a population
the scorer never trained on), rank the eligible candidates three ways: by the learned
probability alone; with the priority boosts; with the boosts and the FA*IR re-ranking.
Report NDCG@20 against the true success probability, and the share of protected
candidates (graduate, rural, hard to employ, poverty monitoring) in the top 20.

    python bench/fairness_bench.py [--seed N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import ndcg_score

from service.matching.arrays import build_seekers, build_vacancies
from service.matching.constraints import seeker_groups
from service.matching.encoding import GROUP_BIT
from service.matching.fairness import fair_order, mtable
from service.matching.offline.simulator import day, simulate
from service.matching.offline.training import pair_matrix
from service.matching.policy import PriorityPolicy
from service.matching.scorer import load_bundle

K = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--seed",
        type=int,
        default=777,
        help="simulation seed (the scorer was trained on seed 20261123)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    bundle, policy = load_bundle(), PriorityPolicy()
    sim = simulate(seed=args.seed, n_seekers=4000, n_vacancies=1500, pairs_per_seeker=60)
    s = build_seekers(sim.seekers, bundle.encode_text)
    v = build_vacancies(sim.vacancies, bundle.encode_text)
    today = day()
    features = pair_matrix(s, v, sim.seeker_idx, sim.vacancy_idx, today)
    probability = bundle.predict(features)
    groups = seeker_groups(s.take(sim.seeker_idx, sparse=False), today)
    boost = np.zeros(len(groups))
    for group, value in policy.candidate_group.items():
        boost += value * ((groups & GROUP_BIT[group.value]) != 0)
    boosted = probability + np.minimum(boost, policy.candidate_boost_cap)
    fair_bits = sum(GROUP_BIT[g.value] for g in policy.fair_groups)
    protected = (groups & fair_bits) != 0

    rows: dict[str, list[float]] = {"probability only": [], "with boosts": [], "boosts + FA*IR": []}
    shares: dict[str, list[float]] = {name: [] for name in rows}
    lifted_total = 0
    lists = 0
    for vacancy in np.unique(sim.vacancy_idx):
        pairs = np.flatnonzero(sim.vacancy_idx == vacancy)
        if len(pairs) < 2 * K:
            continue
        lists += 1
        truth = sim.p[pairs][None, :]
        order_fair, lifted = fair_order(
            boosted[pairs], protected[pairs], K, policy.fair_min_share, policy.fair_alpha
        )
        lifted_total += int(lifted.sum())
        fair_score = np.zeros(len(pairs))
        fair_score[order_fair] = np.arange(len(order_fair), 0, -1)  # rank as a score
        for name, score in (
            ("probability only", probability[pairs]),
            ("with boosts", boosted[pairs]),
            ("boosts + FA*IR", fair_score),
        ):
            rows[name].append(ndcg_score(truth, score[None, :], k=K))
            top = np.argsort(-score, kind="stable")[:K]
            shares[name].append(float(protected[pairs][top].mean()))
    print(
        f"FA*IR cost — {lists} simulated candidate lists (≥ {2 * K} eligible candidates "
        f"each), seed {args.seed}, scorer {bundle.version}"
    )
    print(
        f"policy: protected = {[g.value for g in policy.fair_groups]}, "
        f"p = {policy.fair_min_share}, alpha = {policy.fair_alpha}; "
        f"mtable(20) = {mtable(K, policy.fair_min_share, policy.fair_alpha).tolist()}"
    )
    base = float(np.mean(rows["probability only"]))
    print(f"{'ranking':<20} {'NDCG@20':>8} {'vs prob.':>9} {'protected share top-20':>24}")
    for name, values in rows.items():
        mean = float(np.mean(values))
        print(f"{name:<20} {mean:>8.4f} {mean - base:>+9.4f} {np.mean(shares[name]):>24.3f}")
    print(
        f"candidates lifted by FA*IR: {lifted_total} in {lists} lists "
        f"({lifted_total / max(lists, 1):.2f} per list); "
        f"{time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
