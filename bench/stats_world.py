"""The population of the statistics benchmark: seekers and employers as numpy columns,
the vocabularies with their weights, and the dates (three years up to END)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from service.models.identifiers import district_name

END = dt.date(2026, 11, 30)
START = dt.date(2023, 12, 1)
YEARS = (2024, 2025, 2026)
# Prefectures of Shanxi (Taiyuan..Shuozhou, Yangquan among them), Hubei (Wuhan, Huangshi,
# ...) and Shandong: ~150 counties in force.
PREFECTURES = (
    "1401",
    "1402",
    "1403",
    "1404",
    "1405",
    "1406",
    "4201",
    "4202",
    "4203",
    "4205",
    "4206",
    "3701",
    "3702",
    "3703",
    "3704",
    "3705",
    "3706",
)
COUNTIES = tuple(
    f"{p}{n:02d}" for p in PREFECTURES for n in range(2, 100) if district_name(f"{p}{n:02d}")
)
CATEGORIES = (
    ("visual", 10),
    ("hearing", 14),
    ("speech", 2),
    ("physical", 46),
    ("intellectual", 10),
    ("mental", 10),
    ("multiple", 8),
)
GRADES = ((1, 10), (2, 20), (3, 30), (4, 40))
EDUCATION = (
    ("none", 8),
    ("primary", 18),
    ("junior_secondary", 35),
    ("senior_secondary", 14),
    ("vocational", 10),
    ("associate", 8),
    ("bachelor", 6),
    ("master", 0.8),
    ("doctorate", 0.2),
)
FORMS = (
    ("quota", 25),
    ("concentrated", 8),
    ("sheltered", 6),
    ("public_welfare", 10),
    ("self_employed", 10),
    ("flexible", 20),
    ("home_based", 6),
    ("rural_production", 8),
    ("blind_massage", 3),
    ("dispatch", 2),
    ("out_of_area", 2),
)
KINDS = (
    ("private", 58),
    ("soe", 8),
    ("government_organ", 6),
    ("public_institution", 12),
    ("individual_business", 8),
    ("platform", 1),
    ("sheltered_workshop", 2),
    ("concentrated_employer", 2),
    ("blind_massage", 2),
    ("social_organization", 1),
)
SCHOOL_STAGES = (
    ("kindergarten", 20),
    ("primary", 35),
    ("secondary", 25),
    ("vocational", 10),
    ("higher", 10),
)
KEYS = {
    "14": "key_counselor_shanxi_000000000",
    "42": "key_counselor_hubei_0000000000",
    "37": "key_counselor_shandong_0000000",
}
PARTNER_KEY = "key_partner_jobsite_0000000000"
ADMIN_KEY = "key_admin_bench_00000000000000"
# Ciphertext stand-ins of realistic length (v1.<key id>.<base64 of nonce+ciphertext>).
NAME_ENC = "v1.k0." + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlq" + "a2xt"
ID_ENC = "v1.k0." + "TU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3"
CERT_ENC = ID_ENC + "ODk="
PHONE_ENC = NAME_ENC[:-4] + "MDEy"
BASE_ORDINAL = dt.date(1930, 1, 1).toordinal()
_DAYS = [dt.date.fromordinal(BASE_ORDINAL + k).isoformat() for k in range(36_600)]


Row = tuple[object, ...]


@dataclass
class Table:
    """One table's rows for COPY, in the order of ``columns``."""

    name: str
    columns: tuple[str, ...]
    rows: Iterator[Row]


def day(ordinal: int) -> str:
    return _DAYS[ordinal - BASE_ORDINAL]


def stamp(ordinal: int, second: int) -> str:
    """A UTC timestamp on that day (``second`` of the day, wrapped)."""
    second %= 86_400
    return (
        f"{_DAYS[ordinal - BASE_ORDINAL]} {second // 3600:02d}:{second // 60 % 60:02d}:"
        f"{second % 60:02d}+00"
    )


def erased_id(n: int) -> str:
    """An erased remainder's id: random-looking, not time-ordered (as the service's)."""
    return f"era_{(n * 2_654_435_761) % 2**128:032x}"


def weights(pairs: tuple[tuple[object, float], ...]) -> np.ndarray:
    w = np.array([p[1] for p in pairs], dtype=float)
    return w / w.sum()


def county_weights(rng: np.random.Generator) -> np.ndarray:
    """Zipf-like: a few big cities' districts hold many people, rural counties few."""
    w = 1.0 / np.arange(1, len(COUNTIES) + 1) ** 0.7
    rng.shuffle(w)
    return w / w.sum()


class Seekers:
    """Registered people; index order is registration order."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n = n
        start, end = START.toordinal(), END.toordinal()
        # Registrations grow over the three years (more recent ones more frequent).
        self.reg_day = np.sort(start + ((end - start) * rng.random(n) ** 0.8).astype(np.int64))
        self.reg_second = rng.integers(0, 10 * 3600, n)  # 08:00-18:00 China = 00-10 UTC
        age = np.clip(rng.normal(40, 11, n), 16, 59).astype(np.int64)
        self.birth_day = self.reg_day - age * 365 - rng.integers(0, 365, n)
        self.sex = (rng.random(n) < 0.42).astype(np.int64)  # 1 = female
        self.category = rng.choice(len(CATEGORIES), n, p=weights(CATEGORIES))
        self.grade = rng.choice(4, n, p=weights(GRADES)) + 1
        self.hukou = (rng.random(n) < 0.55).astype(np.int64)  # 1 = rural
        self.county = rng.choice(len(COUNTIES), n, p=county_weights(rng))
        self.education = rng.choice(len(EDUCATION), n, p=weights(EDUCATION))
        graduated = (self.education >= 5) & (rng.random(n) < 0.7)
        young = age < 27
        self.grad_day = np.where(
            graduated,
            np.where(young, self.reg_day - rng.integers(0, 700, n), self.birth_day + 22 * 365),
            -1,
        )
        self.hard = rng.random(n) < 0.12
        self.poverty = rng.random(n) < 0.06
        self.share = rng.random(n) < 0.6
        self.partner = rng.random(n) < 0.1
        self.assessed = rng.random(n) < 0.3
        self.experience = np.round(rng.gamma(2.0, 3.0, n), 1)
        self.reg_status = np.array(["seeking", "employed", "inactive"])[
            rng.choice(3, n, p=[0.95, 0.03, 0.02])
        ].tolist()
        self.ids = [f"skr_{i:026d}" for i in range(n)]
        self._counties = [COUNTIES[c] for c in self.county.tolist()]
        self._owners = [
            PARTNER_KEY if p else KEYS[c[:2]]
            for p, c in zip(self.partner.tolist(), self._counties, strict=True)
        ]

    def county_of(self, i: int) -> str:
        return self._counties[i]

    def owner_of(self, i: int) -> str:
        return self._owners[i]

    def created(self, i: int) -> str:
        return stamp(int(self.reg_day[i]), int(self.reg_second[i]))

    def table(self, final_status: list[str], versions: np.ndarray) -> Table:
        cols = (
            "id",
            "owner_key_id",
            "external_id",
            "name_enc",
            "id_number_enc",
            "id_number_hash",
            "certificate_enc",
            "phone_enc",
            "birth_date",
            "sex",
            "category",
            "grade",
            "hukou",
            "district_code",
            "education",
            "graduation_date",
            "skills",
            "experience_years",
            "abilities_assessed",
            "assessed_on",
            "assessor",
            "required_accommodations",
            "preferences",
            "hard_to_employ",
            "poverty_monitoring",
            "consent_sensitive_data",
            "consent_share_with_employers",
            "consent_recorded_at",
            "consent_recorded_by",
            "status",
            "version",
            "created_at",
            "updated_at",
        )
        abilities = json.dumps({"vision": 3, "literacy": 2, "walking": 1})
        sexes, hukou = ("male", "female"), ("urban", "rural")

        def rows() -> Iterator[Row]:
            for i in range(self.n):
                created = self.created(i)
                assessed = bool(self.assessed[i])
                grad = int(self.grad_day[i])
                yield (
                    self.ids[i],
                    self._owners[i],
                    f"ext-{i:09d}" if self.partner[i] else None,
                    NAME_ENC,
                    ID_ENC,
                    f"{(i * 0x9E3779B97F4A7C15) % 2**256:064x}",
                    CERT_ENC,
                    PHONE_ENC if i % 3 else None,
                    day(int(self.birth_day[i])),
                    sexes[self.sex[i]],
                    CATEGORIES[self.category[i]][0],
                    int(self.grade[i]),
                    hukou[self.hukou[i]],
                    self._counties[i],
                    EDUCATION[self.education[i]][0],
                    day(grad) if grad > 0 else None,
                    '["电脑打字", "普通话"]' if i % 2 else "[]",
                    float(self.experience[i]) if i % 4 else None,
                    abilities if assessed else "{}",
                    day(int(self.reg_day[i])) if assessed else None,
                    "县残联评估员" if assessed else None,
                    "[]",
                    "{}",
                    bool(self.hard[i]),
                    bool(self.poverty[i]),
                    True,
                    bool(self.share[i]),
                    created,
                    self._owners[i],
                    final_status[i],
                    int(versions[i]),
                    created,
                    created,
                )

        return Table("seeker", cols, rows())

    def api_keys(self) -> Table:
        cols = (
            "id",
            "name",
            "role",
            "key_hash",
            "prefix",
            "owner_id",
            "district_code",
            "created_at",
        )
        keys = [(k, f"counselor {p}", "counselor", p) for p, k in KEYS.items()]
        keys += [
            (PARTNER_KEY, "job site", "partner", None),
            (ADMIN_KEY, "bench admin", "admin", None),
        ]
        rows = (
            (k, name, role, f"{n:064x}", "am_bench", k, district, "2023-11-01 00:00:00+00")
            for n, (k, name, role, district) in enumerate(keys)
        )
        return Table("api_key", cols, iter(rows))


class Employers:
    """Employers with their kind, size and staff; weight = how often they hire."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n = n
        self.kind = rng.choice(len(KINDS), n, p=weights(KINDS))
        self.county = rng.choice(len(COUNTIES), n, p=county_weights(rng))
        kinds = [KINDS[k][0] for k in self.kind.tolist()]
        small = np.isin(
            self.kind, [kinds_index("individual_business"), kinds_index("blind_massage")]
        )
        self.staff = np.maximum(
            1, np.where(small, rng.integers(1, 12, n), rng.lognormal(3.6, 1.2, n))
        ).astype(np.int64)
        share = np.where(
            np.isin(
                self.kind,
                [
                    kinds_index("sheltered_workshop"),
                    kinds_index("concentrated_employer"),
                    kinds_index("blind_massage"),
                ],
            ),
            rng.uniform(0.2, 0.6, n),
            rng.exponential(0.012, n),
        )
        self.disabled = np.minimum(self.staff, (self.staff * share).astype(np.int64))
        self.severe = (self.disabled * rng.uniform(0, 0.4, n)).astype(np.int64)
        self.wage = np.round(rng.normal(62_000, 15_000, n).clip(24_000, 200_000), -2)
        organ = np.isin(
            self.kind, [kinds_index("government_organ"), kinds_index("public_institution")]
        )
        self.posts = np.where(organ, (self.staff * rng.uniform(0.85, 1.1, n)).astype(np.int64), -1)
        school = (self.kind == kinds_index("public_institution")) & (rng.random(n) < 0.4)
        self.school = np.where(
            school, rng.choice(len(SCHOOL_STAGES), n, p=weights(SCHOOL_STAGES)), -1
        )
        self.created_day = rng.integers(dt.date(2015, 1, 1).toordinal(), END.toordinal() - 30, n)
        w = np.sqrt(self.staff.astype(float))
        self.weight = w / w.sum()
        self.ids = [f"emp_{i:026d}" for i in range(n)]
        self._kinds = kinds
        self._counties = [COUNTIES[c] for c in self.county.tolist()]
        self.rng = rng

    def county_of(self, i: int) -> str:
        return self._counties[i]

    def owner_of(self, i: int) -> str:
        return KEYS[self._counties[i][:2]]

    def table(self) -> Table:
        cols = (
            "id",
            "owner_key_id",
            "name",
            "credit_code",
            "kind",
            "district_code",
            "staff_count",
            "disabled_staff",
            "severe_disabled_staff",
            "average_annual_wage",
            "established_posts",
            "school_stage",
            "accessibility",
            "version",
            "created_at",
            "updated_at",
        )

        def rows() -> Iterator[Row]:
            for i in range(self.n):
                created = stamp(int(self.created_day[i]), 7200 + i % 20_000)
                posts, school = int(self.posts[i]), int(self.school[i])
                yield (
                    self.ids[i],
                    self.owner_of(i),
                    f"基准单位{i:06d}有限公司",
                    f"91{self._counties[i]}{i:010d}",
                    self._kinds[i],
                    self._counties[i],
                    int(self.staff[i]),
                    int(self.disabled[i]),
                    int(self.severe[i]),
                    float(self.wage[i]),
                    posts if posts >= 0 else None,
                    SCHOOL_STAGES[school][0] if school >= 0 else None,
                    '["step_free_access"]' if i % 3 == 0 else "[]",
                    1,
                    created,
                    created,
                )

        return Table("employer", cols, rows())

    def declarations(self) -> Table:
        """One row per employer and year it existed in: the head counts drift a little."""
        cols = (
            "employer_id",
            "year",
            "staff_count",
            "disabled_staff",
            "severe_disabled_staff",
            "average_annual_wage",
            "established_posts",
            "declared_by",
            "declared_at",
            "version",
        )
        drift = self.rng.normal(1.0, 0.05, (self.n, len(YEARS)))
        hires = self.rng.random((self.n, len(YEARS))) < 0.08

        def rows() -> Iterator[Row]:
            for i in range(self.n):
                for y, year in enumerate(YEARS):
                    if self.created_day[i] > dt.date(year, 12, 31).toordinal():
                        continue
                    back = len(YEARS) - 1 - y  # the last year is the employer's figures
                    staff = max(1, round(int(self.staff[i]) * drift[i, y] ** back))
                    disabled = min(staff, max(0, int(self.disabled[i]) - back * int(hires[i, y])))
                    posts = int(self.posts[i])
                    yield (
                        self.ids[i],
                        year,
                        staff,
                        disabled,
                        min(disabled, int(self.severe[i])),
                        float(self.wage[i]) - 1500 * back,
                        posts if posts >= 0 else None,
                        self.owner_of(i),
                        f"{year + 1 if year < END.year else year}-03-15 02:00:00+00",
                        1,
                    )

        return Table("staff_declaration", cols, rows())


def kinds_index(name: str) -> int:
    return next(n for n, (k, _) in enumerate(KINDS) if k == name)
