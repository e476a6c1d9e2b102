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


class SchoolStage(StrEnum):
    """The stage a school (a public institution) teaches.  Kindergartens, primary and
    secondary schools are exempt from the lead-by-example duty (see LEAD_EXEMPT_STAGES)."""

    kindergarten = "kindergarten"
    primary = "primary"
    secondary = "secondary"  # junior and senior secondary (general education)
    vocational = "vocational"
    higher = "higher"
    special = "special"  # special-education schools
    other = "other"


# Stages whose schools carry no lead-by-example duty (the policy's exclusion).
LEAD_EXEMPT_STAGES = frozenset(
    {SchoolStage.kindergarten, SchoolStage.primary, SchoolStage.secondary}
)

# The only kinds for which a school stage means anything.
SCHOOL_KINDS = frozenset({EmployerKind.public_institution})


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


# -- casework -------------------------------------------------------------------------


class ServiceType(StrEnum):
    """The "four ones" (四个一) and training beside them."""

    basic_info_check = "basic_info_check"  # 基础信息核对
    ability_assessment = "ability_assessment"  # 职业能力评估
    needs_registration = "needs_registration"  # 就业需求登记
    employment_service = "employment_service"  # 就业服务
    training = "training"  # 职业技能 / 农村实用技术培训 (counted apart, in person-times)


class Channel(StrEnum):
    on_site = "on_site"
    phone = "phone"
    online = "online"
    home_visit = "home_visit"


class ServiceResult(StrEnum):
    """How the service went: done, or why not."""

    completed = "completed"
    partly_completed = "partly_completed"
    not_reached = "not_reached"  # the person could not be contacted
    declined = "declined"  # the person did not want it


class LabourCapacity(StrEnum):
    full = "full"
    partial = "partial"
    none = "none"


class AssessmentMethod(StrEnum):
    """How an ability assessment (职业能力评估) was made."""

    observation = "observation"
    standard_test = "standard_test"
    work_trial = "work_trial"
    interview = "interview"
    document_review = "document_review"  # medical and certificate records


class ServiceSubtype(StrEnum):
    """Employment-service subtypes the plans name."""

    survey = "survey"  # 摸排
    career_guidance = "career_guidance"  # 职业指导
    job_introduction = "job_introduction"  # 职业介绍
    match_referral = "match_referral"  # 匹配推荐
    follow_up = "follow_up"  # 跟踪回访
    policy_consultation = "policy_consultation"  # 政策咨询
    information_release = "information_release"
    entrepreneurship_guidance = "entrepreneurship_guidance"
    hr_agency = "hr_agency"


class TrainingKind(StrEnum):
    vocational = "vocational"
    rural_practical = "rural_practical"


class StatusCause(StrEnum):
    """Why a seeker's status changed."""

    registration = "registration"
    record_update = "record_update"  # a PATCH of the seeker's status
    counselor_decision = "counselor_decision"
    placement = "placement"  # a job start
    placement_ended = "placement_ended"
    placement_cancelled = "placement_cancelled"  # a start recorded ahead fell through
    left_labour_market = "left_labour_market"  # e.g. retired, moved away, long illness
    returned_to_seeking = "returned_to_seeking"


class ReferralSource(StrEnum):
    match = "match"
    fair = "fair"
    counselor = "counselor"
    partner = "partner"


class ReferralStatus(StrEnum):
    referred = "referred"
    interview_scheduled = "interview_scheduled"
    interviewed = "interviewed"
    offered = "offered"
    hired = "hired"
    declined_by_seeker = "declined_by_seeker"
    rejected_by_employer = "rejected_by_employer"
    withdrawn = "withdrawn"


class ReferralReason(StrEnum):
    """Reason codes for the three closing statuses other than hired."""

    # rejected_by_employer
    skills_mismatch = "skills_mismatch"
    experience_insufficient = "experience_insufficient"
    accommodation_not_feasible = "accommodation_not_feasible"
    position_filled = "position_filled"
    no_show = "no_show"
    interview_performance = "interview_performance"
    # declined_by_seeker
    pay_too_low = "pay_too_low"
    commute_too_long = "commute_too_long"
    hours_unsuitable = "hours_unsuitable"
    job_content = "job_content"
    workplace_not_accessible = "workplace_not_accessible"
    found_other_job = "found_other_job"
    health = "health"
    family = "family"
    # withdrawn
    vacancy_closed = "vacancy_closed"
    seeker_unavailable = "seeker_unavailable"
    recorded_in_error = "recorded_in_error"
    other = "other"


class EmploymentForm(StrEnum):
    """Forms of employment counted by the plans."""

    quota = "quota"  # 按比例
    concentrated = "concentrated"  # 集中
    sheltered = "sheltered"  # 辅助性
    public_welfare = "public_welfare"  # 公益性岗位
    self_employed = "self_employed"  # 自主创业
    flexible = "flexible"  # 灵活 / 平台 / 新就业形态
    home_based = "home_based"  # 居家
    rural_production = "rural_production"  # 农村种养加
    blind_massage = "blind_massage"  # 盲人按摩
    dispatch = "dispatch"  # 劳务派遣
    out_of_area = "out_of_area"  # 异地


class LeavingReason(StrEnum):
    """Why a job ended (a placement's end, a follow-up visit's reason left)."""

    contract_ended = "contract_ended"
    dismissed = "dismissed"
    resigned_pay = "resigned_pay"
    resigned_workload = "resigned_workload"
    resigned_accessibility = "resigned_accessibility"
    resigned_relations = "resigned_relations"  # colleagues, supervisor
    health = "health"
    family = "family"
    moved_away = "moved_away"
    employer_closed = "employer_closed"
    found_other_job = "found_other_job"
    retired = "retired"
    other = "other"


class VisitMethod(StrEnum):
    on_site = "on_site"  # at the workplace
    home_visit = "home_visit"
    phone = "phone"
    online = "online"


class SupportNeed(StrEnum):
    """Support a follow-up visit finds is needed."""

    none = "none"
    job_coach = "job_coach"
    accommodation_change = "accommodation_change"
    employer_mediation = "employer_mediation"
    skills_training = "skills_training"
    transport = "transport"
    assistive_device = "assistive_device"
    health_support = "health_support"
    subsidy_application = "subsidy_application"


class AuditAction(StrEnum):
    """What an audit entry records (seeker records, casework, match lists, API keys)."""

    seeker_create = "seeker.create"
    seeker_read = "seeker.read"
    seeker_list = "seeker.list"
    seeker_update = "seeker.update"
    seeker_erase = "seeker.erase"
    seeker_export = "seeker.export"
    matches_for_seeker = "matches.for_seeker"
    matches_pair = "matches.pair"
    matches_candidates = "matches.candidates"
    service_create = "service.create"
    service_read = "service.read"
    service_list = "service.list"
    status_change = "status.change"
    status_list = "status.list"
    referral_create = "referral.create"
    referral_read = "referral.read"
    referral_list = "referral.list"
    referral_update = "referral.update"
    placement_create = "placement.create"
    placement_read = "placement.read"
    placement_list = "placement.list"
    placement_update = "placement.update"
    placement_cancel = "placement.cancel"
    follow_up_create = "follow_up.create"
    follow_up_list = "follow_up.list"
    api_key_create = "api_key.create"
    api_key_revoke = "api_key.revoke"
    model_activate = "model.activate"
    target_create = "target.create"
    target_update = "target.update"
    target_delete = "target.delete"


class AuditOutcome(StrEnum):
    ok = "ok"
    denied = "denied"  # the record exists but the key may not touch it
    conflict = "conflict"  # e.g. registering an ID number that is already registered
    replayed = "replayed"  # a retried POST answered with the kept response
