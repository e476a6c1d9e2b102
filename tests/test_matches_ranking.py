"""Priority order through the match API, on SQLite and PostgreSQL (MATCHING.md §5): the
stated boosts and their reasons on both lists, and the FA*IR guarantee that every prefix
of a candidate list holds its minimum of priority-group members; plus a direct test of the
fair re-ranking on random scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.matching.fairness import fair_order, mtable, satisfies
from service.matching.policy import PriorityPolicy
from tests.match_helpers import (
    candidates,
    make_employer,
    make_seeker,
    make_vacancy,
    north,
    seeker_matches,
)

POLICY = PriorityPolicy()
FAIR_GROUPS = {"graduate", "rural", "hard_to_employ", "poverty_monitoring"}


def _boosts(item: dict[str, Any]) -> dict[str, float]:
    return {r["code"]: r["effect"] for r in item["reasons"] if r["code"].startswith("boost_")}


def test_vacancies_naming_the_seekers_group_rank_higher(client: TestClient) -> None:
    # Rural and hard to employ; no degree, so not a graduate.
    seeker = make_seeker(client, hukou="rural", hard_to_employ=True)
    urban = make_seeker(client, hukou="urban")
    employer = make_employer(client)
    job = {"title": "客服专员", "demands": {"vision": 2}}
    base = make_vacancy(client, employer, **job)
    named = make_vacancy(client, employer, priority_groups=["rural"], **job)
    named_other = make_vacancy(client, employer, priority_groups=["graduate"], **job)
    welfare = make_vacancy(client, employer, public_welfare=True, **job)
    targeted = make_vacancy(client, employer, targeted=True, **job)

    items = {i["vacancy_id"]: i for i in seeker_matches(client, seeker)["items"]}
    assert set(items) == {base, named, named_other, welfare, targeted}
    rank = {v: i["rank"] for v, i in items.items()}

    assert _boosts(items[base]) == {}
    assert _boosts(items[named_other]) == {}
    assert items[named]["probability"] == pytest.approx(items[base]["probability"])
    assert _boosts(items[named]) == {
        "boost_priority_group_named": pytest.approx(POLICY.names_seekers_group)
    }
    assert items[named]["score"] == pytest.approx(
        items[named]["probability"] + POLICY.names_seekers_group
    )
    assert rank[named] < rank[base] and rank[named] < rank[named_other]

    assert _boosts(items[welfare]) == {
        "boost_public_welfare": pytest.approx(POLICY.public_welfare_for_hard_to_employ)
    }
    assert items[welfare]["score"] == pytest.approx(
        items[welfare]["probability"] + POLICY.public_welfare_for_hard_to_employ
    )
    assert rank[welfare] < rank[base]
    assert _boosts(items[targeted]) == {"boost_targeted": pytest.approx(POLICY.targeted)}
    assert rank[targeted] < rank[base]
    for item in items.values():  # boosts are in words as well
        for reason in item["reasons"]:
            assert reason["message"] and reason["message_en"]

    # An urban seeker who is not hard to employ gets neither boost from those posts.
    others = {i["vacancy_id"]: i for i in seeker_matches(client, urban)["items"]}
    assert _boosts(others[named]) == {} and _boosts(others[welfare]) == {}
    assert others[named]["score"] == pytest.approx(others[base]["score"])


def test_candidates_in_priority_groups_are_boosted(client: TestClient) -> None:
    vacancy = make_vacancy(client, make_employer(client), title="客服专员")
    plain = make_seeker(client, hukou="urban")
    rural = make_seeker(client, hukou="rural")
    many = make_seeker(client, hukou="rural", hard_to_employ=True, poverty_monitoring=True)
    graduate = make_seeker(client, education="bachelor", graduation_date="2025-07-01")

    items = {i["seeker_id"]: i for i in candidates(client, vacancy)["items"]}
    assert _boosts(items[plain]) == {} and items[plain]["priority_groups"] == []
    assert items[plain]["score"] == pytest.approx(items[plain]["probability"])

    assert items[rural]["priority_groups"] == ["rural"]
    assert _boosts(items[rural]) == {"boost_rural": pytest.approx(0.04)}
    assert items[rural]["probability"] == pytest.approx(items[plain]["probability"])
    assert items[rural]["score"] == pytest.approx(items[rural]["probability"] + 0.04)
    assert items[rural]["rank"] < items[plain]["rank"]

    assert set(items[many]["priority_groups"]) == {"rural", "hard_to_employ", "poverty_monitoring"}
    assert set(_boosts(items[many])) == {
        "boost_rural",
        "boost_hard_to_employ",
        "boost_poverty_monitoring",
    }
    # 0.04 + 0.06 + 0.05 is capped at the policy's 0.10.
    assert items[many]["score"] == pytest.approx(
        items[many]["probability"] + POLICY.candidate_boost_cap
    )
    assert items[graduate]["priority_groups"] == ["graduate"]
    assert _boosts(items[graduate]) == {"boost_graduate": pytest.approx(0.05)}


def _protected(item: dict[str, Any], groups: set[str]) -> bool:
    return bool(set(item["priority_groups"]) & groups)


def test_every_prefix_of_the_candidate_list_satisfies_fair(client: TestClient) -> None:
    vacancy = make_vacancy(
        client,
        make_employer(client),
        title="客服专员",
        skills=["客服", "电脑打字"],
        education_min="senior_secondary",
        salary_max=4500,
    )
    # Fifteen strong candidates outside the fair groups ...
    strong = [
        make_seeker(
            client,
            hukou="urban",
            education="senior_secondary",
            skills=["客服", "电脑打字"],
            experience_years=8,
            min_salary=2500,
        )
        for _ in range(15)
    ]
    # ... and fifteen in them, weaker on every factor the model rewards.
    kinds: list[dict[str, Any]] = [
        {"hukou": "rural"},
        {"hard_to_employ": True},
        {"poverty_monitoring": True},
        {"education": "bachelor", "graduation_date": "2025-07-01"},
    ]
    weak = [
        make_seeker(
            client,
            **{
                "hukou": "urban",
                "education": "junior_secondary",
                "skills": ["手工编织"],
                "experience_years": 0,
                "min_salary": 6000,
                "location": north(12),
                **kinds[i % 4],
            },
        )
        for i in range(15)
    ]

    body = candidates(client, vacancy, limit=200)
    fairness = body["fairness"]
    groups = set(fairness["protected_groups"])
    assert groups == FAIR_GROUPS
    p, alpha = fairness["min_share"], fairness["alpha"]
    assert (p, alpha) == (POLICY.fair_min_share, POLICY.fair_alpha)
    assert body["eligible_count"] == 30
    items = body["items"]
    assert sorted(i["seeker_id"] for i in items) == sorted(strong + weak)
    flags = np.array([_protected(i, groups) for i in items])
    assert {i["seeker_id"] for i in items if _protected(i, groups)} == set(weak)

    # Every prefix holds the FA*IR minimum (all 15 protected are available).
    assert satisfies(flags, p, alpha, protected_available=15)
    need = mtable(len(flags), p, alpha)
    assert np.all(np.cumsum(flags) >= need)

    lifted = [i for i in items if "fairness_guarantee" in {r["code"] for r in i["reasons"]}]
    assert all(_protected(i, groups) for i in lifted)
    by_score = flags[np.argsort([-i["score"] for i in items], kind="stable")]
    if not satisfies(by_score, p, alpha, protected_available=15):
        # Score order alone would under-represent them: the rule must have lifted some.
        assert lifted, "the list needed the fairness rule but no candidate was lifted"
    # The list is exactly the fair re-ranking of its own scores.
    scores = np.array([i["score"] for i in items])
    order, _ = fair_order(scores, flags, len(items), p, alpha)
    assert [(bool(flags[j]), scores[j]) for j in order] == [
        (bool(f), s) for f, s in zip(flags, scores, strict=True)
    ]

    # A shorter list is the head of the longer one and passes in every prefix too.
    head = candidates(client, vacancy, limit=20)["items"]
    assert [i["seeker_id"] for i in head] == [i["seeker_id"] for i in items[:20]]
    assert satisfies(np.array([_protected(i, groups) for i in head]), p, alpha, 15)


def test_mtable_is_the_binomial_minimum() -> None:
    assert mtable(5, 0.4, 0.1).tolist() == [0, 0, 0, 0, 1]
    table = mtable(100, 0.5, 0.1)
    assert np.all(np.diff(table) >= 0) and np.all(np.diff(table) <= 1)
    assert table[-1] == 44  # Binomial(100, 0.5): P(X ≤ 44) ≥ 0.1 > P(X ≤ 43)


@pytest.mark.parametrize("seed", range(6))
def test_fair_order_lifts_protected_candidates_in_every_prefix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k, p, alpha = 120, 60, 0.5, 0.1
    protected = rng.random(n) < 0.45
    # Protected candidates score systematically lower: score order alone fails FA*IR.
    scores = rng.random(n) - 0.35 * protected
    plain = protected[np.argsort(-scores, kind="stable")][:k]
    assert not satisfies(plain, p, alpha, int(protected.sum()))

    order, lifted = fair_order(scores, protected, k, p, alpha)
    assert len(order) == k and len(set(order.tolist())) == k
    chosen = protected[order]
    assert satisfies(chosen, p, alpha, int(protected.sum()))
    need = mtable(k, p, alpha)
    have = np.cumsum(chosen)
    assert np.all(have >= need)
    assert lifted.any() and np.all(chosen[lifted])
    for position in range(k):
        rest = np.setdiff1d(np.arange(n), order[:position])
        best = rest[np.argmax(scores[rest])]
        if lifted[position]:
            # Moved up: the prefix before it was short and a better unprotected one waited.
            before = int(have[position - 1]) if position else 0
            assert before < need[position]
            assert not protected[best] and scores[best] > scores[order[position]]
        else:
            assert scores[order[position]] == scores[best]
    # Within each group the order is by score.
    for flag in (True, False):
        group_scores = scores[order[chosen == flag]]
        assert np.all(np.diff(group_scores) <= 0)


def test_fair_order_with_too_few_protected_candidates() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    protected = np.zeros(10, dtype=bool)
    protected[-1] = True  # the only one, and the worst
    order, lifted = fair_order(scores, protected, 10, 0.5, 0.1)
    chosen = protected[order]
    assert satisfies(chosen, 0.5, 0.1, protected_available=1)
    first_needed = int(np.argmax(mtable(10, 0.5, 0.1) >= 1))
    assert int(np.flatnonzero(chosen)[0]) <= first_needed
    assert lifted.sum() == 1 and protected[order[lifted]].all()
    # k larger than the list: everyone, once.
    order, _ = fair_order(scores, protected, 50, 0.5, 0.1)
    assert sorted(order.tolist()) == list(range(10))
