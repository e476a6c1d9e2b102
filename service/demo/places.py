"""Yangquan's five county-level divisions: codes, rough centres, towns.

Centres are approximate (the seat of each district or county) and the spread reflects
its size: the two urban districts are compact, the counties of Pingding and Yu are wide
and mountainous.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

CITY_CODE = "140300"  # 阳泉市 (city level, used in credit codes of city-level bodies)


@dataclass(frozen=True)
class District:
    code: str
    name: str
    lat: float
    lon: float
    spread: float  # standard deviation in degrees
    rural_share: float  # share of seekers with rural hukou
    towns: tuple[str, ...]
    # GB/T 2260 code of the same area before the 1983 reorganisation; stdnum checks an ID
    # number's division against its holder's birth year, so older holders need it.
    id_division_before_1983: str


DISTRICTS: dict[str, District] = {
    d.code: d
    for d in (
        District(
            "140302",
            "城区",
            37.857,
            113.583,
            0.012,
            0.08,
            ("上站街道", "下站街道", "北大街街道", "南山路街道", "义井街道", "桃北街道"),
            CITY_CODE,
        ),
        District(
            "140303",
            "矿区",
            37.870,
            113.553,
            0.012,
            0.10,
            ("平潭街街道", "桥头街道", "蔡洼街道", "沙坪街道", "赛鱼街道", "贵石沟街道"),
            CITY_CODE,
        ),
        District(
            "140311",
            "郊区",
            37.905,
            113.560,
            0.045,
            0.65,
            ("荫营镇", "河底镇", "义井镇", "平坦镇", "西南舁乡", "旧街乡", "李家庄乡"),
            CITY_CODE,
        ),
        District(
            "140321",
            "平定县",
            37.786,
            113.630,
            0.055,
            0.70,
            ("冠山镇", "冶西镇", "锁簧镇", "张庄镇", "东回镇", "柏井镇", "娘子关镇", "巨城镇"),
            "142425",
        ),
        District(
            "140322",
            "盂县",
            38.086,
            113.412,
            0.065,
            0.75,
            ("秀水镇", "孙家庄镇", "路家村镇", "南娄镇", "牛村镇", "苌池镇", "西烟镇", "上社镇"),
            "142426",
        ),
    )
}
DISTRICT_CODES: tuple[str, ...] = tuple(DISTRICTS)
# Where people live: the urban districts are the most populous.
DISTRICT_WEIGHTS: tuple[int, ...] = (30, 15, 20, 18, 17)


def point(rng: random.Random, code: str, *, scale: float = 1.0) -> tuple[float, float]:
    """A plausible spot in the district (clipped to 2.5 standard deviations)."""
    d = DISTRICTS[code]
    lat = d.lat + max(-2.5, min(2.5, rng.gauss(0, 1))) * d.spread * scale
    lon = d.lon + max(-2.5, min(2.5, rng.gauss(0, 1))) * d.spread * scale * 1.2
    return round(lat, 5), round(lon, 5)


def id_division(code: str, birth: dt.date) -> str:
    """The division code an ID number of someone from ``code`` born on ``birth`` carries."""
    return code if birth.year >= 1983 else DISTRICTS[code].id_division_before_1983
