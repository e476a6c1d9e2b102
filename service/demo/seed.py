"""Load the Yangquan demo data set through the service layer, in one transaction.

Everything goes through ``service.services`` (validation, derived fields, encryption), as
the demo key that would register it in practice: employers and vacancies mostly by the
partner key, public bodies and sheltered workshops by the counselor key; seekers by the
counselor key and, for those registered at a recruitment fair, the kiosk key.  Then a
year of casework (service.demo.casework) by the counselor key, the employer's side of
referrals to the partner's vacancies by the partner key.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from service.access import Principal
from service.config import ConfigurationError, Settings
from service.context import Context
from service.db import make_engine
from service.demo.casework import seed_casework
from service.demo.desk import Desk
from service.demo.employers import EMPLOYERS, EmployerSpec
from service.demo.ids import KIND_PREFIX, credit_code
from service.demo.keys import DEMO_KEY_NAMES, DEMO_KEYS
from service.demo.people import SeekerPlan, seeker_plans
from service.demo.places import CITY_CODE, point
from service.demo.postings import postings
from service.matching.index import MatchIndex
from service.matching.location import location_key
from service.matching.policy import load_policy
from service.matching.scorer import load_bundle
from service.models.base import utcnow
from service.models.crypto import Cipher
from service.models.employer import EmployerCreate
from service.models.enums import Category, EmployerKind, PriorityGroup, Role, SchoolStage
from service.models.seeker import SeekerCreate
from service.models.tables import Employer, Seeker, Vacancy
from service.models.vacancy import VacancyCreate
from service.repositories import api_keys as key_repo
from service.rules import load_rules, today_in_china
from service.services import api_keys, employers, seekers, vacancies
from service.services.audit import Audit
from service.services.matching import Matcher

SEED = 20261123

__all__ = ["DEMO_KEYS", "SEED", "seed_demo"]


def _ensure_keys(session: Session) -> tuple[dict[str, str], int]:
    """Role -> key id of every demo key; and how many of them were created now."""
    ids: dict[str, str] = {}
    created = 0
    for role, raw in DEMO_KEYS.items():
        if key_repo.by_hash(session, api_keys.hash_key(raw)) is None:
            created += 1
        key = api_keys.ensure(session, raw, role=Role(role), name=DEMO_KEY_NAMES[role])
        ids[role] = key.id
    return ids, created


def _employer_codes(rng: random.Random) -> list[str]:
    codes: list[str] = []
    for spec in EMPLOYERS:
        prefix = spec.prefix or KIND_PREFIX[EmployerKind(spec.kind)]
        division = CITY_CODE if spec.city_level else spec.district
        while True:
            code = credit_code(
                rng, prefix, division, new_style=prefix in ("91", "92") and rng.random() < 0.6
            )
            if code not in codes:
                codes.append(code)
                break
    return codes


def _create_employers(
    session: Session, rng: random.Random, keys: dict[str, str], codes: list[str]
) -> list[tuple[EmployerSpec, str, tuple[float, float]]]:
    created = []
    for spec, code in zip(EMPLOYERS, codes, strict=True):
        body = EmployerCreate(
            name=spec.name,
            credit_code=code,
            kind=EmployerKind(spec.kind),
            district_code=spec.district,
            staff_count=spec.staff,
            disabled_staff=spec.disabled,
            severe_disabled_staff=spec.severe,
            average_annual_wage=spec.wage,
            established_posts=spec.posts,
            accessibility=list(spec.access),
            school_stage=SchoolStage(spec.stage) if spec.stage else None,
        )
        employer = employers.create(session, keys[spec.owner], body)
        if employer.credit_code_warning is not None:  # pragma: no cover - generator bug
            raise AssertionError(f"{spec.name}: {employer.credit_code_warning}")
        created.append((spec, employer.id, point(rng, spec.district, scale=0.5)))
    return created


def _audits(session: Session, keys: dict[str, str]) -> dict[str, Audit]:
    """Role -> the audit of its demo key: the log says which key did what."""
    return {
        role: Audit(
            session=session,
            principal=Principal(key_id, Role(role), DEMO_KEY_NAMES[role], owner_id=key_id),
        )
        for role, key_id in keys.items()
    }


def _create_seekers(
    session: Session, ctx: Context, audits: dict[str, Audit], plans: list[SeekerPlan]
) -> list[Seeker]:
    # Registered as the demo key that would register them.  Their status comes from the
    # casework: a job start, a job's end, a dated change when they leave the labour market.
    return [
        seekers.create(session, ctx, audits[plan.owner], SeekerCreate.model_validate(plan.body))
        for plan in plans
    ]


def _matcher(settings: Settings, ctx: Context, engine: Engine) -> Matcher:
    """The scorer and policy the service ranks with.  Its index is never built here:
    the seed ranks from its own arrays and every match referral names its rank."""
    scorer = load_bundle(settings.scorer_dir)
    index = MatchIndex(engine, scorer.encode_text, ctx.rules, location_key=location_key(ctx.cipher))
    return Matcher(
        index=index,
        scorer=scorer,
        policy=load_policy(settings.matching_policy_file),
        rules=ctx.rules,
    )


def _casework(
    session: Session,
    ctx: Context,
    audits: dict[str, Audit],
    *,
    matcher: Matcher,
    vacancy_rows: list[Vacancy],
    employer_rows: list[Employer],
    people: list[tuple[Seeker, SeekerPlan]],
    rng: random.Random,
    today: dt.date,
    started: dt.datetime,
) -> dict[str, Any]:
    by_id = {e.id: e for e in employer_rows}
    desk = Desk(
        session=session,
        ctx=ctx,
        rng=rng,
        today=today,
        started=started,
        counselor=audits["counselor"],
        partner=audits["partner"],
        matcher=matcher,
        vacancies={v.id: (v, by_id[v.employer_id]) for v in vacancy_rows},
        employers=employer_rows,
    )
    return seed_casework(desk, people)


def _summary(
    ctx: Context,
    created_keys: int,
    created_employers: list[Employer],
    vacancy_rows: list[Any],
    seeker_rows: list[Seeker],
    today: dt.date,
    casework: dict[str, Any],
) -> dict[str, Any]:
    groups: Counter[str] = Counter()
    for seeker in seeker_rows:
        groups.update(g.value for g in seekers.groups_of(seeker, ctx))
    by_category = Counter(s.category for s in seeker_rows)
    return {
        "skipped": False,
        "seeded_on": today.isoformat(),
        "random_seed": SEED,
        "created": {
            "api_keys": created_keys,
            "employers": len(created_employers),
            "vacancies": len(vacancy_rows),
            "seekers": len(seeker_rows),
        },
        "seekers_by_category": {c.value: by_category[c.value] for c in Category},
        "seekers_by_grade": {str(g): sum(s.grade == g for s in seeker_rows) for g in range(1, 5)},
        "seekers_by_priority_group": {g.value: groups[g.value] for g in PriorityGroup},
        "seekers_by_status": dict(sorted(Counter(s.status for s in seeker_rows).items())),
        "employers_by_kind": {
            k.value: sum(e.kind == k.value for e in created_employers) for k in EmployerKind
        },
        "vacancies_by_work_mode": dict(sorted(Counter(v.work_mode for v in vacancy_rows).items())),
        "vacancies_targeted": sum(v.targeted for v in vacancy_rows),
        "vacancies_public_welfare": sum(v.public_welfare for v in vacancy_rows),
        "casework": casework,
        "demo_keys": dict(DEMO_KEYS),
    }


def _skipped(reason: str, created_keys: int) -> dict[str, Any]:
    return {
        "skipped": True,
        "reason": reason,
        "created": {"api_keys": created_keys, "employers": 0, "vacancies": 0, "seekers": 0},
        "demo_keys": dict(DEMO_KEYS),
    }


def _seeding_as(owner_id: str) -> Principal:
    """The seed acts for a demo key with the admin's reach (it links its own records)."""
    return Principal(key_id=owner_id, role=Role.admin, name="demo-seed", owner_id=owner_id)


def seed_demo(settings: Settings, *, only_if_empty: bool) -> dict[str, Any]:
    """Load the demo data set; return a summary (counts, demo keys).

    ``only_if_empty``: when the database already holds any seeker, only make sure the
    demo keys exist.  Without it the data set is loaded unless it is already there (its
    employers' credit codes are taken), so a repeated call never half-loads it.
    Refuses outside demo mode: the demo keys' secrets are public.
    """
    if not settings.demo:
        raise ConfigurationError(
            "the demo data set has API keys with published secrets; "
            "load it only in demo mode (ACCESSMATCH_DEMO=true)"
        )
    ctx = Context(cipher=Cipher(settings.secret), rules=load_rules(settings.rules_file))
    today = today_in_china()
    started = utcnow()
    rng = random.Random(SEED)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            keys, created_keys = _ensure_keys(session)
            codes = _employer_codes(rng)
            if only_if_empty and session.exec(select(Seeker.id).limit(1)).first():
                summary = _skipped("the database already holds seekers", created_keys)
            elif session.exec(select(Employer.id).where(Employer.credit_code == codes[0])).first():
                summary = _skipped("the demo data set is already loaded", created_keys)
            else:
                emp = _create_employers(session, rng, keys, codes)
                vacancy_rows = [
                    vacancies.create(
                        session, _seeding_as(keys[p.owner]), VacancyCreate.model_validate(p.body)
                    )
                    for p in postings(rng, emp, today)
                ]
                audits = _audits(session, keys)
                plans = seeker_plans(rng, today)
                seeker_rows = _create_seekers(session, ctx, audits, plans)
                employer_rows = [employers.get(session, eid) for _, eid, _ in emp]
                matcher = _matcher(settings, ctx, engine)
                casework = _casework(
                    session,
                    ctx,
                    audits,
                    matcher=matcher,
                    vacancy_rows=vacancy_rows,
                    employer_rows=employer_rows,
                    people=list(zip(seeker_rows, plans, strict=True)),
                    rng=rng,
                    today=today,
                    started=started,
                )
                summary = _summary(
                    ctx, created_keys, employer_rows, vacancy_rows, seeker_rows, today, casework
                )
            session.commit()
    finally:
        engine.dispose()
    return summary
