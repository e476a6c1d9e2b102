"""Domain rules that change by province and year, kept in one replaceable table.

Every number the registry uses (working age, retirement reform, graduate window, quota
ratio, levy) lives here.  Operators may replace the whole table with a JSON file named by
``ACCESSMATCH_RULES_FILE``; the JSON has the shape of :class:`DomainRules`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

# Re-exported from the one clock, where the rules' callers have always found them.
from service.clock import CHINA_TZ as CHINA_TZ
from service.clock import today_in_china as today_in_china


class RetirementTrack(BaseModel):
    """Statutory retirement age under the 2025 gradual reform (NPCSC decision, 2024-09-13).

    People born before ``cohort_start`` retire at ``base_age``; from that month on, every
    ``step_months`` months of birth add one month, up to ``max_delay_months``.
    """

    base_age: int
    cohort_start: dt.date
    step_months: int = Field(gt=0)
    max_delay_months: int = Field(ge=0)

    def retirement_date(self, birth: dt.date) -> dt.date:
        cohort_index = (birth.year - self.cohort_start.year) * 12 + (
            birth.month - self.cohort_start.month
        )
        delay = (
            0
            if cohort_index < 0
            else min(self.max_delay_months, cohort_index // self.step_months + 1)
        )
        months = self.base_age * 12 + delay
        year = birth.year + (birth.month - 1 + months) // 12
        month = (birth.month - 1 + months) % 12 + 1
        day = min(birth.day, _days_in_month(year, month))
        return dt.date(year, month, day)


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


class LevyPhase(BaseModel):
    """Levy discounts in force up to ``until`` (inclusive); after the last phase, unknown."""

    until: dt.date
    small_enterprise_max_staff: int
    reduced_rate_min_ratio: float
    reduced_rate_share: float
    low_ratio_share: float


class ProvinceRules(BaseModel):
    name: str
    quota_ratio: float
    social_average_wage: float | None = None
    social_average_wage_year: int | None = None


class DomainRules(BaseModel):
    min_working_age: int = 16
    retirement: dict[Literal["male", "female"], RetirementTrack] = {
        "male": RetirementTrack(
            base_age=60, cohort_start=dt.date(1965, 1, 1), step_months=4, max_delay_months=36
        ),
        # The 55→58 track (female cadres and staff) is the default: excluding a woman of
        # 52 from matching as "not of working age" is the worse error for this service.
        # Operators serving only the 50→55 track set base_age 50, cohort 1975-01,
        # step 2, max 60.
        "female": RetirementTrack(
            base_age=55, cohort_start=dt.date(1970, 1, 1), step_months=4, max_delay_months=36
        ),
    }
    graduate_window_years: int = 2
    graduate_min_education: str = "associate"
    severe_grades: list[int] = [1, 2]
    default_quota_ratio: float = 0.015
    provinces: dict[str, ProvinceRules] = {
        "14": ProvinceRules(name="山西省", quota_ratio=0.015),
        "42": ProvinceRules(name="湖北省", quota_ratio=0.015),
        "37": ProvinceRules(name="山东省", quota_ratio=0.015),
    }
    severe_counts_as: int = 2
    levy_phases: list[LevyPhase] = [
        LevyPhase(
            until=dt.date(2027, 12, 31),
            small_enterprise_max_staff=30,
            reduced_rate_min_ratio=0.01,
            reduced_rate_share=0.5,
            low_ratio_share=0.9,
        ),
    ]
    wage_cap_multiple: float = 2.0
    lead_by_example_min_posts: dict[str, int] = {"government_organ": 50, "public_institution": 67}
    concentrated_min_share: float = 0.25
    concentrated_min_people: int = 10
    concentrated_min_people_blind_massage: int = 5

    def province(self, district_code: str) -> ProvinceRules | None:
        return self.provinces.get(district_code[:2])

    def quota_ratio(self, district_code: str) -> float:
        province = self.province(district_code)
        return province.quota_ratio if province else self.default_quota_ratio

    def levy_phase(self, on: dt.date) -> LevyPhase | None:
        return next(
            (p for p in sorted(self.levy_phases, key=lambda p: p.until) if on <= p.until), None
        )


@lru_cache
def load_rules(path: Path | None = None) -> DomainRules:
    if path is None:
        return DomainRules()
    return DomainRules.model_validate_json(Path(path).read_text(encoding="utf-8"))
