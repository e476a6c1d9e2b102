"""Ranked group fairness (FA*IR, Zehlike et al., CIKM 2017).

``mtable[i]`` is the fewest protected candidates the top ``i + 1`` must hold: the
``alpha`` quantile of Binomial(i + 1, p).  A ranking passes when every prefix meets it.
The re-ranking takes the best remaining candidate unless the prefix would fall short,
in which case it takes the best remaining protected one.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom


def mtable(k: int, p: float, alpha: float) -> np.ndarray:
    sizes = np.arange(1, k + 1)
    return binom.ppf(alpha, sizes, p).astype(int)


def fair_order(
    scores: np.ndarray, protected: np.ndarray, k: int, p: float, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the fair top-k (by score otherwise) and which were lifted by the rule."""
    order = np.argsort(-scores, kind="stable")
    prot = [i for i in order if protected[i]]
    rest = [i for i in order if not protected[i]]
    need = mtable(min(k, len(order)), p, alpha)
    chosen: list[int] = []
    lifted: list[bool] = []
    taken_protected = 0
    pi = ri = 0
    for position in range(min(k, len(order))):
        short = taken_protected < need[position] and pi < len(prot)
        best_is_protected = pi < len(prot) and (
            ri >= len(rest) or scores[prot[pi]] >= scores[rest[ri]]
        )
        if short or best_is_protected:
            chosen.append(prot[pi])
            lifted.append(short and not best_is_protected)
            pi += 1
            taken_protected += 1
        else:
            chosen.append(rest[ri])
            lifted.append(False)
            ri += 1
    return np.array(chosen, dtype=np.int64), np.array(lifted, dtype=bool)


def satisfies(
    protected_in_order: np.ndarray, p: float, alpha: float, protected_available: int
) -> bool:
    """Every prefix holds the required protected count (as far as candidates exist)."""
    need = mtable(len(protected_in_order), p, alpha)
    have = np.cumsum(protected_in_order)
    return bool(np.all(have >= np.minimum(need, protected_available)))
