"""Fictional Chinese names and mobile numbers."""

from __future__ import annotations

import random

# Common surnames in Shanxi, roughly by frequency (the first ones more often).
SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "赵",
    "杨",
    "郭",
    "武",
    "贾",
    "高",
    "梁",
    "韩",
    "乔",
    "郝",
    "段",
    "白",
    "田",
    "秦",
    "温",
    "阎",
    "石",
    "任",
    "孟",
    "薛",
    "牛",
    "康",
    "冯",
    "史",
    "侯",
    "常",
    "吕",
    "霍",
    "程",
    "苏",
    "崔",
    "安",
)
_SURNAME_WEIGHTS = tuple(max(1, 12 - i // 3) for i in range(len(SURNAMES)))
MALE_CHARS = "伟强军磊勇杰涛斌刚鹏超明亮波辉宇浩俊峰志建国文平晋鑫旭东海龙晨阳博"
FEMALE_CHARS = "芳娟敏静丽艳燕霞秀玲丹萍红梅慧琳婷雪倩颖佳悦欣怡晶璐蓉莉娜洁瑶"
SHARED_CHARS = "晓小文嘉子雨思一春秋瑞宏"
# Mobile prefixes of the three carriers (1[3-9]x).
MOBILE_PREFIXES = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "177",
    "180",
    "181",
    "189",
    "199",
)


def person_name(rng: random.Random, male: bool) -> str:
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    own = MALE_CHARS if male else FEMALE_CHARS
    if rng.random() < 0.3:
        return surname + rng.choice(own)
    first = rng.choice(SHARED_CHARS + own) if rng.random() < 0.5 else rng.choice(own)
    second = rng.choice(own)
    while second == first:
        second = rng.choice(own)
    return surname + first + second


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
