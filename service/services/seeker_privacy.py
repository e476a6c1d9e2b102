"""The person's rights over their record: erasure, export (access requests), and the
re-encryption of their identifiers when the secret rotates."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from service.access import Action
from service.context import Context
from service.db import checkpoint_wal, on_commit
from service.models.base import as_utc, utcnow
from service.models.enums import AuditAction, AuditOutcome, Role
from service.models.export import (
    AccessEntry,
    CaseworkHeld,
    ConsentEvent,
    IdentifiersHeld,
    SeekerExport,
)
from service.models.tables import ERASED_PREFIX, ErasedSeeker, Seeker
from service.profile import age_band, age_on
from service.repositories import api_keys as key_repo
from service.repositories import audit as audit_repo
from service.repositories import casework_remainder, changes, consent, idempotency
from service.repositories import placements as placement_repo
from service.repositories import referrals as referral_repo
from service.repositories import seekers as repo
from service.repositories import service_records as record_repo
from service.rules import today_in_china
from service.services import follow_ups
from service.services import placements as placement_service
from service.services import referrals as referral_service
from service.services import service_records as record_service
from service.services.audit import Audit
from service.services.seekers import (
    CERT_CONTEXT,
    ID_CONTEXT,
    NAME_CONTEXT,
    PHONE_CONTEXT,
    groups_of,
    to_public,
)

PURPOSES = [
    "matching with vacancies the person can do with the accommodations on offer "
    "(separate consent to process disability data, PIPL Art. 29)",
    "employment services by the disability federation's counsellors",
    "priority services for the groups policy names: graduates, rural residents, the hard "
    "to employ, households under poverty monitoring",
    "shown to employers' job sites as a pseudonymous candidate, only while "
    "consent.share_with_employers is true",
    "statistics: after erasure only an anonymised, unlinkable remainder is kept",
]


def _remainder(session: Session, ctx: Context, seeker: Seeker) -> ErasedSeeker:
    today = today_in_china()
    owner = key_repo.get(session, seeker.owner_key_id)
    # A random id, not a time-ordered one: it must not line up with the erasure's audit
    # entry (which holds the old id).
    return ErasedSeeker(
        id=f"{ERASED_PREFIX}{uuid.uuid4().hex}",
        erased_month=f"{today:%Y-%m}",
        registered_month=f"{as_utc(seeker.created_at):%Y-%m}",
        registered_by_role=owner.role if owner else "unknown",
        district_code=seeker.district_code,
        category=seeker.category,
        grade=seeker.grade,
        sex=seeker.sex,
        age_band=age_band(age_on(seeker.birth_date, today)),
        hukou=seeker.hukou,
        education=seeker.education,
        status=seeker.status,
        priority_groups=[g.value for g in groups_of(seeker, ctx)],
    )


def erase(session: Session, ctx: Context, audit: Audit, seeker: Seeker) -> None:
    """Remove the person: the row with every personal field and ciphertext, the consent
    history, the kept registration (key, request digest, response); keep only the
    anonymised remainder, and the person's casework re-pointed to it (no free text, no
    health detail, dates to the month).  The audit log keeps its entries (ids only), so
    that who saw the record stays answerable."""
    remainder = _remainder(session, ctx, seeker)
    repo.add_remainder(session, remainder)
    moved = casework_remainder.reassign(
        session, seeker.id, remainder.id, six_months=follow_ups.erased_six_months_on
    )
    for old_id in moved.referrals:  # kept answers of their POSTs hold the person's id
        idempotency.forget_resource(session, f"/v1/referrals/{old_id}")
    for old_id in moved.placements:
        idempotency.forget_resource(session, f"/v1/placements/{old_id}")
    consent.delete_for(session, seeker.id)
    changes.record(session, "seeker", [seeker.id])  # every index drops the person
    repo.delete(session, seeker)
    # After the row: a registration settling its kept answer meanwhile either sees the row
    # gone or has committed that answer before this delete finds it (IdempotencyMiddleware).
    idempotency.forget_resource(session, f"/v1/seekers/{seeker.id}")
    audit.record(AuditAction.seeker_erase, "seeker", seeker.id, seekers=[seeker.id])
    engine = session.get_bind()
    on_commit(session, lambda: checkpoint_wal(engine))


def export(session: Session, ctx: Context, audit: Audit, seeker: Seeker) -> SeekerExport:
    """Everything held about the person, for an access request (PIPL Art. 45)."""
    audit.record(AuditAction.seeker_export, "seeker", seeker.id, seekers=[seeker.id])
    audit.flush()  # the access log below lists this export too
    decrypt = ctx.cipher.decrypt
    # A partner or kiosk learns which roles saw the person, not other keys' ids.
    everyone = audit.principal.owner_filter(Action.export_seeker) is None
    me = audit.principal.key_id
    return SeekerExport(
        exported_at=utcnow(),
        registered_by=seeker.owner_key_id,
        version=seeker.version,
        record=to_public(seeker, ctx),
        identifiers=IdentifiersHeld(
            name=decrypt(seeker.name_enc, NAME_CONTEXT),
            id_number=decrypt(seeker.id_number_enc, ID_CONTEXT),
            certificate_number=decrypt(seeker.certificate_enc, CERT_CONTEXT),
            phone=decrypt(seeker.phone_enc, PHONE_CONTEXT) if seeker.phone_enc else None,
        ),
        abilities_assessed=dict(seeker.abilities_assessed),
        consent_history=[
            ConsentEvent(
                sensitive_data=c.sensitive_data,
                share_with_employers=c.share_with_employers,
                recorded_at=as_utc(c.recorded_at),
                recorded_by=c.recorded_by,
            )
            for c in consent.history(session, seeker.id)
        ],
        access_log=[
            AccessEntry(
                at=as_utc(e.at),
                action=AuditAction(e.action),
                key_id=e.key_id if everyone or e.key_id == me else None,
                role=Role(e.role),
                outcome=AuditOutcome(e.outcome),
            )
            for e in audit_repo.concerning(session, seeker.id)
        ],
        casework=_casework(session, ctx, audit, seeker),
        purposes=PURPOSES,
    )


def _casework(session: Session, ctx: Context, audit: Audit, seeker: Seeker) -> CaseworkHeld | None:
    if not audit.principal.may(Action.read_services, seeker.owner_key_id):
        return None
    placements = placement_repo.for_seeker(session, seeker.id)
    visits = placement_service.visits_by_placement(session, placements)
    return CaseworkHeld(
        services=[
            record_service.to_public(r, ctx) for r in record_repo.for_seeker(session, seeker.id)
        ],
        status_history=record_service.history_of(session, seeker),
        referrals=referral_service.views(
            session, ctx, audit.principal, referral_repo.for_seeker(session, seeker.id)
        ),
        placements=[placement_service.to_public(p, visits.get(p.id, [])) for p in placements],
    )


_ENCRYPTED = (
    ("name_enc", NAME_CONTEXT),
    ("id_number_enc", ID_CONTEXT),
    ("certificate_enc", CERT_CONTEXT),
    ("phone_enc", PHONE_CONTEXT),
)


def rotate_secrets(session: Session, ctx: Context) -> int:
    """Re-encrypt every seeker's identifiers with the current secret; return how many."""
    changed = 0
    for seeker in repo.all_seekers(session):
        stale = {
            column: context
            for column, context in _ENCRYPTED
            if getattr(seeker, column) and not ctx.cipher.is_current(getattr(seeker, column))
        }
        if not stale:
            continue
        for column, context in stale.items():
            plain = ctx.cipher.decrypt(getattr(seeker, column), context)
            setattr(seeker, column, ctx.cipher.encrypt(plain, context))
            if column == "id_number_enc":
                seeker.id_number_hash = ctx.cipher.lookup_hash(plain, ID_CONTEXT)
        repo.save(session, seeker)
        changed += 1
    return changed
