"""Who may do what: the one access table, checked by one dependency.

The full matrix of the privacy issue refines this; routes only name the action.
"""

from __future__ import annotations

from enum import StrEnum

from service.models.enums import Role


class Action(StrEnum):
    manage_keys = "manage_keys"
    create_seeker = "create_seeker"
    read_seeker = "read_seeker"
    update_seeker = "update_seeker"
    delete_seeker = "delete_seeker"
    create_employer = "create_employer"
    read_employer = "read_employer"
    update_employer = "update_employer"
    delete_employer = "delete_employer"
    create_vacancy = "create_vacancy"
    read_vacancy = "read_vacancy"
    update_vacancy = "update_vacancy"
    delete_vacancy = "delete_vacancy"
    import_vacancies = "import_vacancies"
    read_quota = "read_quota"
    read_matches = "read_matches"


_EMPLOYER_SIDE = {Action.create_employer, Action.read_employer, Action.update_employer,
                  Action.delete_employer, Action.create_vacancy, Action.read_vacancy,
                  Action.update_vacancy, Action.delete_vacancy, Action.import_vacancies,
                  Action.read_quota}

ACCESS: dict[Role, frozenset[Action]] = {
    Role.admin: frozenset(Action),
    Role.counselor: frozenset(Action) - {Action.manage_keys},
    Role.partner: frozenset(_EMPLOYER_SIDE | {Action.create_seeker}),  # no matches yet
    Role.kiosk: frozenset({Action.create_seeker}),
    Role.analyst: frozenset(),
}

# Roles that may change only what their own key created (others' is read-only to them).
OWNER_SCOPED: frozenset[Role] = frozenset({Role.partner, Role.kiosk})


def allowed(role: Role, action: Action) -> bool:
    return action in ACCESS[role]
