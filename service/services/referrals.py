"""Referrals: a person put forward for a vacancy with the ranking context of that moment,
then moved along the pipeline (service.services.referral_flow) by the counselor and, for
the employer's side, by the partner whose vacancy it is.

A partner names the person only by the pseudonym it was shown (recorded by
service.services.candidates), and its referral is judged as its candidate lists are, at
the seeker's displaced home: no referral answer tells a partner more than those lists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.access import Action, CandidateView, Principal
from service.context import Context
from service.errors import Conflict, Forbidden, NotFound, field_error, raise_if_errors
from service.matching.constraints import Blocking
from service.matching.location import location_key
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem
from service.models.enums import (
    AuditAction,
    ReferralReason,
    ReferralSource,
    ReferralStatus,
    Role,
)
from service.models.referral import (
    RankingContext,
    ReferralCreate,
    ReferralEventPublic,
    ReferralPublic,
    ReferralUpdate,
)
from service.models.tables import (
    Employer,
    Referral,
    ReferralEvent,
    Seeker,
    Vacancy,
    is_erased,
)
from service.profile import age_on
from service.repositories import matching as match_repo
from service.repositories import pseudonyms as pseudonym_repo
from service.repositories import referrals as repo
from service.repositories import seekers as seeker_repo
from service.repositories.pagination import PageParams
from service.rules import today_in_china
from service.services import guard, referral_flow
from service.services.audit import Audit
from service.services.candidates import coarse, pseudonym
from service.services.guard import erased_conflict
from service.services.matching import (
    Matcher,
    PairAssessment,
    assess_pair,
    rank_vacancies,
    sync_index,
)

OVERRIDE_CONTEXT = "referral_override"
# How deep into the seeker's ranking a match referral's rank is looked up.
RANK_DEPTH = 200


def _pseudonymous(principal: Principal) -> bool:
    return principal.candidate_view is CandidateView.pseudonymous


def _person_field(pseudonymous: bool) -> str:
    return "candidate_id" if pseudonymous else "seeker_id"


def _identity_problems(body: ReferralCreate, pseudonymous: bool) -> list[FieldProblem]:
    """A partner names a candidate_id, a counselor a seeker_id: exactly one."""
    given, other = (
        (body.candidate_id, body.seeker_id) if pseudonymous else (body.seeker_id, body.candidate_id)
    )
    want, foreign = ("candidate_id", "seeker_id") if pseudonymous else ("seeker_id", "candidate_id")
    problems = []
    if other is not None:
        problems.append(
            field_error(
                foreign, "not_for_this_role", f"this key names the person by {want}, not {foreign}"
            )
        )
    if given is None:
        problems.append(field_error(want, "required", f"give the {want} to refer"))
    return problems


def _vacancy(session: Session, principal: Principal, vacancy_id: str) -> tuple[Vacancy, Employer]:
    found = list(match_repo.vacancies_with_employers(session, ids=[vacancy_id]))
    if not found:
        raise_if_errors([field_error("vacancy_id", "unknown_vacancy", "no vacancy has this id")])
    vacancy, employer = found[0]
    guard.check(
        principal,
        Action.create_referral,
        vacancy.owner_key_id,
        read=Action.read_vacancy,
        what="vacancy",
        ident=vacancy_id,
    )
    return vacancy, employer


def _seeker(session: Session, principal: Principal, body: ReferralCreate) -> Seeker:
    if _pseudonymous(principal):
        assert body.candidate_id is not None
        seeker_id = pseudonym_repo.seeker_of(session, principal.owner_id, body.candidate_id)
        seeker = seeker_repo.get(session, seeker_id) if seeker_id else None
        if seeker is None:
            raise_if_errors(
                [
                    field_error(
                        "candidate_id",
                        "unknown_candidate",
                        "not a candidate this key was shown for its vacancies",
                    )
                ]
            )
    else:
        assert body.seeker_id is not None
        seeker = seeker_repo.get(session, body.seeker_id)
        if seeker is None:
            raise_if_errors([field_error("seeker_id", "unknown_seeker", "no seeker has this id")])
    assert seeker is not None
    return seeker


def _conflict(detail: str, field: str, code: str) -> Conflict:
    return Conflict(detail, errors=[field_error(field, code, detail)])


def _check_referable(
    session: Session, seeker: Seeker, vacancy: Vacancy, *, pseudonymous: bool
) -> None:
    """409 for a vacancy that takes no one, a person whose consent does not allow it, or
    a referral of this person to this vacancy that is still open."""
    if (
        vacancy.status != "open"
        or vacancy.openings_filled >= vacancy.openings
        or (vacancy.closes_on is not None and vacancy.closes_on < today_in_china())
    ):
        raise _conflict(
            "the vacancy is not open (closed, filled or past its closing date)",
            "vacancy_id",
            "vacancy_not_open",
        )
    person = _person_field(pseudonymous)
    if not seeker.consent_sensitive_data:
        raise _conflict(
            "the person has not consented to the processing of sensitive "
            "data; no referral can be recorded",
            person,
            "no_consent",
        )
    if pseudonymous and not seeker.consent_share_with_employers:
        raise _conflict(
            "the person no longer shares their profile with employers",
            person,
            "not_shared_with_employers",
        )
    existing = repo.open_referral(
        session, seeker.id, vacancy.id, [s.value for s in referral_flow.OPEN]
    )
    if existing is not None:
        raise _conflict(
            f"this person already has an open referral to this vacancy ({existing})",
            "vacancy_id",
            "already_referred",
        )


def _block_message(block: Blocking) -> str:
    if block.dimension:
        return (
            f"{block.message_en} ({block.dimension}: demand {block.demand}, capacity "
            f"{block.capacity}, bridged by {block.bridge})"
        )
    return block.message_en


def _overridden(
    judged: PairAssessment, body: ReferralCreate, seeker: Seeker, ctx: Context
) -> list[str]:
    """The codes a counselor's override sets aside ([] for an eligible pair); 409 for a
    blocked pair without one, or one below the minimum working age (never overridable)."""
    if judged.eligible:
        raise_if_errors(
            [
                field_error(
                    "override",
                    "nothing_to_override",
                    "no constraint blocks this pair; send no override",
                )
            ]
            if body.override is not None
            else []
        )
        return []
    if body.override is None:
        errors = [field_error("vacancy_id", b.code, _block_message(b)) for b in judged.blocks]
        codes = ", ".join(dict.fromkeys(b.code for b in judged.blocks))
        raise Conflict(
            f"the constraints block this pair ({codes}); a counselor may refer "
            "it anyway with override.reason",
            errors=errors,
        )
    if age_on(seeker.birth_date, today_in_china()) < ctx.rules.min_working_age:
        raise _conflict(
            "the person is below the minimum working age; this cannot be overridden",
            "seeker_id",
            "under_working_age",
        )
    return list(dict.fromkeys(b.code for b in judged.blocks))


def _rank(
    session: Session,
    matcher: Matcher,
    body: ReferralCreate,
    seeker_id: str,
    *,
    eligible: bool,
    pseudonymous: bool,
) -> int | None:
    """The rank as the client sent it; for a counselor's match referral without one, the
    vacancy's place in the seeker's current ranking (None beyond ``RANK_DEPTH``).  A
    partner's list is of candidates, not of the seeker's vacancies: only its own counts."""
    if body.rank is not None or body.source != ReferralSource.match or not eligible or pseudonymous:
        return body.rank
    sync_index(session, matcher)
    try:
        ranking = rank_vacancies(matcher, seeker_id, RANK_DEPTH)
    except NotFound:  # not in the index (yet): no ranking to place it in
        return None
    return next((i.rank for i in ranking.items if i.vacancy_id == body.vacancy_id), None)


def create(
    session: Session, ctx: Context, matcher: Matcher, audit: Audit, body: ReferralCreate
) -> Referral:
    principal = audit.principal
    pseudonymous = _pseudonymous(principal)
    raise_if_errors(_identity_problems(body, pseudonymous))
    if pseudonymous and body.override is not None:
        raise Forbidden(
            "only a counselor may refer a pair the constraints block",
            errors=[
                field_error(
                    "override",
                    "override_not_allowed",
                    "an employer's key cannot override constraints",
                )
            ],
        )
    vacancy, employer = _vacancy(session, principal, body.vacancy_id)
    seeker = _seeker(session, principal, body)
    _check_referable(session, seeker, vacancy, pseudonymous=pseudonymous)
    judged = assess_pair(
        matcher,
        seeker,
        vacancy,
        employer,
        explain=False,
        displace=location_key(ctx.cipher) if pseudonymous else None,
    )
    overridden = _overridden(judged, body, seeker, ctx)
    rank = _rank(
        session, matcher, body, seeker.id, eligible=judged.eligible, pseudonymous=pseudonymous
    )
    now = utcnow()
    referral = Referral(
        id=new_id("ref"),
        seeker_id=seeker.id,
        vacancy_id=vacancy.id,
        employer_id=vacancy.employer_id,
        vacancy_owner_key_id=vacancy.owner_key_id,
        source=body.source,
        status=ReferralStatus.referred.value,
        model_version=matcher.scorer.version,
        score=judged.score,
        probability=judged.probability,
        rank=rank,
        shown=body.shown,
        eligible=judged.eligible,
        overridden=overridden,
        override_reason_enc=(
            ctx.cipher.encrypt(body.override.reason, OVERRIDE_CONTEXT)
            if body.override is not None
            else None
        ),
        created_by=principal.key_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            repo.add(
                session,
                referral,
                referral_flow.event(referral, principal, from_status=None, at=now),
            )
    except IntegrityError as exc:  # a concurrent request referred the same pair
        raise _conflict(
            "this person was just referred to this vacancy by another request",
            "vacancy_id",
            "already_referred",
        ) from exc
    audit.record(AuditAction.referral_create, "referral", referral.id, seekers=[seeker.id])
    return referral


def get_for(session: Session, principal: Principal, referral_id: str, action: Action) -> Referral:
    """The referral, if the key may do ``action`` to it: a partner's own are those to
    its vacancies (404 for any other, so that none leaks)."""
    referral = repo.get(session, referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}")
    guard.check(
        principal,
        action,
        referral.vacancy_owner_key_id,
        read=Action.read_referral,
        what="referral",
        ident=referral_id,
    )
    if action is not Action.read_referral and is_erased(referral.seeker_id):
        raise erased_conflict("referral", referral_id)
    return referral


def read(session: Session, audit: Audit, referral_id: str) -> Referral:
    referral = get_for(session, audit.principal, referral_id, Action.read_referral)
    audit.record(AuditAction.referral_read, "referral", referral.id, seekers=[referral.seeker_id])
    return referral


def _interview_problems(referral: Referral, body: ReferralUpdate) -> list[FieldProblem]:
    if body.interview_at is None:
        return []
    if body.status != ReferralStatus.interview_scheduled:
        return [
            field_error(
                "interview_at",
                "not_applicable",
                "interview_at goes with status interview_scheduled",
            )
        ]
    if body.interview_at < as_utc(referral.created_at):
        return [
            field_error(
                "interview_at", "before_referral", "the interview cannot precede the referral"
            )
        ]
    return []


def update(session: Session, audit: Audit, referral: Referral, body: ReferralUpdate) -> Referral:
    """One move along the pipeline (409 naming the current status if not allowed)."""
    to = ReferralStatus(body.status)
    reason = ReferralReason(body.reason_code) if body.reason_code else None
    referral_flow.check_move(audit.principal, ReferralStatus(referral.status), to, reason)
    if to is ReferralStatus.hired:
        # A hire is a placement: the person's status, the vacancy's openings and the
        # follow-ups must follow it, so it is recorded there, in one transaction.
        raise _conflict(
            "a hire is recorded as a placement: POST /v1/placements with "
            "this referral_id, and the referral becomes hired with it",
            "status",
            "hire_needs_placement",
        )
    raise_if_errors(_interview_problems(referral, body))
    fields = ["status"] + (["reason_code"] if reason else [])
    if body.interview_at is not None:
        referral.interview_at = body.interview_at
        fields.append("interview_at")
    referral_flow.move(session, referral, audit.principal, to, reason)
    audit.record(
        AuditAction.referral_update,
        "referral",
        referral.id,
        seekers=[referral.seeker_id],
        fields=fields,
    )
    return referral


@dataclasses.dataclass(frozen=True)
class ListQuery:
    seeker_id: str | None = None
    candidate_id: str | None = None
    vacancy_id: str | None = None
    status: str | None = None


def page(
    session: Session, audit: Audit, query: ListQuery, params: PageParams
) -> tuple[list[Referral], str | None]:
    """Referrals the key may read: all for counselors, those to its vacancies for a
    partner, who names a person by candidate_id only."""
    principal = audit.principal
    pseudonymous = _pseudonymous(principal)
    foreign = "seeker_id" if pseudonymous else "candidate_id"
    if getattr(query, foreign) is not None:
        raise_if_errors(
            [
                field_error(
                    foreign,
                    "not_for_this_role",
                    f"this key names people by {_person_field(pseudonymous)}",
                )
            ]
        )
    seeker_id = query.seeker_id
    if query.candidate_id is not None:
        seeker_id = pseudonym_repo.seeker_of(session, principal.owner_id, query.candidate_id)
        if seeker_id is None:  # never shown to this key: none of its referrals has it
            audit.record(AuditAction.referral_list, "referral", None)
            return [], None
    flt = repo.ReferralFilter(
        seeker_id=seeker_id,
        vacancy_id=query.vacancy_id,
        status=query.status,
        vacancy_owner_key_id=principal.owner_filter(Action.read_referral),
    )
    rows, cursor = repo.page(session, flt, params)
    audit.record(
        AuditAction.referral_list,
        "referral",
        None,
        seekers=list(dict.fromkeys(r.seeker_id for r in rows)),
    )
    return rows, cursor


def views(
    session: Session, ctx: Context, principal: Principal, referrals: Sequence[Referral]
) -> list[ReferralPublic]:
    """The referrals as this key may see them (see ReferralPublic); a pseudonym shown
    to a partner here is recorded, as one in its candidate lists is."""
    events = repo.events(session, [r.id for r in referrals])
    out = [_public(ctx, principal, r, events[r.id]) for r in referrals]
    if _pseudonymous(principal) and out:
        pseudonym_repo.record(
            session,
            principal.owner_id,
            {str(v.candidate_id): r.seeker_id for v, r in zip(out, referrals, strict=True)},
            utcnow(),
        )
    return out


def view(
    session: Session, ctx: Context, principal: Principal, referral: Referral
) -> ReferralPublic:
    return views(session, ctx, principal, [referral])[0]


def _event_public(event: ReferralEvent, full: bool) -> ReferralEventPublic:
    return ReferralEventPublic.model_validate(
        {
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason_code": event.reason_code,
            "at": as_utc(event.at),
            "role": event.role,
            "key_id": event.key_id if full else None,
        }
    )


def _public(
    ctx: Context, principal: Principal, referral: Referral, events: list[ReferralEvent]
) -> ReferralPublic:
    full = not _pseudonymous(principal)
    # A partner sees numbers only of its own referrals: those were computed at the
    # displaced home, as its candidate list was; another key's are of the real home.
    partners_own = bool(events) and events[0].role == Role.partner.value

    def number(value: float | None) -> float | None:
        if full or value is None:
            return value
        return coarse(value) if partners_own else None

    reason = None
    if full and referral.override_reason_enc is not None:
        reason = ctx.cipher.decrypt(referral.override_reason_enc, OVERRIDE_CONTEXT)
    ranking = RankingContext(
        model_version=referral.model_version,
        score=number(referral.score),
        probability=number(referral.probability),
        rank=referral.rank,
        shown=referral.shown,
        eligible=referral.eligible if full else None,
        overridden=referral.overridden if full else None,
        override_reason=reason,
    )
    return ReferralPublic.model_validate(
        {
            "id": referral.id,
            "seeker_id": referral.seeker_id if full else None,
            "candidate_id": None
            if full
            else pseudonym(ctx, principal.owner_id, referral.seeker_id),
            "vacancy_id": referral.vacancy_id,
            "employer_id": referral.employer_id,
            "source": referral.source,
            "status": referral.status,
            "reason_code": referral.reason_code,
            "interview_at": as_utc(referral.interview_at) if referral.interview_at else None,
            "ranking": ranking,
            "created_by": referral.created_by if full else None,
            "created_at": as_utc(referral.created_at),
            "updated_at": as_utc(referral.updated_at),
            "events": [_event_public(e, full) for e in events],
        }
    )
