"""What ``GET /v1/seekers/{id}/export`` returns: everything held about one person."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from service.models.enums import AuditAction, AuditOutcome, Role
from service.models.placement import PlacementPublic
from service.models.referral import ReferralPublic
from service.models.seeker import SeekerPublic
from service.models.service_record import ServiceRecordPublic, StatusHistory


class IdentifiersHeld(BaseModel):
    """Stored encrypted; decrypted here for the person's access request only."""

    name: str
    id_number: str
    certificate_number: str
    phone: str | None


class ConsentEvent(BaseModel):
    sensitive_data: bool
    share_with_employers: bool
    recorded_at: dt.datetime
    recorded_by: str = Field(description="id of the API key that recorded it")


class AccessEntry(BaseModel):
    at: dt.datetime
    action: AuditAction
    key_id: str | None = Field(
        description="shown to counsellors; a partner or kiosk sees "
        "only its own key's id, and the role of others"
    )
    role: Role
    outcome: AuditOutcome


class CaseworkHeld(BaseModel):
    """The employment service's record of the person after registration."""

    services: list[ServiceRecordPublic] = Field(
        description='the "four ones" and training, oldest first'
    )
    status_history: StatusHistory
    referrals: list[ReferralPublic]
    placements: list[PlacementPublic] = Field(description="with their follow-up visits")


class SeekerExport(BaseModel):
    exported_at: dt.datetime
    registered_by: str = Field(description="id of the API key that registered the person")
    version: int
    record: SeekerPublic = Field(
        description="the record as the API shows it, with what the service derives from it"
    )
    identifiers: IdentifiersHeld
    abilities_assessed: dict[str, int] = Field(
        description="as assessed; the record's other dimensions are estimates"
    )
    consent_history: list[ConsentEvent]
    access_log: list[AccessEntry] = Field(
        description="every recorded access to this person's data, oldest first"
    )
    casework: CaseworkHeld | None = Field(
        description="for keys that work casework "
        "(counselor, admin); null for a "
        "partner or kiosk, which may not read "
        "it"
    )
    purposes: list[str]
