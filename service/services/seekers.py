"""Seeker registry: validation beyond the schema, derived fields, encryption."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.access import Action
from service.context import Context
from service.errors import (
    ApiError,
    Conflict,
    NotFound,
    RateLimited,
    field_error,
    raise_if_errors,
)
from service.matching.dimensions import estimate_abilities
from service.models.abilities import FullProfile
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem, Location
from service.models.enums import (
    AuditAction,
    AuditOutcome,
    Category,
    Education,
    PriorityGroup,
    SeekerStatus,
    Sex,
    StatusCause,
)
from service.models.identifiers import (
    certificate_problem,
    id_facts,
    mask_certificate,
    mask_id_number,
)
from service.models.seeker import (
    Assessment,
    ConsentPublic,
    DisabilityPublic,
    Preferences,
    SeekerCreate,
    SeekerPublic,
    SeekerUpdate,
)
from service.models.tables import Seeker
from service.profile import (
    age_on,
    graduate_levels,
    is_working_age,
    priority_groups,
    years_before,
)
from service.ratelimit import Budget
from service.repositories import changes, consent
from service.repositories import seekers as repo
from service.repositories.pagination import PageParams
from service.rules import DomainRules, today_in_china
from service.services import guard, status
from service.services.audit import Audit

# Associated data bound into each ciphertext: a value cannot be moved to another column.
ID_CONTEXT = "id_number"
CERT_CONTEXT = "certificate"
NAME_CONTEXT = "name"
PHONE_CONTEXT = "phone"


def _check_consistency(seeker: Seeker, id_number: str, certificate: str) -> None:
    problems: list[FieldProblem] = []
    why = certificate_problem(certificate, id_number, Category(seeker.category), seeker.grade)
    if why:
        problems.append(field_error("disability.certificate_number", "certificate_mismatch", why))
    if seeker.graduation_date and seeker.graduation_date <= seeker.birth_date:
        problems.append(
            field_error(
                "graduation_date",
                "graduation_before_birth",
                "the graduation date lies before the birth date",
            )
        )
    raise_if_errors(problems)


def _probe_budget(ctx: Context, audit: Audit) -> Budget | None:
    """Keys that may read only their own seekers must not learn at will whether a person
    is registered by someone else: their 409s on ID numbers are rationed."""
    if audit.principal.owner_filter(Action.read_seeker) is None:
        return None
    return ctx.registration_probes


def _check_probe_budget(ctx: Context, audit: Audit) -> None:
    budget = _probe_budget(ctx, audit)
    retry = budget.exhausted(audit.principal.key_id) if budget else None
    if retry is not None:
        raise RateLimited(
            f"this key has met too many ID numbers that are already registered; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


def _check_unique(
    session: Session,
    ctx: Context,
    audit: Audit,
    seeker: Seeker,
    id_number: str,
    action: AuditAction,
) -> None:
    _check_probe_budget(ctx, audit)
    with session.no_autoflush:
        _check_unique_now(session, ctx, audit, seeker, id_number, action)


def _check_unique_now(
    session: Session,
    ctx: Context,
    audit: Audit,
    seeker: Seeker,
    id_number: str,
    action: AuditAction,
) -> None:
    hashes = ctx.cipher.lookup_hashes(id_number, ID_CONTEXT)
    holder = repo.id_hash_holder(session, hashes, except_id=seeker.id)
    if holder is not None:
        # The answer tells the caller that this ID number is registered: the attempt is
        # kept, so that probing shows in the holder's access log, and it is rationed.
        audit.refused(action, "seeker", holder, seekers=[holder], outcome=AuditOutcome.conflict)
        budget = _probe_budget(ctx, audit)
        if budget is not None:
            budget.spend(audit.principal.key_id)
        raise Conflict(
            "a seeker with this ID number is already registered",
            errors=[field_error("id_number", "duplicate", "this ID number is already registered")],
        )
    if seeker.external_id and repo.external_id_taken(
        session, seeker.owner_key_id, seeker.external_id, except_id=seeker.id
    ):
        raise Conflict(
            "this key already registered a seeker with this external_id",
            errors=[
                field_error("external_id", "duplicate", "external_id is already used by this key")
            ],
        )


def _apply_identity(seeker: Seeker, ctx: Context, id_number: str, certificate: str) -> None:
    facts = id_facts(id_number)
    seeker.birth_date = facts.birth_date
    seeker.sex = facts.sex.value
    seeker.id_number_enc = ctx.cipher.encrypt(id_number, ID_CONTEXT)
    seeker.id_number_hash = ctx.cipher.lookup_hash(id_number, ID_CONTEXT)
    seeker.certificate_enc = ctx.cipher.encrypt(certificate, CERT_CONTEXT)


def _apply_fields(seeker: Seeker, ctx: Context, values: dict[str, Any]) -> None:
    """Copy the plain (non-identity) fields of a create or patch body onto the row."""
    simple = (
        "external_id",
        "hukou",
        "district_code",
        "education",
        "graduation_date",
        "skills",
        "experience_years",
        "required_accommodations",
        "hard_to_employ",
        "poverty_monitoring",
    )
    for name in simple:
        if name in values:
            setattr(seeker, name, values[name])
    if "name" in values:
        seeker.name_enc = ctx.cipher.encrypt(values["name"], NAME_CONTEXT)
    if "phone" in values:
        phone = values["phone"]
        seeker.phone_enc = ctx.cipher.encrypt(phone, PHONE_CONTEXT) if phone else None
    if "location" in values:
        loc = values["location"]
        seeker.lat, seeker.lon = (loc["lat"], loc["lon"]) if loc else (None, None)
    if "abilities" in values:
        seeker.abilities_assessed = {
            k: v for k, v in (values["abilities"] or {}).items() if v is not None
        }
    if "assessment" in values:
        assessment = values["assessment"] or {}
        seeker.assessed_on = assessment.get("assessed_on")
        seeker.assessor = assessment.get("assessor")
    if "preferences" in values:
        seeker.preferences = Preferences.model_validate(values["preferences"]).model_dump(
            mode="json"
        )
    if "disability" in values:
        seeker.category = values["disability"]["category"]
        seeker.grade = values["disability"]["grade"]


def _set_consent(seeker: Seeker, given: dict[str, bool], key_id: str) -> None:
    seeker.consent_sensitive_data = given["sensitive_data"]
    seeker.consent_share_with_employers = given["share_with_employers"]
    seeker.consent_recorded_at = utcnow()
    seeker.consent_recorded_by = key_id


def _log_consent(session: Session, seeker: Seeker) -> None:
    """Append the seeker's current consent to its history (after the row is flushed)."""
    consent.add(
        session,
        seeker.id,
        sensitive_data=seeker.consent_sensitive_data,
        share_with_employers=seeker.consent_share_with_employers,
        at=seeker.consent_recorded_at,
        by=seeker.consent_recorded_by,
    )


def create(session: Session, ctx: Context, audit: Audit, body: SeekerCreate) -> Seeker:
    if not body.consent.sensitive_data:
        raise_if_errors(
            [
                field_error(
                    "consent.sensitive_data",
                    "consent_required",
                    "registration needs separate consent to process disability data (PIPL Art. 29)",
                )
            ]
        )
    values = body.model_dump()
    now = utcnow()
    seeker = Seeker(
        id=new_id("skr"),
        owner_key_id=audit.principal.owner_id,
        created_at=now,
        updated_at=now,
        status=SeekerStatus.seeking.value,
    )  # type: ignore[call-arg]
    _apply_fields(seeker, ctx, values)
    _apply_identity(seeker, ctx, body.id_number, body.disability.certificate_number)
    _set_consent(seeker, values["consent"], audit.principal.key_id)
    _check_consistency(seeker, body.id_number, body.disability.certificate_number)
    _check_unique(session, ctx, audit, seeker, body.id_number, AuditAction.seeker_create)
    seeker = _save(session, seeker)
    _log_consent(session, seeker)
    status.start(session, seeker, by=audit.principal.key_id)
    audit.record(AuditAction.seeker_create, "seeker", seeker.id, seekers=[seeker.id])
    return seeker


def _save(session: Session, seeker: Seeker) -> Seeker:
    changes.record(session, "seeker", [seeker.id])
    try:
        return repo.save(session, seeker)
    except IntegrityError as exc:  # a concurrent request registered the same person
        raise Conflict("a seeker with this ID number or external_id was just registered") from exc


def get(session: Session, seeker_id: str) -> Seeker:
    seeker = repo.get(session, seeker_id)
    if seeker is None:
        raise NotFound(f"no seeker {seeker_id}")
    return seeker


def get_for(
    session: Session, audit: Audit, seeker_id: str, action: Action, attempted: AuditAction
) -> Seeker:
    """The seeker, if the calling key may perform ``action`` on it (else 404 or 403; the
    refused attempt is audited as ``attempted``)."""
    seeker = get(session, seeker_id)
    check_owner(audit, seeker_id, seeker.owner_key_id, action, attempted)
    return seeker


def check_owner(
    audit: Audit, seeker_id: str, owner_key_id: str, action: Action, attempted: AuditAction
) -> None:
    try:
        guard.check(
            audit.principal,
            action,
            owner_key_id,
            read=Action.read_seeker,
            what="seeker",
            ident=seeker_id,
        )
    except ApiError:
        audit.refused(attempted, "seeker", seeker_id, seekers=[seeker_id])
        raise


def read(session: Session, audit: Audit, seeker_id: str) -> Seeker:
    seeker = get_for(session, audit, seeker_id, Action.read_seeker, AuditAction.seeker_read)
    audit.record(AuditAction.seeker_read, "seeker", seeker.id, seekers=[seeker.id])
    return seeker


def update(
    session: Session, ctx: Context, audit: Audit, seeker: Seeker, body: SeekerUpdate
) -> Seeker:
    values = body.model_dump(exclude_unset=True)
    if not values:  # nothing changes, but the answer shows the record
        audit.record(AuditAction.seeker_update, "seeker", seeker.id, seekers=[seeker.id])
        return seeker
    id_number = body.id_number or ctx.cipher.decrypt(seeker.id_number_enc, ID_CONTEXT)
    certificate = (
        body.disability.certificate_number
        if body.disability
        else ctx.cipher.decrypt(seeker.certificate_enc, CERT_CONTEXT)
    )
    _apply_fields(seeker, ctx, values)
    if body.id_number or body.disability:
        _apply_identity(seeker, ctx, id_number, certificate)
    if "consent" in values:
        _set_consent(seeker, values["consent"], audit.principal.key_id)
    seeker.updated_at = utcnow()
    seeker.version += 1
    _check_consistency(seeker, id_number, certificate)
    _check_unique(session, ctx, audit, seeker, id_number, AuditAction.seeker_update)
    seeker = _save(session, seeker)
    if "consent" in values:
        _log_consent(session, seeker)
    if "status" in values and values["status"] != seeker.status:
        status.change(
            session,
            seeker,
            SeekerStatus(values["status"]),
            on=today_in_china(),
            cause=StatusCause.record_update,
            by=audit.principal.key_id,
            field="status",
            bump=False,
        )
    audit.record(
        AuditAction.seeker_update, "seeker", seeker.id, seekers=[seeker.id], fields=list(values)
    )
    return seeker


def page(
    session: Session, ctx: Context, audit: Audit, flt: repo.SeekerFilter, params: PageParams
) -> tuple[list[Seeker], str | None]:
    """A page of the seekers the key may read (for partners and kiosks: their own)."""
    rules = group_rules(ctx.rules, today_in_china())
    flt = dataclasses.replace(flt, owner_key_id=audit.principal.owner_filter(Action.read_seeker))
    rows, cursor = repo.page(session, flt, params, rules)
    audit.record(AuditAction.seeker_list, "seeker", None, seekers=[s.id for s in rows])
    return rows, cursor


def group_rules(rules: DomainRules, day: dt.date) -> repo.GroupRules:
    """The priority groups on ``day``, as SQL needs them (the same rules as groups_of)."""
    return repo.GroupRules(
        graduated_since=years_before(day, rules.graduate_window_years),
        graduate_levels=graduate_levels(rules),
        severe_grades=rules.severe_grades,
    )


def groups_of(seeker: Seeker, ctx: Context) -> list[PriorityGroup]:
    return priority_groups(
        education=Education(seeker.education),
        graduation_date=seeker.graduation_date,
        hukou=seeker.hukou,
        hard_to_employ=seeker.hard_to_employ,
        poverty_monitoring=seeker.poverty_monitoring,
        category=Category(seeker.category),
        grade=seeker.grade,
        day=today_in_china(),
        rules=ctx.rules,
    )


def to_public(seeker: Seeker, ctx: Context) -> SeekerPublic:
    today = today_in_china()
    id_number = ctx.cipher.decrypt(seeker.id_number_enc, ID_CONTEXT)
    certificate = ctx.cipher.decrypt(seeker.certificate_enc, CERT_CONTEXT)
    phone = ctx.cipher.decrypt(seeker.phone_enc, PHONE_CONTEXT) if seeker.phone_enc else None
    abilities, estimated = estimate_abilities(
        seeker.category, seeker.grade, seeker.abilities_assessed
    )
    sex = Sex(seeker.sex)
    return SeekerPublic(
        id=seeker.id,
        external_id=seeker.external_id,
        name=ctx.cipher.decrypt(seeker.name_enc, NAME_CONTEXT),
        id_number_masked=mask_id_number(id_number),
        certificate_number_masked=mask_certificate(certificate),
        disability=DisabilityPublic(
            category=Category(seeker.category),
            grade=seeker.grade,
            certificate_number_masked=mask_certificate(certificate),
        ),
        birth_date=seeker.birth_date,
        sex=sex,
        age=age_on(seeker.birth_date, today),
        working_age=is_working_age(seeker.birth_date, sex, today, ctx.rules),
        hukou=seeker.hukou,
        district_code=seeker.district_code,  # type: ignore[arg-type]
        location=Location(lat=seeker.lat, lon=seeker.lon)
        if seeker.lat is not None and seeker.lon is not None
        else None,
        phone_masked=phone[:3] + "****" + phone[-4:] if phone else None,
        education=Education(seeker.education),
        graduation_date=seeker.graduation_date,
        skills=seeker.skills,
        experience_years=seeker.experience_years,
        abilities=FullProfile(**abilities),
        abilities_estimated=estimated,
        assessment=Assessment(assessed_on=seeker.assessed_on, assessor=seeker.assessor)
        if seeker.assessed_on
        else None,
        required_accommodations=seeker.required_accommodations,  # type: ignore[arg-type]
        preferences=Preferences.model_validate(seeker.preferences),
        hard_to_employ=seeker.hard_to_employ,
        poverty_monitoring=seeker.poverty_monitoring,
        priority_groups=groups_of(seeker, ctx),
        consent=ConsentPublic(
            sensitive_data=seeker.consent_sensitive_data,
            share_with_employers=seeker.consent_share_with_employers,
            recorded_at=as_utc(seeker.consent_recorded_at),
            recorded_by=seeker.consent_recorded_by,
        ),
        status=SeekerStatus(seeker.status),
        created_at=as_utc(seeker.created_at),
        updated_at=as_utc(seeker.updated_at),
    )
