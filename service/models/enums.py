"""Closed vocabularies of the contract."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Disability categories of GB/T 26341-2010, in certificate-digit order (1-7)."""

    visual = "visual"
    hearing = "hearing"
    speech = "speech"
    physical = "physical"
    intellectual = "intellectual"
    mental = "mental"
    multiple = "multiple"

    @property
    def digit(self) -> int:
        return list(Category).index(self) + 1


class Hukou(StrEnum):
    urban = "urban"
    rural = "rural"


class Education(StrEnum):
    none = "none"
    primary = "primary"
    junior_secondary = "junior_secondary"
    senior_secondary = "senior_secondary"
    vocational = "vocational"
    associate = "associate"
    bachelor = "bachelor"
    master = "master"
    doctorate = "doctorate"

    @property
    def level(self) -> int:
        return list(Education).index(self)


class SeekerStatus(StrEnum):
    seeking = "seeking"
    employed = "employed"
    inactive = "inactive"


class WorkMode(StrEnum):
    on_site = "on_site"
    hybrid = "hybrid"
    remote = "remote"


class EmploymentType(StrEnum):
    full_time = "full_time"
    part_time = "part_time"
    flexible = "flexible"
    internship = "internship"


class VacancyStatus(StrEnum):
    open = "open"
    filled = "filled"
    closed = "closed"


class EmployerKind(StrEnum):
    government_organ = "government_organ"
    public_institution = "public_institution"
    soe = "soe"
    private = "private"
    platform = "platform"
    sheltered_workshop = "sheltered_workshop"
    concentrated_employer = "concentrated_employer"
    blind_massage = "blind_massage"
    social_organization = "social_organization"
    individual_business = "individual_business"


class PriorityGroup(StrEnum):
    graduate = "graduate"
    rural = "rural"
    hard_to_employ = "hard_to_employ"
    poverty_monitoring = "poverty_monitoring"
    severe_disability = "severe_disability"
    blind = "blind"


class Role(StrEnum):
    admin = "admin"
    counselor = "counselor"
    partner = "partner"
    kiosk = "kiosk"
    analyst = "analyst"


class Sex(StrEnum):
    male = "male"
    female = "female"


class Accommodation(StrEnum):
    """Accommodations a vacancy or premises offers, or a seeker requires (MATCHING.md §2)."""

    screen_reader = "screen_reader"
    screen_magnifier = "screen_magnifier"
    braille = "braille"
    sign_language = "sign_language"
    text_communication = "text_communication"
    visual_alerts = "visual_alerts"
    step_free_access = "step_free_access"
    accessible_transport = "accessible_transport"
    accessible_toilet = "accessible_toilet"
    adjustable_workstation = "adjustable_workstation"
    assistive_devices = "assistive_devices"
    flexible_hours = "flexible_hours"
    part_time_hours = "part_time_hours"
    rest_breaks = "rest_breaks"
    job_coach = "job_coach"
    simplified_tasks = "simplified_tasks"
    quiet_space = "quiet_space"


class AuditAction(StrEnum):
    """What an audit entry records (seeker records, match lists, API keys)."""

    seeker_create = "seeker.create"
    seeker_read = "seeker.read"
    seeker_list = "seeker.list"
    seeker_update = "seeker.update"
    seeker_erase = "seeker.erase"
    seeker_export = "seeker.export"
    matches_for_seeker = "matches.for_seeker"
    matches_pair = "matches.pair"
    matches_candidates = "matches.candidates"
    api_key_create = "api_key.create"
    api_key_revoke = "api_key.revoke"


class AuditOutcome(StrEnum):
    ok = "ok"
    denied = "denied"  # the record exists but the key may not touch it
    conflict = "conflict"  # e.g. registering an ID number that is already registered
    replayed = "replayed"  # a retried POST answered with the kept response
