"""Casework on one seeker: service records (the "four ones" and training) and the status
history.

An ability assessment or a needs registration is also the seeker's current assessment or
preferences (which matching uses) when it is the newest of its kind by date; an older
one recorded late stays history.  Nothing earlier is overwritten: every record stays.
"""

from __future__ import annotations

from sqlmodel import Session

from service.context import Context
from service.errors import NotFound, field_error, raise_if_errors
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem
from service.models.enums import AuditAction, SeekerStatus, ServiceType, StatusCause
from service.models.service_record import (
    DETAILS,
    AbilityAssessmentDetails,
    EmploymentServiceDetails,
    NeedsRegistrationDetails,
    ServiceRecordCreate,
    ServiceRecordPublic,
    StatusChangeCreate,
    StatusChangePublic,
    StatusHistory,
    TrainingDetails,
)
from service.models.tables import Seeker, SeekerStatusChange, ServiceRecord
from service.repositories import changes
from service.repositories import seekers as seeker_repo
from service.repositories import service_records as repo
from service.repositories import vacancies as vacancy_repo
from service.repositories.pagination import PageParams
from service.services import status
from service.services.audit import Audit

NOTE_CONTEXT = "service_note"  # associated data of the note's ciphertext
RECORD = "service_record"
STATUS = "status_change"


def _before_birth(field: str) -> FieldProblem:
    return field_error(field, "date_before_birth", "this date lies before the person's birth")


def _check(session: Session, seeker: Seeker, body: ServiceRecordCreate) -> None:
    problems = []
    if body.date < seeker.birth_date:
        problems.append(_before_birth("date"))
    details = body.details
    if isinstance(details, TrainingDetails) and details.start_date < seeker.birth_date:
        problems.append(_before_birth("details.start_date"))
    if (
        isinstance(details, EmploymentServiceDetails)
        and details.vacancy_id is not None
        and vacancy_repo.get(session, details.vacancy_id) is None
    ):
        problems.append(
            field_error("details.vacancy_id", "not_found", f"no vacancy {details.vacancy_id}")
        )
    raise_if_errors(problems)


def create(
    session: Session, ctx: Context, audit: Audit, seeker: Seeker, body: ServiceRecordCreate
) -> ServiceRecord:
    """Record a service given to the seeker (refused whole if any part is invalid)."""
    _check(session, seeker, body)
    record = ServiceRecord(
        id=new_id("svc"),
        seeker_id=seeker.id,
        type=body.type,
        date=body.date,
        channel=body.channel,
        agency_district_code=body.agency_district_code,
        result=body.result,
        details=body.details.model_dump(mode="json"),
        note_enc=ctx.cipher.encrypt(body.note, NOTE_CONTEXT) if body.note else None,
        recorded_by=audit.principal.key_id,
        created_at=utcnow(),
    )
    repo.add(session, record)
    audit.record(AuditAction.service_create, RECORD, record.id, seekers=[seeker.id])
    changed = _make_current(session, seeker, record, body)
    if changed:
        seeker.updated_at = utcnow()
        seeker.version += 1
        changes.record(session, "seeker", [seeker.id])  # matching uses what changed
        seeker_repo.save(session, seeker)
        audit.record(
            AuditAction.seeker_update, "seeker", seeker.id, seekers=[seeker.id], fields=changed
        )
    return record


def _make_current(
    session: Session, seeker: Seeker, record: ServiceRecord, body: ServiceRecordCreate
) -> list[str]:
    """Carry an assessment or needs registration onto the seeker if it is the newest of
    its kind; the seeker fields changed."""
    details = body.details
    if isinstance(details, AbilityAssessmentDetails):
        if seeker.assessed_on is not None and record.date < seeker.assessed_on:
            return []
        seeker.abilities_assessed = details.abilities.given()
        seeker.assessed_on = record.date
        seeker.assessor = details.assessor
        return ["abilities", "assessment"]
    if isinstance(details, NeedsRegistrationDetails):
        newest = repo.newest_date(session, seeker.id, record.type, except_id=record.id)
        if newest is not None and record.date < newest:
            return []
        seeker.preferences = details.preferences.model_dump(mode="json")
        return ["preferences"]
    return []


def read(session: Session, audit: Audit, seeker: Seeker, record_id: str) -> ServiceRecord:
    record = repo.get(session, record_id)
    if record is None or record.seeker_id != seeker.id:
        raise NotFound(f"no service record {record_id} for seeker {seeker.id}")
    audit.record(AuditAction.service_read, RECORD, record.id, seekers=[seeker.id])
    return record


def page(
    session: Session, audit: Audit, seeker: Seeker, flt: repo.ServiceFilter, params: PageParams
) -> tuple[list[ServiceRecord], str | None]:
    """The seeker's records, newest first (by date, then by the order recorded)."""
    problems = []
    if flt.since is not None and flt.until is not None and flt.until < flt.since:
        problems.append(field_error("until", "range_reversed", "until lies before since"))
    after = repo.get(session, params.after) if params.after is not None else None
    if params.after is not None and (after is None or after.seeker_id != seeker.id):
        problems.append(
            field_error("cursor", "cursor_invalid", "not a cursor of this seeker's service records")
        )
    raise_if_errors(problems)
    rows, cursor = repo.page(session, seeker.id, flt, params, after=after)
    audit.record(AuditAction.service_list, RECORD, None, seekers=[seeker.id])
    return rows, cursor


def to_public(record: ServiceRecord, ctx: Context) -> ServiceRecordPublic:
    kind = ServiceType(record.type)
    return ServiceRecordPublic(
        id=record.id,
        seeker_id=record.seeker_id,
        type=kind,
        date=record.date,
        channel=record.channel,  # type: ignore[arg-type]
        agency_district_code=record.agency_district_code,
        result=record.result,  # type: ignore[arg-type]
        note=ctx.cipher.decrypt(record.note_enc, NOTE_CONTEXT) if record.note_enc else None,
        details=DETAILS[kind].model_validate(record.details),  # type: ignore[arg-type]
        recorded_by=record.recorded_by,
        created_at=as_utc(record.created_at),
    )


# -- status history ---------------------------------------------------------------------


def change_status(
    session: Session, audit: Audit, seeker: Seeker, body: StatusChangeCreate
) -> SeekerStatusChange:
    """Append a dated status change; the current status is the newest entry's (a
    back-dated change is history and leaves it as it is)."""
    entry = status.change(
        session,
        seeker,
        SeekerStatus(body.status),
        on=body.date,
        cause=StatusCause(body.cause),
        by=audit.principal.key_id,
    )
    audit.record(AuditAction.status_change, STATUS, entry.id, seekers=[seeker.id])
    return entry


def status_history(session: Session, audit: Audit, seeker: Seeker) -> StatusHistory:
    audit.record(AuditAction.status_list, STATUS, None, seekers=[seeker.id])
    return history_of(session, seeker)


def history_of(session: Session, seeker: Seeker) -> StatusHistory:
    """Every entry, oldest first, and the current status (the newest entry's)."""
    return StatusHistory(
        seeker_id=seeker.id,
        current=SeekerStatus(seeker.status),
        items=[_status_public(e) for e in status.history(session, seeker.id)],
    )


def _status_public(entry: SeekerStatusChange) -> StatusChangePublic:
    return StatusChangePublic(
        id=entry.id,
        status=SeekerStatus(entry.status),
        date=entry.date,
        cause=StatusCause(entry.cause),
        placement_id=entry.placement_id,
        recorded_by=entry.recorded_by,
        created_at=as_utc(entry.created_at),
    )
