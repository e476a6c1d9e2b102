"""Database tables.  Personal identifiers are stored only encrypted (``*_enc``) with a
keyed hash (``*_hash``) for uniqueness; see :mod:`service.models.crypto`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import json_column, time_column, utcnow


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_by: str | None = Field(default=None, max_length=40)
    # Records are owned by this identity: the key's own id, or the owner of the key it
    # replaced (a rotated partner key keeps the partner's records).
    owner_id: str = Field(max_length=40, index=True)
    # The jurisdiction a key's statistics are limited to (a district-code prefix), if any.
    district_code: str | None = Field(default=None, max_length=6)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    expires_at: dt.datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=time_column(nullable=True))


def _version() -> sa.Column[Any]:
    return sa.Column("version", sa.Integer, nullable=False, default=1)


def _optimistic(column: sa.Column[Any]) -> dict[str, Any]:
    """UPDATE and DELETE name the version they read (``WHERE version = …``): a write
    racing another fails (StaleDataError, answered 412) instead of overwriting it.  The
    services set the new version themselves."""
    return {"version_id_col": column, "version_id_generator": False}


(_EMPLOYER_VERSION, _VACANCY_VERSION, _SEEKER_VERSION, _REFERRAL_VERSION, _PLACEMENT_VERSION) = (
    _version() for _ in range(5)
)


class Employer(SQLModel, table=True):
    __tablename__ = "employer"
    __mapper_args__ = _optimistic(_EMPLOYER_VERSION)

    id: str = Field(primary_key=True, max_length=40)
    owner_key_id: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True)
    credit_code_warning: str | None = Field(default=None, max_length=60)
    kind: str = Field(max_length=40, index=True)
    district_code: str = Field(max_length=6, index=True)
    staff_count: int
    disabled_staff: int
    severe_disabled_staff: int
    average_annual_wage: float | None = None
    established_posts: int | None = None
    # Kindergartens, primary and secondary schools are exempt from the lead-by-example duty.
    school_stage: str | None = Field(default=None, max_length=20)
    accessibility: list[str] = Field(default_factory=list, sa_column=json_column())
    version: int = Field(default=1, sa_column=_EMPLOYER_VERSION)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class Vacancy(SQLModel, table=True):
    __tablename__ = "vacancy"
    __mapper_args__ = _optimistic(_VACANCY_VERSION)
    __table_args__ = (sa.UniqueConstraint("owner_key_id", "external_id"),)

    id: str = Field(primary_key=True, max_length=40)
    owner_key_id: str = Field(max_length=40)
    external_id: str | None = Field(default=None, max_length=100)
    employer_id: str = Field(foreign_key="employer.id", max_length=40, index=True)
    title: str = Field(max_length=200)
    description: str = ""
    occupation_code: str | None = Field(default=None, max_length=20)
    skills: list[str] = Field(default_factory=list, sa_column=json_column())
    demands: dict[str, int] = Field(default_factory=dict, sa_column=json_column())
    accommodations: list[str] = Field(default_factory=list, sa_column=json_column())
    work_mode: str = Field(max_length=20)
    employment_type: str = Field(max_length=20)
    district_code: str = Field(max_length=6, index=True)
    lat: float | None = None
    lon: float | None = None
    salary_min: int
    salary_max: int
    education_min: str = Field(max_length=30)
    openings: int
    # Placements made on this vacancy; when it reaches ``openings`` the vacancy is filled.
    openings_filled: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    targeted: bool = False
    priority_groups: list[str] = Field(default_factory=list, sa_column=json_column())
    public_welfare: bool = False
    restricted: bool = False
    closes_on: dt.date | None = None
    status: str = Field(default="open", max_length=20, index=True)
    version: int = Field(default=1, sa_column=_VACANCY_VERSION)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class Seeker(SQLModel, table=True):
    __tablename__ = "seeker"
    __mapper_args__ = _optimistic(_SEEKER_VERSION)
    __table_args__ = (sa.UniqueConstraint("owner_key_id", "external_id"),)

    id: str = Field(primary_key=True, max_length=40)
    owner_key_id: str = Field(max_length=40, index=True)
    external_id: str | None = Field(default=None, max_length=100)
    name_enc: str
    id_number_enc: str
    id_number_hash: str = Field(max_length=64, unique=True)
    certificate_enc: str
    phone_enc: str | None = None
    birth_date: dt.date
    sex: str = Field(max_length=10)
    category: str = Field(max_length=20, index=True)
    grade: int
    hukou: str = Field(max_length=10)
    district_code: str = Field(max_length=6, index=True)
    lat: float | None = None
    lon: float | None = None
    education: str = Field(max_length=30)
    graduation_date: dt.date | None = None
    skills: list[str] = Field(default_factory=list, sa_column=json_column())
    experience_years: float | None = None
    abilities_assessed: dict[str, int] = Field(default_factory=dict, sa_column=json_column())
    assessed_on: dt.date | None = None
    assessor: str | None = Field(default=None, max_length=100)
    required_accommodations: list[str] = Field(default_factory=list, sa_column=json_column())
    preferences: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    hard_to_employ: bool = False
    poverty_monitoring: bool = False
    consent_sensitive_data: bool
    consent_share_with_employers: bool
    consent_recorded_at: dt.datetime = Field(sa_column=time_column())
    consent_recorded_by: str = Field(max_length=40)
    status: str = Field(default="seeking", max_length=20, index=True)
    version: int = Field(default=1, sa_column=_SEEKER_VERSION)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class ChangeLog(SQLModel, table=True):
    """One row per write that matching cares about; the index polls the newest id."""

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)
    entity_id: str = Field(max_length=40)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class IdempotencyRecord(SQLModel, table=True):
    """A POST made with an Idempotency-Key: its fingerprint and, once done, its response."""

    __tablename__ = "idempotency_record"

    owner: str = Field(primary_key=True, max_length=64)  # hash of the calling API key
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status: int | None = None  # None while the first request is in flight
    # While in flight: who runs it (one token per attempt) and until when; the running
    # process renews the lease, so a claim whose lease ran out was left by a dead process.
    claimant: str | None = Field(default=None, max_length=32)
    lease_expires_at: dt.datetime = Field(sa_column=time_column())
    body: str | None = None
    headers: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    # The created resource (the Location path), so erasing it also drops the kept copy.
    resource: str | None = Field(default=None, max_length=200, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    expires_at: dt.datetime = Field(sa_column=time_column(index=True))


class ConsentRecord(SQLModel, table=True):
    """Every consent given or changed: what, when, and by which key (PIPL Art. 29)."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    seeker_id: str = Field(foreign_key="seeker.id", max_length=40, index=True)
    sensitive_data: bool
    share_with_employers: bool
    recorded_at: dt.datetime = Field(sa_column=time_column())
    recorded_by: str = Field(max_length=40)


class AuditEvent(SQLModel, table=True):
    """Append-only (database triggers refuse UPDATE and DELETE).  Holds ids, never
    personal data: the seekers concerned are in ``audit_subject``."""

    __tablename__ = "audit_event"

    id: str = Field(primary_key=True, max_length=40)  # time-sortable
    at: dt.datetime = Field(sa_column=time_column(index=True))
    key_id: str = Field(max_length=40, index=True)
    role: str = Field(max_length=20)
    action: str = Field(max_length=40)
    resource_type: str = Field(max_length=20)
    resource_id: str | None = Field(default=None, max_length=40)
    outcome: str = Field(max_length=10)
    request_id: str | None = Field(default=None, max_length=64)
    fields: list[str] = Field(default_factory=list, sa_column=json_column())
    subject_count: int = 0


class AuditSubject(SQLModel, table=True):
    """A seeker concerned by an audit event (one row per seeker shown in a list)."""

    __tablename__ = "audit_subject"

    event_id: str = Field(foreign_key="audit_event.id", primary_key=True, max_length=40)
    seeker_id: str = Field(primary_key=True, max_length=40, index=True)


# The id prefix of an erased person's remainder; casework pointing at one is read-only.
ERASED_PREFIX = "era_"


def is_erased(seeker_id: str) -> bool:
    return seeker_id.startswith(ERASED_PREFIX)


class ErasedSeeker(SQLModel, table=True):
    """What statistics keep of an erased seeker: coarse and unlinkable (a random id, no
    identifier, no name, months instead of dates, the county not the place)."""

    __tablename__ = "erased_seeker"

    id: str = Field(primary_key=True, max_length=40)
    erased_month: str = Field(max_length=7)  # YYYY-MM
    registered_month: str = Field(max_length=7)
    registered_by_role: str = Field(max_length=20)
    district_code: str = Field(max_length=6, index=True)
    category: str = Field(max_length=20)
    grade: int
    sex: str = Field(max_length=10)
    age_band: str = Field(max_length=10)
    hukou: str = Field(max_length=10)
    education: str = Field(max_length=30)
    status: str = Field(max_length=20)
    priority_groups: list[str] = Field(default_factory=list, sa_column=json_column())


# -- casework ---------------------------------------------------------------------------
# ``seeker_id`` has no foreign key: when a person is erased, their casework stays for
# statistics, re-pointed to the anonymous ``erased_seeker`` row (see seeker_privacy).


class ServiceRecord(SQLModel, table=True):
    """One dated service: a "four ones" record or a training course."""

    __tablename__ = "service_record"
    __table_args__ = (sa.Index("ix_service_record_seeker_date", "seeker_id", "date"),)

    id: str = Field(primary_key=True, max_length=40)
    seeker_id: str = Field(max_length=40)
    type: str = Field(max_length=30, index=True)
    date: dt.date
    channel: str = Field(max_length=20)
    agency_district_code: str = Field(max_length=6, index=True)
    result: str = Field(max_length=20)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    note_enc: str | None = None  # the counselor's free text, encrypted like a name
    recorded_by: str = Field(max_length=40)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class SeekerStatusChange(SQLModel, table=True):
    """The seeker's status history; the newest row (by date, then id) is the status."""

    __tablename__ = "seeker_status_change"
    __table_args__ = (sa.Index("ix_seeker_status_change_seeker", "seeker_id", "date", "id"),)

    id: str = Field(primary_key=True, max_length=40)  # time-sortable
    seeker_id: str = Field(max_length=40)
    status: str = Field(max_length=20)
    date: dt.date
    cause: str = Field(max_length=30)
    placement_id: str | None = Field(default=None, max_length=40)
    # The date of the next entry (None: this is the newest), kept by
    # repositories.status.add so that "status as of a date" is a range test in SQL.
    valid_to: dt.date | None = None
    recorded_by: str = Field(max_length=40)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


# The open statuses of service.services.referral_flow (a test keeps the two equal).
OPEN_REFERRAL_STATUSES = ("referred", "interview_scheduled", "interviewed", "offered")
OPEN_REFERRAL_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_REFERRAL_STATUSES))


class Referral(SQLModel, table=True):
    """A person put forward for a vacancy, with the ranking context of that moment."""

    __tablename__ = "referral"
    __mapper_args__ = _optimistic(_REFERRAL_VERSION)
    __table_args__ = (
        sa.Index("ix_referral_seeker_vacancy", "seeker_id", "vacancy_id"),
        # The registry's monitoring reads a model's referrals (migration 0007).
        sa.Index("ix_referral_model_version", "model_version", "created_at"),
        # One open referral per pair, even when two requests race (the service checks
        # first, for a clear answer; this index has the last word).
        sa.Index(
            "uq_referral_open_pair",
            "seeker_id",
            "vacancy_id",
            unique=True,
            sqlite_where=sa.text(OPEN_REFERRAL_SQL),
            postgresql_where=sa.text(OPEN_REFERRAL_SQL),
        ),
    )

    id: str = Field(primary_key=True, max_length=40)
    seeker_id: str = Field(max_length=40)
    vacancy_id: str = Field(max_length=40, index=True)
    employer_id: str = Field(max_length=40, index=True)
    vacancy_owner_key_id: str = Field(max_length=40, index=True)
    source: str = Field(max_length=20)
    status: str = Field(max_length=30, index=True)
    reason_code: str | None = Field(default=None, max_length=40)
    interview_at: dt.datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # Ranking context: what a retraining needs to correct for the bias of its own lists.
    model_version: str = Field(max_length=80)
    score: float | None = None
    probability: float | None = None
    rank: int | None = None
    shown: int | None = None
    eligible: bool = True
    # A counselor's override of blocking constraints: which ones, and why (encrypted).
    overridden: list[str] = Field(default_factory=list, sa_column=json_column())
    override_reason_enc: str | None = None
    created_by: str = Field(max_length=40)
    version: int = Field(default=1, sa_column=_REFERRAL_VERSION)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class ReferralEvent(SQLModel, table=True):
    """Every status a referral passed through, dated, and by which key."""

    __tablename__ = "referral_event"

    id: str = Field(primary_key=True, max_length=40)
    referral_id: str = Field(foreign_key="referral.id", max_length=40, index=True)
    from_status: str | None = Field(default=None, max_length=30)
    to_status: str = Field(max_length=30)
    reason_code: str | None = Field(default=None, max_length=40)
    at: dt.datetime = Field(sa_column=time_column())
    key_id: str = Field(max_length=40)
    role: str = Field(max_length=20)


class Placement(SQLModel, table=True):
    """A job start, and its end once it ends."""

    __tablename__ = "placement"
    __mapper_args__ = _optimistic(_PLACEMENT_VERSION)

    id: str = Field(primary_key=True, max_length=40)
    seeker_id: str = Field(max_length=40, index=True)
    employer_id: str = Field(max_length=40, index=True)
    vacancy_id: str | None = Field(default=None, max_length=40, index=True)
    referral_id: str | None = Field(default=None, max_length=40, unique=True)
    district_code: str = Field(max_length=6, index=True)  # the seeker's, at the start
    start_date: dt.date = Field(index=True)
    # start_date + 6 months (end-of-month clamped), stored so that SQL can filter by
    # six-month retention; written with start_date and nowhere else (services.placements).
    six_months_on: dt.date
    form: str = Field(max_length=30)
    counts_as_new: bool
    end_date: dt.date | None = None
    end_reason: str | None = Field(default=None, max_length=40)
    recorded_by: str = Field(max_length=40, index=True)
    version: int = Field(default=1, sa_column=_PLACEMENT_VERSION)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class FollowUpVisit(SQLModel, table=True):
    """A follow-up visit (跟踪回访) of a placement."""

    __tablename__ = "follow_up_visit"

    id: str = Field(primary_key=True, max_length=40)
    placement_id: str = Field(foreign_key="placement.id", max_length=40, index=True)
    date: dt.date
    method: str = Field(max_length=20)
    still_employed: bool
    reason_left: str | None = Field(default=None, max_length=40)
    support_needed: list[str] = Field(default_factory=list, sa_column=json_column())
    recorded_by: str = Field(max_length=40)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())


class CandidatePseudonym(SQLModel, table=True):
    """A pseudonym a partner was shown, so that it can refer that candidate back."""

    __tablename__ = "candidate_pseudonym"

    owner_id: str = Field(primary_key=True, max_length=40)
    pseudonym: str = Field(primary_key=True, max_length=40)
    seeker_id: str = Field(max_length=40, index=True)
    first_shown_at: dt.datetime = Field(sa_column=time_column())


# -- the model registry -----------------------------------------------------------------
# Every scorer a process may serve, with its bytes (so each process loads it from here)
# and the metrics it was promoted on; the active one is the newest activation.


class ModelVersion(SQLModel, table=True):
    """One registered scorer: the artifact itself, where it came from, how it measured."""

    __tablename__ = "model_version"

    version: str = Field(primary_key=True, max_length=40)  # audit resource ids are 40
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    source: str = Field(max_length=20)  # cold_start | outcomes
    # The training window: the outcomes a model learned from (none for a cold start).
    window_from: dt.date | None = None
    window_to: dt.date | None = None
    window_referrals: int = 0
    window_placements: int = 0
    window_outcomes: int = 0
    # Hold-out metrics, the comparison with the then-active model and the baselines, the
    # promotion gate (service.models.model_registry documents the fields).
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    # The two files of service.matching.scorer.save_bundle: scorer.skops and scorer.json.
    artifact: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    bundle_meta: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    sha256: str = Field(max_length=64)
    created_by: str | None = Field(default=None, max_length=40)


class ModelActivation(SQLModel, table=True):
    """A version made the active one.  Each activation names the one it supersedes
    (0 for the first), uniquely: of two activations racing from the same state, one
    fails, and two processes registering the initial model at once make one activation."""

    __tablename__ = "model_activation"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(foreign_key="model_version.version", max_length=40, index=True)
    supersedes: int = Field(unique=True)
    activated_at: dt.datetime = Field(default_factory=utcnow, sa_column=time_column())
    activated_by: str | None = Field(default=None, max_length=40)  # key id; None: start-up
    previous_version: str | None = Field(default=None, max_length=40)
    reason: str = Field(max_length=20)  # initial | promotion | rollback
    note: str | None = Field(default=None, max_length=500)


# Registered with the metadata here, so that importing the tables imports them all.
from service.models.tables_stats import (  # noqa: E402, F401
    PlanTarget,
    StaffDeclaration,
    StatsGeneration,
    StatsSummary,
)
