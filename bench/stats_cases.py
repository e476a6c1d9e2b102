"""What the statistics benchmark times: the product's own SQL (the repository functions of
service/repositories/stats_*.py, called as the services call them), raw SQL where no
product code exists yet (quota, vacancies, employers, a monthly series), and rewrites of
slow product queries, each checked to give the product's answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from bench.stats_world import END
from service.models.enums import PriorityGroup, Sex
from service.rules import CHINA_TZ, DomainRules

ON = END  # "now" of the data (the service's today is later: the current status applies)
PAST = dt.date(2025, 6, 30)  # a historical as-of date: status through valid_to
YEAR = END.year
RULES = DomainRules()
WORKING_BANDS = ("16-24", "25-34", "35-44", "45-54")
DCGS = ["district", "category", "grade", "status"]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # product-sql | raw | rewrite
    what: str
    run: Callable[[Session], Any]
    runs: int | None = None  # fewer runs for a case too slow for five
    same_as: str | None = None  # a rewrite: must give this case's rows


def before(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), CHINA_TZ)


def groups(on: dt.date) -> dict[str, Any]:
    from service.repositories.seekers import group_condition
    from service.services.seekers import group_rules

    rules = group_rules(RULES, on)
    return {g.value: group_condition(g, rules) for g in PriorityGroup}


def seeker_query(
    fields: list[str], on: dt.date, *, with_groups: bool = False, status_on: dt.date | None = None
) -> Any:
    from service.profile import age_band, age_band_cutoffs
    from service.repositories.stats_seekers import SeekerQuery

    return SeekerQuery(
        fields=fields,
        registered_before=before(on),
        status_on=status_on,
        age_cutoffs=age_band_cutoffs(on),
        youngest_band=age_band(0),
        groups=groups(on) if with_groups else {},
        registered_month=f"{on:%Y-%m}",
    )


def seekers(
    fields: list[str], on: dt.date, *, with_groups: bool = False, status_on: dt.date | None = None
) -> Callable[[Session], Any]:
    def run(session: Session) -> list[Any]:
        from service.repositories import stats_seekers as repo

        q = seeker_query(fields, on, with_groups=with_groups, status_on=status_on)
        return repo.seeker_counts(session, q) + repo.erased_counts(session, q)

    return run


def births(on: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    from service.profile import working_age_births

    return {s.value: working_age_births(s, on, RULES) for s in Sex}


def casework(name: str, **extra: Any) -> Callable[[Session], Any]:
    def run(session: Session) -> Any:
        from service.repositories import stats_casework as repo

        start, end = dt.date(YEAR, 1, 1), ON
        if name == "new_employment":
            return repo.new_employment(session, start=start, end=end, groups=groups(end))
        if name == "funnel":
            return repo.funnel(
                session,
                start=before(start - dt.timedelta(days=1)),
                end=before(end),
                groups=groups(end),
            )
        if name == "training":
            return repo.training(session, start=start, end=end, groups=groups(end))
        if name == "follow_up":
            placements, _visits = repo.placements_for_follow_up(
                session, started_from=dt.date(YEAR - 1, 1, 1), started_to=dt.date(YEAR, 12, 31)
            )
            return placements
        on = extra.get("status_on") or end
        common = {
            "registered_before": before(on),
            "registered_month": f"{on:%Y-%m}",
            "status_on": extra.get("status_on"),
            "births": births(on),
            "working_bands": WORKING_BANDS,
        }
        if name == "coverage":
            services = repo.service_flags(session, start=start, end=end)
            return repo.coverage(session, services=services, **common)
        return repo.rate_population(session, able_on=extra.get("able_on"), **common)

    return run


def literal(expr: Any) -> str:
    return str(expr.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def raw(sql: str | Callable[[], str], **params: Any) -> Callable[[Session], Any]:
    def run(session: Session) -> list[Any]:
        text = sql() if callable(sql) else sql
        return list(session.execute(sa.text(text), params).all())

    return run


def flags_sql(on: dt.date) -> str:
    return ", ".join(
        f"CASE WHEN {literal(c)} THEN 1 ELSE 0 END AS g_{g}" for g, c in groups(on).items()
    )


# The as-of status without the join of every entry valid that day: people whose entry
# of that day is still their newest (most of them) have the seeker row's status.
AS_OF_OVERRIDE = """
SELECT seeker.district_code AS district, seeker.category, CAST(seeker.grade AS VARCHAR) AS grade,
       COALESCE(c.status, seeker.status) AS status, count(*) AS n
FROM seeker LEFT JOIN seeker_status_change c
  ON c.seeker_id = seeker.id AND c.valid_to IS NOT NULL AND c.valid_to > :on AND c.date <= :on
WHERE seeker.created_at < :before GROUP BY 1, 2, 3, 4"""


def asof_override(session: Session, on: dt.date) -> list[Any]:
    from service.repositories import stats_seekers as repo

    live = raw(AS_OF_OVERRIDE, on=on, before=before(on))(session)
    return live + repo.erased_counts(session, seeker_query(DCGS, on, status_on=on))


def funnel_rewrite() -> str:
    """The product's funnel with joins for its three correlated subplans per referral:
    the hire, and one pass over the events for the interview; the same stages."""
    return f"""
SELECT seeker.district_code AS district, CASE
         WHEN p.referral_id IS NULL THEN CASE
           WHEN r.status IN ('interviewed', 'offered', 'hired') OR ev.referral_id IS NOT NULL
           THEN 'interviewed' ELSE 'referred' END
         WHEN p.end_date >= p.six_months_on OR (p.end_date IS NULL AND v.placement_id IS NOT NULL)
         THEN 'retained' ELSE 'hired' END AS stage, {flags_sql(ON)}, count(*) AS n
FROM referral r
JOIN seeker ON seeker.id = r.seeker_id
LEFT JOIN placement p ON p.referral_id = r.id
LEFT JOIN (SELECT DISTINCT placement_id FROM follow_up_visit v JOIN placement q
           ON q.id = v.placement_id WHERE v.still_employed AND v.date >= q.six_months_on) v
  ON v.placement_id = p.id
LEFT JOIN (SELECT DISTINCT referral_id FROM referral_event
           WHERE to_status IN ('interviewed', 'offered', 'hired') AND at >= :start) ev
  ON ev.referral_id = r.id
WHERE r.created_at >= :start AND r.created_at < :end
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"""


# Month-end counts by county and status over the three years in one pass: each entry
# adds one from the month it starts and takes one off from the month its successor does.
SERIES_DELTA = """
SELECT district_code, status, m, sum(sum(delta)) OVER (
         PARTITION BY district_code, status ORDER BY m) AS n
FROM (SELECT seeker.district_code, c.status, date_trunc('month', x.d)::date AS m, x.delta
      FROM seeker_status_change c JOIN seeker ON seeker.id = c.seeker_id
      CROSS JOIN LATERAL (VALUES (c.date, 1), (c.valid_to, -1)) AS x(d, delta)
      WHERE x.d IS NOT NULL) y
GROUP BY 1, 2, 3"""


def series_loop(session: Session) -> list[Any]:
    """The series as one as-of count per month end (12 of them: one year)."""
    out: list[Any] = []
    for month in range(1, 13):
        last = dt.date(YEAR - 1 + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        out += seekers(["district", "status"], last, status_on=last)(session)
    return out


QUOTA = """
SELECT e.district_code AS district, e.kind, count(*) AS employers, sum(d.staff_count) AS staff,
       sum(d.disabled_staff) AS disabled, sum(d.severe_disabled_staff) AS severe,
       count(*) FILTER (WHERE d.disabled_staff + d.severe_disabled_staff
                              < floor(d.staff_count * 0.015)) AS below
FROM staff_declaration d JOIN employer e ON e.id = d.employer_id
WHERE d.year = :year GROUP BY 1, 2"""
PERSISTENT = """
SELECT e.district_code AS district, e.kind, count(*) AS employers
FROM employer e JOIN (
  SELECT employer_id FROM staff_declaration
  WHERE year BETWEEN :first AND :last AND staff_count > 30
    AND disabled_staff + severe_disabled_staff < staff_count * 0.015
  GROUP BY employer_id HAVING count(*) = :last - :first + 1) x ON x.employer_id = e.id
GROUP BY 1, 2"""
LEAD_BY_EXAMPLE = """
SELECT e.district_code AS district, e.kind, count(*) AS owed,
       count(*) FILTER (WHERE d.disabled_staff = 0) AS none_employed
FROM employer e JOIN staff_declaration d ON d.employer_id = e.id AND d.year = :year
WHERE e.kind IN ('government_organ', 'public_institution')
  AND (e.school_stage IS NULL OR e.school_stage NOT IN ('kindergarten', 'primary', 'secondary'))
  AND coalesce(d.established_posts, e.established_posts)
      >= CASE e.kind WHEN 'government_organ' THEN 50 ELSE 67 END
GROUP BY 1, 2"""
VACANCIES = """
SELECT district_code AS district, status, count(*) AS vacancies, sum(openings) AS openings,
       sum(openings - openings_filled) AS unfilled
FROM vacancy GROUP BY 1, 2"""
EMPLOYERS = """
SELECT district_code AS district, kind, count(*) AS employers, sum(staff_count) AS staff
FROM employer GROUP BY 1, 2"""

CASES = [
    Case(
        "seekers_now",
        "product-sql",
        "seekers by county×category×grade×status, today",
        seekers(DCGS, ON),
    ),
    Case(
        "seekers_asof",
        "product-sql",
        f"the same as of {PAST} (valid_to join)",
        seekers(DCGS, PAST, status_on=PAST),
    ),
    Case(
        "seekers_asof_override",
        "rewrite",
        f"the same as of {PAST}, override join",
        lambda s: asof_override(s, PAST),
        same_as="seekers_asof",
    ),
    Case(
        "seekers_groups",
        "product-sql",
        "seekers by county × 6 priority-group flags",
        seekers(["district"], ON, with_groups=True),
    ),
    Case(
        "seekers_age_sex",
        "product-sql",
        f"county×age band×sex×status as of {PAST}",
        seekers(["district", "age_band", "sex", "status"], PAST, status_on=PAST),
    ),
    Case(
        "series_delta",
        "raw",
        "county×status at 36 month ends, one pass (deltas)",
        raw(SERIES_DELTA),
    ),
    Case(
        "series_loop",
        "product-sql",
        "county×status at 12 month ends, 12 as-of queries",
        series_loop,
        runs=2,
    ),
    Case(
        "new_employment",
        "product-sql",
        f"new jobs {YEAR} by county×form×month×groups",
        casework("new_employment"),
    ),
    Case(
        "funnel",
        "product-sql",
        f"referral funnel {YEAR} by county×stage×groups",
        casework("funnel"),
        runs=3,
    ),
    Case(
        "funnel_rewrite",
        "rewrite",
        "the funnel with joins instead of subplans",
        raw(funnel_rewrite, start=before(dt.date(YEAR - 1, 12, 31)), end=before(ON)),
        same_as="funnel",
    ),
    Case("training", "product-sql", f"training person-times {YEAR}", casework("training")),
    Case(
        "follow_up",
        "product-sql",
        "placements + visits for the follow-up table",
        casework("follow_up"),
    ),
    Case("four_ones", "product-sql", f"four-ones coverage {YEAR} by county", casework("coverage")),
    Case(
        "rate_certificate", "product-sql", "employment rate, certificate holders", casework("rate")
    ),
    Case(
        "rate_able",
        "product-sql",
        "employment rate, able to work (newest check)",
        casework("rate", able_on=ON),
    ),
    Case("quota", "raw", f"quota {YEAR} by county×kind", raw(QUOTA, year=YEAR)),
    Case(
        "quota_persistent",
        "raw",
        f"below quota {YEAR - 2}-{YEAR}",
        raw(PERSISTENT, first=YEAR - 2, last=YEAR),
    ),
    Case(
        "lead_by_example", "raw", f"organs and institutions {YEAR}", raw(LEAD_BY_EXAMPLE, year=YEAR)
    ),
    Case("vacancies", "raw", "vacancies by county×status", raw(VACANCIES)),
    Case("employers", "raw", "employers by county×kind", raw(EMPLOYERS)),
]


@dataclass(frozen=True)
class Candidate:
    name: str
    sql: str
    cases: tuple[str, ...]
    why: str


_SEEKER_ALL = (
    "seekers_now",
    "seekers_asof",
    "seekers_asof_override",
    "seekers_groups",
    "seekers_age_sex",
    "new_employment",
    "funnel",
    "funnel_rewrite",
    "four_ones",
    "rate_certificate",
    "rate_able",
    "series_delta",
)
CANDIDATES = [
    Candidate(
        "ix_seeker_created_at",
        "CREATE INDEX ix_seeker_created_at ON seeker (created_at) INCLUDE (id, "
        "district_code, category, grade, sex, hukou, birth_date, education, "
        "graduation_date, hard_to_employ, poverty_monitoring, status)",
        _SEEKER_ALL,
        "covering: every column a seeker statistic reads, ~1/5 of the heap",
    ),
    Candidate(
        "ix_seeker_status_change_date",
        "CREATE INDEX ix_seeker_status_change_date ON seeker_status_change (date, "
        "valid_to) INCLUDE (seeker_id, status)",
        ("seekers_asof", "seekers_age_sex", "series_delta", "series_loop"),
        "the entries valid on a date, without the heap",
    ),
    Candidate(
        "ix_seeker_status_change_valid_to",
        "CREATE INDEX ix_seeker_status_change_valid_to ON seeker_status_change "
        "(valid_to) INCLUDE (date, seeker_id, status) WHERE valid_to IS NOT NULL",
        ("seekers_asof_override",),
        "only the superseded entries (the override join)",
    ),
    Candidate(
        "ix_referral_created_at",
        "CREATE INDEX ix_referral_created_at ON referral (created_at)",
        ("funnel", "funnel_rewrite"),
        "referrals made in a period",
    ),
    Candidate(
        "ix_referral_event_referral_id_to_status",
        "CREATE INDEX ix_referral_event_referral_id_to_status ON referral_event "
        "(referral_id, to_status)",
        ("funnel", "funnel_rewrite"),
        "'reached an interview' from the index alone",
    ),
    Candidate(
        "ix_service_record_type_date",
        "CREATE INDEX ix_service_record_type_date ON service_record (type, date) "
        "INCLUDE (seeker_id)",
        ("training", "four_ones", "rate_able"),
        "services of a type in a period",
    ),
    Candidate(
        "ix_staff_declaration_year",
        "CREATE INDEX ix_staff_declaration_year ON staff_declaration (year)",
        ("quota", "quota_persistent", "lead_by_example"),
        "declarations of a year",
    ),
]
# Session settings the service could make for its statistics transactions.
SETTINGS = {
    "jit=off": ("SET jit = off",),
    "work_mem=64MB": ("SET work_mem = '64MB'",),
    "jit=off+work_mem=64MB": ("SET jit = off", "SET work_mem = '64MB'"),
}
