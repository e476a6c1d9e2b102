"""Employer registry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.access import Action, Principal
from service.errors import Conflict, NotFound, field_error, raise_if_errors
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem
from service.models.employer import EmployerCreate, EmployerPublic, EmployerUpdate
from service.models.enums import SCHOOL_KINDS
from service.models.identifiers import validate_credit_code
from service.models.tables import Employer
from service.repositories import changes, declarations
from service.repositories import employers as repo
from service.repositories.pagination import PageParams
from service.rules import today_in_china
from service.services import guard

FIGURES = (
    "staff_count",
    "disabled_staff",
    "severe_disabled_staff",
    "average_annual_wage",
    "established_posts",
)
FROM_EMPLOYER_RECORD = "employer_record"  # declared_by of a declaration made by POST/PATCH


def figure_problems(values: dict[str, Any]) -> list[FieldProblem]:
    """The staff figures' own consistency (an employer's, or one year's declaration)."""
    problems = []
    if values["disabled_staff"] > values["staff_count"]:
        problems.append(
            field_error(
                "disabled_staff", "exceeds_staff", "disabled_staff cannot exceed staff_count"
            )
        )
    if values["severe_disabled_staff"] > values["disabled_staff"]:
        problems.append(
            field_error(
                "severe_disabled_staff",
                "exceeds_disabled",
                "severe_disabled_staff is part of disabled_staff and cannot exceed it",
            )
        )
    return problems


def _check(employer: Employer) -> None:
    problems = figure_problems(employer.model_dump())
    if employer.school_stage is not None and employer.kind not in SCHOOL_KINDS:
        problems.append(
            field_error(
                "school_stage",
                "not_a_school_kind",
                f"a school stage is recorded only for {', '.join(sorted(SCHOOL_KINDS))}; "
                f"a {employer.kind} has none (send null)",
            )
        )
    raise_if_errors(problems)


def record_current(session: Session, employer: Employer) -> None:
    """The employer's own figures become (or replace) its declaration of this year, so
    that the yearly history accrues."""
    values = {name: getattr(employer, name) for name in FIGURES}
    try:
        declarations.upsert(
            session, employer.id, today_in_china().year, values, FROM_EMPLOYER_RECORD
        )
    except IntegrityError as exc:
        raise Conflict("this year's declaration was just made by another request") from exc


def apply_figures(session: Session, employer: Employer, values: dict[str, Any]) -> Employer:
    """This year's declaration's figures become the employer's own (a new version)."""
    for name in FIGURES:
        setattr(employer, name, values[name])
    employer.updated_at = utcnow()
    employer.version += 1
    _check(employer)
    return _save(session, employer)


def _check_unique(session: Session, employer: Employer) -> None:
    with session.no_autoflush:
        taken = repo.credit_code_taken(session, employer.credit_code, except_id=employer.id)
    if taken:
        raise Conflict(
            "an employer with this credit code is already registered",
            errors=[
                field_error("credit_code", "duplicate", "this credit code is already registered")
            ],
        )


def create(session: Session, owner_id: str, body: EmployerCreate) -> Employer:
    values = body.model_dump()
    credit = validate_credit_code(body.credit_code)
    now = utcnow()
    employer = Employer(
        id=new_id("emp"),
        owner_key_id=owner_id,
        created_at=now,
        updated_at=now,
        **{**values, "credit_code": credit.code},
        credit_code_warning=credit.warning,
    )
    _check(employer)
    _check_unique(session, employer)
    employer = _save(session, employer)
    record_current(session, employer)
    return employer


def _save(session: Session, employer: Employer) -> Employer:
    # Vacancies carry the employer's name, kind and premises into matching.
    changes.record(session, "employer", [employer.id])
    try:
        return repo.save(session, employer)
    except IntegrityError as exc:  # a concurrent request registered the same code
        raise Conflict("an employer with this credit code was just registered") from exc


def get(session: Session, employer_id: str) -> Employer:
    employer = repo.get(session, employer_id)
    if employer is None:
        raise NotFound(f"no employer {employer_id}")
    return employer


def get_for(session: Session, principal: Principal, employer_id: str, action: Action) -> Employer:
    """The employer, if the calling key may perform ``action`` on it (else 404 or 403)."""
    employer = get(session, employer_id)
    guard.check(
        principal,
        action,
        employer.owner_key_id,
        read=Action.read_employer,
        what="employer",
        ident=employer_id,
    )
    return employer


def update(session: Session, employer: Employer, body: EmployerUpdate) -> Employer:
    values = body.model_dump(exclude_unset=True)
    if not values:
        return employer
    for name, value in values.items():
        setattr(employer, name, value)
    if body.credit_code is not None:
        credit = validate_credit_code(body.credit_code)
        employer.credit_code, employer.credit_code_warning = credit.code, credit.warning
    employer.updated_at = utcnow()
    employer.version += 1
    _check(employer)
    _check_unique(session, employer)
    employer = _save(session, employer)
    if set(values) & set(FIGURES):
        record_current(session, employer)
    return employer


def delete(session: Session, employer: Employer) -> None:
    if repo.has_vacancies(session, employer.id):
        raise Conflict("the employer still has vacancies; delete or reassign them first")
    repo.delete(session, employer)


def page(
    session: Session, flt: repo.EmployerFilter, params: PageParams
) -> tuple[list[Employer], str | None]:
    return repo.page(session, flt, params)


def to_public(employer: Employer) -> EmployerPublic:
    return EmployerPublic.model_validate(
        {
            **employer.model_dump(),
            "created_at": as_utc(employer.created_at),
            "updated_at": as_utc(employer.updated_at),
        }
    )
