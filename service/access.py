"""Who may do what, and to whose records: the one access table.

Each cell is a :class:`Scope`: ``any`` record, or only the records of the calling key's
owner (``own``: the key itself, or the key it replaced).  A missing cell is a refusal
(403).  Routes name their action; services check the record's owner against the cell (see
:mod:`service.services.guard`): a record the key may not even read answers 404, so its
existence does not leak; one it may read but not change answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.models.enums import Role


class Action(StrEnum):
    manage_keys = "manage_keys"
    read_audit = "read_audit"
    create_seeker = "create_seeker"
    read_seeker = "read_seeker"
    update_seeker = "update_seeker"
    delete_seeker = "delete_seeker"
    export_seeker = "export_seeker"
    create_employer = "create_employer"
    read_employer = "read_employer"
    update_employer = "update_employer"
    delete_employer = "delete_employer"
    read_quota = "read_quota"
    create_vacancy = "create_vacancy"
    import_vacancies = "import_vacancies"
    read_vacancy = "read_vacancy"
    update_vacancy = "update_vacancy"
    delete_vacancy = "delete_vacancy"
    match_seeker = "match_seeker"  # vacancies for a seeker, and one pair's verdict
    match_vacancy = "match_vacancy"  # candidates for a vacancy
    # Casework: the counselor's record after the match.
    record_service = "record_service"  # the "four ones", training, status changes
    read_services = "read_services"  # and the status history
    create_referral = "create_referral"
    read_referral = "read_referral"
    update_referral = "update_referral"
    create_placement = "create_placement"
    read_placement = "read_placement"
    update_placement = "update_placement"  # includes recording follow-up visits
    # The model registry: versions, their metrics and monitoring; the switch between them.
    read_models = "read_models"
    activate_model = "activate_model"
    # Statistics: aggregates only, never an individual record (service/stats/suppression).
    read_stats = "read_stats"
    manage_targets = "manage_targets"  # the plans' targets, as data


class Scope(StrEnum):
    any = "any"
    own = "own"


class CandidateView(StrEnum):
    """How candidates for a vacancy are shown to a role."""

    full = "full"  # seeker ids; every consenting seeker
    pseudonymous = "pseudonymous"  # per-owner pseudonyms; only seekers who share


ANY, OWN = Scope.any, Scope.own

ACCESS: dict[Role, dict[Action, Scope]] = {
    Role.admin: dict.fromkeys(Action, ANY),
    Role.counselor: {
        a: ANY
        for a in Action
        if a
        not in (
            Action.manage_keys,
            Action.read_audit,
            Action.read_models,
            Action.activate_model,
            Action.manage_targets,
        )
    },
    Role.partner: {
        Action.create_seeker: ANY,
        Action.read_seeker: OWN,
        Action.update_seeker: OWN,
        Action.delete_seeker: OWN,
        Action.export_seeker: OWN,
        Action.create_employer: ANY,
        Action.read_employer: ANY,
        Action.update_employer: OWN,
        Action.delete_employer: OWN,
        Action.read_quota: ANY,
        Action.create_vacancy: ANY,
        Action.import_vacancies: ANY,
        Action.read_vacancy: ANY,
        Action.update_vacancy: OWN,
        Action.delete_vacancy: OWN,
        Action.match_seeker: OWN,
        Action.match_vacancy: OWN,
        # Referrals to the partner's own vacancies (own = the vacancy's owner), with a
        # pseudonymous candidate: the partner never learns who the person is.
        Action.create_referral: OWN,
        Action.read_referral: OWN,
        Action.update_referral: OWN,
    },
    # A fair kiosk registers visitors and shows them their matches; it reads vacancies so
    # that a visitor can see the whole job (pay, duties, accommodations) behind a match.
    Role.kiosk: {
        Action.create_seeker: ANY,
        Action.read_seeker: OWN,
        Action.export_seeker: OWN,
        Action.match_seeker: OWN,
        Action.read_vacancy: ANY,
    },
    # Aggregates only (the dashboard, the models' measured quality); no individual record.
    Role.analyst: {Action.read_models: ANY, Action.read_stats: ANY},
}

CANDIDATE_VIEW: dict[Role, CandidateView] = {
    Role.admin: CandidateView.full,
    Role.counselor: CandidateView.full,
    Role.partner: CandidateView.pseudonymous,
}


def scope_of(role: Role, action: Action) -> Scope | None:
    return ACCESS[role].get(action)


def allowed(role: Role, action: Action) -> bool:
    return scope_of(role, action) is not None


@dataclass(frozen=True)
class Principal:
    """The calling API key.  ``owner_id`` is the identity its records are owned by: the
    key's own id, or for a key issued to replace another, that key's owner (so a partner
    rotating its key keeps its records)."""

    key_id: str
    role: Role
    name: str
    owner_id: str
    # The statistics jurisdiction: a district-code prefix the key's statistics stay within.
    district_code: str | None = None

    def may(self, action: Action, owner_id: str) -> bool:
        """May this key perform ``action`` on a record owned by ``owner_id``?"""
        scope = scope_of(self.role, action)
        return scope is ANY or (scope is OWN and owner_id == self.owner_id)

    def owner_filter(self, action: Action) -> str | None:
        """The owner a list must be narrowed to, or None for every record."""
        return self.owner_id if scope_of(self.role, action) is OWN else None

    @property
    def candidate_view(self) -> CandidateView:
        return CANDIDATE_VIEW.get(self.role, CandidateView.pseudonymous)
