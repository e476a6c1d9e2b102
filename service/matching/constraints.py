"""Hard constraints of MATCHING.md §3, vectorised over arrays, and a plain per-pair verdict.

``eligible_mask`` broadcasts: pass a one-row ``SeekerArrays`` against many vacancies, a
one-row ``VacancyArrays`` against many seekers, or two aligned arrays of pairs.  ``verdict``
is the reference implementation on plain records; a property test holds the two equal.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.matching.arrays import NO_DATE, SeekerArrays, VacancyArrays, pair_count
from service.matching.dimensions import (
    BRIDGES,
    DIMENSIONS,
    MAX_BRIDGE_PER_DIMENSION,
    PREMISES_ACCOMMODATIONS,
)
from service.matching.encoding import GROUP_BIT, PREMISES_MASK, REMOTE, city_of
from service.matching.location import EARTH_RADIUS_KM
from service.profile import years_before

GRADUATE_BIT = GROUP_BIT["graduate"]


@dataclass(frozen=True)
class Day:
    """The day a query runs on, as ordinals (working age and graduate window move daily)."""

    today: int
    graduate_since: int

    @classmethod
    def of(cls, day: dt.date, graduate_window_years: int) -> Day:
        return cls(day.toordinal(), years_before(day, graduate_window_years).toordinal())


def seeker_groups(seekers: SeekerArrays, day: Day) -> np.ndarray:
    recent = (seekers.graduated != NO_DATE) & (seekers.graduated >= day.graduate_since)
    return seekers.groups | np.where(recent, GRADUATE_BIT, 0).astype(np.int16)


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def seeker_available(s: SeekerArrays, day: Day) -> np.ndarray:
    """Constraint 2: seeking, consented, of working age."""
    return s.seeking & s.consented & (s.adult_from <= day.today) & (day.today < s.retire_on)


def eligible_mask(s: SeekerArrays, v: VacancyArrays, day: Day) -> np.ndarray:
    k = pair_count(s, v)
    remote = v.mode == REMOTE
    required = np.where(remote, s.required & ~PREMISES_MASK, s.required)
    cheap = (
        v.open_
        & (v.closes >= day.today)
        & seeker_available(s, day)
        & ((required & ~v.offered) == 0)
        & (((s.modes.astype(np.int16) >> v.mode) & 1) == 1)
        & (((s.etypes.astype(np.int16) >> v.etype) & 1) == 1)
        & (~v.restricted | ((v.groups & seeker_groups(s, day)) != 0))
    )
    mask = np.array(np.broadcast_to(cheap, (k,)))
    # The costlier checks (13 dimensions, great-circle distance) run only where the cheap
    # ones passed.
    idx = np.flatnonzero(mask)

    def at(a: np.ndarray) -> np.ndarray:
        return a[idx] if a.shape[0] == k else a

    ability_ok = np.all(at(s.abilities).astype(np.int16) + at(v.bridge) >= at(v.demands), axis=1)
    s_lat, v_lat = at(s.lat), at(v.lat)
    located = ~(np.isnan(s_lat) | np.isnan(v_lat))
    with np.errstate(invalid="ignore"):
        km = haversine_km(s_lat, at(s.lon), v_lat, at(v.lon))
    near = np.where(located, km <= at(s.max_km), at(s.city) == at(v.city))
    mask[idx] = ability_ok & (at(remote) | near)
    return mask


# --- the plain reference: one pair, every reason, in words --------------------------

MESSAGES: dict[str, tuple[str, str]] = {
    "closed": (
        "岗位已关闭、已过截止日期或已招满",
        "the vacancy is closed, past its closing date or filled",
    ),
    "not_seeking": ("求职者当前未在求职", "the seeker is not currently seeking work"),
    "no_consent": (
        "求职者未同意处理敏感个人信息",
        "the seeker has not consented to the processing of sensitive data",
    ),
    "not_working_age": ("求职者不在就业年龄段", "the seeker is not of working age"),
    "ability_gap": (
        "岗位要求超出求职者能力（含便利措施）",
        "the job demands more than the seeker's capacity, even with the accommodations offered",
    ),
    "accommodation_missing": (
        "岗位未提供求职者必需的便利措施",
        "the job does not offer an accommodation the seeker requires",
    ),
    "work_mode": ("工作方式不在求职者意向内", "the work mode is not one the seeker accepts"),
    "employment_type": (
        "用工形式不在求职者意向内",
        "the employment type is not one the seeker accepts",
    ),
    "distance": (
        "通勤距离超出求职者可接受范围",
        "the workplace is beyond the seeker's commuting range",
    ),
    "group_restricted": (
        "岗位限定特定群体，求职者不属于其中",
        "the vacancy is reserved for groups the seeker does not belong to",
    ),
}


@dataclass(frozen=True)
class Blocking:
    code: str
    message: str
    message_en: str
    dimension: str | None = None
    demand: int | None = None
    capacity: int | None = None
    bridge: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _block(code: str, **extra: Any) -> Blocking:
    zh, en = MESSAGES[code]
    return Blocking(code=code, message=zh, message_en=en, **extra)


def bridge_of(offered: set[str], dimension: str) -> int:
    return min(MAX_BRIDGE_PER_DIMENSION, sum(BRIDGES[a].get(dimension, 0) for a in offered))


def offered_accommodations(vacancy: dict[str, Any]) -> set[str]:
    offered = set(vacancy["accommodations"])
    if vacancy["work_mode"] != "remote":
        offered |= set(vacancy.get("premises", []))
    return offered


def seeker_group_names(
    seeker: dict[str, Any], day: dt.date, graduate_window_years: int
) -> set[str]:
    groups = set(seeker["groups"])
    graduated = seeker["degree_graduation"]
    if graduated and graduated >= years_before(day, graduate_window_years):
        groups.add("graduate")
    return groups


def verdict(
    seeker: dict[str, Any], vacancy: dict[str, Any], day: dt.date, graduate_window_years: int = 2
) -> list[Blocking]:
    """Every constraint the pair fails (empty = eligible), checked one by one."""
    blocks: list[Blocking] = []
    closes = vacancy["closes_on"]
    if not vacancy["open"] or (closes is not None and closes < day):
        blocks.append(_block("closed"))
    if not seeker["seeking"]:
        blocks.append(_block("not_seeking"))
    if not seeker["consented"]:
        blocks.append(_block("no_consent"))
    if not seeker["adult_from"] <= day < seeker["retire_on"]:
        blocks.append(_block("not_working_age"))
    offered = offered_accommodations(vacancy)
    for dim in DIMENSIONS:
        demand, capacity = vacancy["demands"].get(dim, 0), seeker["abilities"][dim]
        bridge = bridge_of(offered, dim)
        if capacity + bridge < demand:
            blocks.append(
                _block(
                    "ability_gap", dimension=dim, demand=demand, capacity=capacity, bridge=bridge
                )
            )
    remote = vacancy["work_mode"] == "remote"
    for need in sorted(seeker["required"]):
        if remote and need in PREMISES_ACCOMMODATIONS:
            continue
        if need not in offered:
            blocks.append(_block("accommodation_missing", details={"accommodation": need}))
    if vacancy["work_mode"] not in seeker["work_modes"]:
        blocks.append(_block("work_mode"))
    if vacancy["employment_type"] not in seeker["employment_types"]:
        blocks.append(_block("employment_type"))
    if not remote:
        blocks.extend(_distance_block(seeker, vacancy))
    groups = seeker_group_names(seeker, day, graduate_window_years)
    if vacancy.get("restricted") and not groups & set(vacancy["priority_groups"]):
        blocks.append(_block("group_restricted"))
    return blocks


def _distance_block(seeker: dict[str, Any], vacancy: dict[str, Any]) -> list[Blocking]:
    if None not in (seeker["lat"], seeker["lon"], vacancy["lat"], vacancy["lon"]):
        km = float(haversine_km(seeker["lat"], seeker["lon"], vacancy["lat"], vacancy["lon"]))
        if math.isnan(km) or km > seeker["max_commute_km"]:
            return [
                _block("distance", details={"km": round(km, 1), "max_km": seeker["max_commute_km"]})
            ]
        return []
    if city_of(seeker["district_code"]) != city_of(vacancy["district_code"]):
        return [_block("distance", details={"same_city": False})]
    return []


def availability_blocks(s: SeekerArrays, day: Day) -> list[Blocking]:
    """Why one seeker (a one-row array) can match nothing at all."""
    blocks = []
    if not s.seeking[0]:
        blocks.append(_block("not_seeking"))
    if not s.consented[0]:
        blocks.append(_block("no_consent"))
    if not s.adult_from[0] <= day.today < s.retire_on[0]:
        blocks.append(_block("not_working_age"))
    return blocks


def closed_blocks(v: VacancyArrays, day: Day) -> list[Blocking]:
    """Why one vacancy (a one-row array) can match no one."""
    if not v.open_[0] or v.closes[0] < day.today:
        return [_block("closed")]
    return []
