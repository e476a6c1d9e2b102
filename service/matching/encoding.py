"""Numeric codes for the matching arrays: bit positions, enum codes, the bridge matrix."""

from __future__ import annotations

from typing import Final

import numpy as np

from service.matching.dimensions import (
    ACCOMMODATIONS,
    BRIDGES,
    DIMENSIONS,
    MAX_BRIDGE_PER_DIMENSION,
    PREMISES_ACCOMMODATIONS,
)
from service.models.enums import (
    Category,
    Education,
    EmployerKind,
    EmploymentType,
    PriorityGroup,
    WorkMode,
)

N_DIM: Final = len(DIMENSIONS)
DIM_INDEX: Final = {d: i for i, d in enumerate(DIMENSIONS)}
ACC_BIT: Final = {a: 1 << i for i, a in enumerate(ACCOMMODATIONS)}
PREMISES_MASK: Final = sum(ACC_BIT[a] for a in PREMISES_ACCOMMODATIONS)
GROUP_BIT: Final = {g.value: 1 << i for i, g in enumerate(PriorityGroup)}
MODES: Final = [m.value for m in WorkMode]
MODE_CODE: Final = {m: i for i, m in enumerate(MODES)}
REMOTE: Final = MODE_CODE["remote"]
ETYPES: Final = [t.value for t in EmploymentType]
ETYPE_CODE: Final = {t: i for i, t in enumerate(ETYPES)}
KINDS: Final = [k.value for k in EmployerKind]
KIND_CODE: Final = {k: i for i, k in enumerate(KINDS)}
EDU_LEVEL: Final = {e.value: e.level for e in Education}
CATEGORY_CODE: Final = {c.value: i for i, c in enumerate(Category)}

# Accommodation bit i -> capacity added per dimension.
BRIDGE_MATRIX: Final = np.array(
    [[BRIDGES[a].get(d, 0) for d in DIMENSIONS] for a in ACCOMMODATIONS], dtype=np.int8
)
_BITS: Final = np.array([1 << i for i in range(len(ACCOMMODATIONS))], dtype=np.int64)


def mask_of(names: list[str] | tuple[str, ...] | set[str], bits: dict[str, int]) -> int:
    return sum(bits[n] for n in set(names))


def names_of(mask: int, bits: dict[str, int]) -> list[str]:
    return [n for n, b in bits.items() if mask & b]


def bridges_for(offered: np.ndarray) -> np.ndarray:
    """Capacity added per dimension by each row's offered accommodations (capped at +2)."""
    present = (offered[:, None].astype(np.int64) & _BITS[None, :]) != 0
    added = present.astype(np.int16) @ BRIDGE_MATRIX.astype(np.int16)
    return np.minimum(added, MAX_BRIDGE_PER_DIMENSION).astype(np.int8)


def occupation_segments(code: str | None) -> list[int]:
    """'4-07-05-01' -> [4, 7, 5, 1]; missing segments are -1."""
    parts = [int(p) for p in code.split("-")] if code else []
    return (parts + [-1] * 4)[:4]


def city_of(district_code: str) -> int:
    return int(district_code[:4])
