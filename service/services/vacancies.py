"""Vacancy registry and the bulk import."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from service.access import Action, Principal
from service.errors import Conflict, Forbidden, NotFound, field_error, raise_if_errors
from service.matching.dimensions import DIMENSIONS
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem
from service.models.tables import Vacancy
from service.models.vacancy import (
    ImportItemResult,
    ImportReport,
    VacancyCreate,
    VacancyPublic,
    VacancyUpdate,
)
from service.repositories import changes
from service.repositories import vacancies as repo
from service.repositories.pagination import PageParams
from service.services import guard

MAX_IMPORT = 1000


def _row_values(body: VacancyCreate | VacancyUpdate, *, partial: bool) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=partial)
    if "demands" in values:
        given = values["demands"] or {}
        values["demands"] = {d: given.get(d) or 0 for d in DIMENSIONS}
    if "location" in values:
        loc = values.pop("location")
        values["lat"], values["lon"] = (loc["lat"], loc["lon"]) if loc else (None, None)
    return values


_NOT_OWNED = "employer_not_owned"


def _usable_employers(session: Session, principal: Principal, ids: set[str]) -> dict[str, bool]:
    """Known employer id -> whether this key may attach vacancies to it."""
    owners = repo.employer_owners(session, ids)
    return {eid: principal.may(Action.update_employer, owner) for eid, owner in owners.items()}


def _not_owned() -> FieldProblem:
    return field_error(
        "employer_id",
        _NOT_OWNED,
        "this employer was registered by another key; only its owner may post vacancies under it",
    )


def _check_employer(session: Session, principal: Principal, employer_id: str) -> set[str]:
    """Known ids among {employer_id}; 403 when it exists but belongs to another key."""
    usable = _usable_employers(session, principal, {employer_id})
    if usable.get(employer_id) is False:
        raise Forbidden("this employer belongs to another key", errors=[_not_owned()])
    return set(usable)


def _problems(values: dict[str, Any], known_employers: set[str]) -> list[FieldProblem]:
    problems = []
    if values["salary_min"] > values["salary_max"]:
        problems.append(
            field_error("salary_max", "salary_range", "salary_max must be at least salary_min")
        )
    if values.get("restricted") and not values.get("priority_groups"):
        problems.append(
            field_error(
                "priority_groups",
                "restriction_without_groups",
                "a restricted vacancy must name the priority groups it admits",
            )
        )
    if values["employer_id"] not in known_employers:
        problems.append(field_error("employer_id", "unknown_employer", "no employer has this id"))
    return problems


def create(session: Session, principal: Principal, body: VacancyCreate) -> Vacancy:
    owner_id = principal.owner_id
    values = _row_values(body, partial=False)
    known = _check_employer(session, principal, body.employer_id)
    raise_if_errors(_problems(values, known))
    if body.external_id and repo.external_id_owner(session, owner_id, body.external_id):
        raise Conflict(
            "this key already has a vacancy with this external_id",
            errors=[
                field_error("external_id", "duplicate", "external_id is already used by this key")
            ],
        )
    now = utcnow()
    vacancy = Vacancy(
        id=new_id("vac"),
        owner_key_id=owner_id,
        created_at=now,
        updated_at=now,
        status="open",
        **values,
    )
    changes.record(session, "vacancy", [vacancy.id])
    return repo.save(session, vacancy)


def get(session: Session, vacancy_id: str) -> Vacancy:
    vacancy = repo.get(session, vacancy_id)
    if vacancy is None:
        raise NotFound(f"no vacancy {vacancy_id}")
    return vacancy


def get_for(session: Session, principal: Principal, vacancy_id: str, action: Action) -> Vacancy:
    """The vacancy, if the calling key may perform ``action`` on it (else 404 or 403)."""
    vacancy = get(session, vacancy_id)
    guard.check(
        principal,
        action,
        vacancy.owner_key_id,
        read=Action.read_vacancy,
        what="vacancy",
        ident=vacancy_id,
    )
    return vacancy


def update(
    session: Session, principal: Principal, vacancy: Vacancy, body: VacancyUpdate
) -> Vacancy:
    values = _row_values(body, partial=True)
    if not values:
        return vacancy
    merged = {**vacancy.model_dump(), **values}
    if "employer_id" in values and values["employer_id"] != vacancy.employer_id:
        known = _check_employer(session, principal, merged["employer_id"])
    else:
        known = {vacancy.employer_id}
    raise_if_errors(_problems(merged, known))
    external_id = values.get("external_id")
    if external_id and repo.external_id_owner(session, vacancy.owner_key_id, external_id) not in (
        None,
        vacancy.id,
    ):
        raise Conflict(
            "this key already has a vacancy with this external_id",
            errors=[
                field_error("external_id", "duplicate", "external_id is already used by this key")
            ],
        )
    for name, value in values.items():
        setattr(vacancy, name, value)
    vacancy.updated_at = utcnow()
    vacancy.version += 1
    changes.record(session, "vacancy", [vacancy.id])
    return repo.save(session, vacancy)


def delete(session: Session, vacancy: Vacancy) -> None:
    changes.record(session, "vacancy", [vacancy.id])
    repo.delete(session, vacancy)


def page(
    session: Session, flt: repo.VacancyFilter, params: PageParams
) -> tuple[list[VacancyPublic], str | None]:
    rows, cursor = repo.page(session, flt, params)
    return [to_public(v, name, kind) for v, name, kind in rows], cursor


def public(session: Session, vacancy: Vacancy) -> VacancyPublic:
    """One vacancy as the API shows it, with its employer's name and kind."""
    ref = repo.employer_ref(session, vacancy.employer_id)
    if ref is None:  # pragma: no cover - the foreign key keeps the employer
        raise NotFound(f"no employer {vacancy.employer_id}")
    return to_public(vacancy, *ref)


def to_public(vacancy: Vacancy, employer_name: str, employer_kind: str) -> VacancyPublic:
    values = vacancy.model_dump()
    lat, lon = values.pop("lat"), values.pop("lon")
    values["location"] = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
    values["created_at"] = as_utc(vacancy.created_at)
    values["updated_at"] = as_utc(vacancy.updated_at)
    values["employer_name"], values["employer_kind"] = employer_name, employer_kind
    return VacancyPublic.model_validate(values)


def _item_errors(exc: ValidationError) -> list[FieldProblem]:
    return [
        field_error(".".join(str(p) for p in e["loc"]), e["type"], e["msg"]) for e in exc.errors()
    ]


def _set_result(
    results: list[ImportItemResult | None],
    index: int,
    ext: str | None,
    proposed: str,
    stored: str | None,
) -> None:
    if stored is None:
        results[index] = ImportItemResult(
            index=index,
            status="error",
            external_id=ext,
            errors=[field_error("", "conflict", "the database refused this item")],
        )
    else:
        results[index] = ImportItemResult(
            index=index,
            status="created" if stored == proposed else "updated",
            id=stored,
            external_id=ext,
        )


def import_batch(session: Session, principal: Principal, items: list[Any]) -> ImportReport:
    """Upsert by (key, external_id); each item stands or falls alone."""
    results: list[ImportItemResult | None] = [None] * len(items)
    parsed: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(items):
        try:
            parsed[index] = _row_values(VacancyCreate.model_validate(raw), partial=False)
        except ValidationError as exc:
            results[index] = ImportItemResult(index=index, status="error", errors=_item_errors(exc))
    owner_id = principal.owner_id
    usable = _usable_employers(session, principal, {v["employer_id"] for v in parsed.values()})
    known = set(usable)
    now = utcnow()
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    pending: dict[str, int] = {}
    for index, values in parsed.items():
        problems = _problems(values, known)
        if usable.get(values["employer_id"]) is False:
            problems.append(_not_owned())
        ext = values["external_id"]
        if ext and ext in seen:
            problems.append(
                field_error(
                    "external_id",
                    "duplicate_in_batch",
                    "an earlier item of this import has this external_id",
                )
            )
        if problems:
            results[index] = ImportItemResult(
                index=index, status="error", external_id=ext, errors=problems
            )
            continue
        if ext:
            seen.add(ext)
        vid = new_id("vac")
        rows.append(
            {
                **values,
                "id": vid,
                "owner_key_id": owner_id,
                "status": "open",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        pending[vid] = index
    stored = repo.bulk_write(session, rows)
    changes.record(session, "vacancy", [v for v in stored.values() if v is not None])
    for proposed, index in pending.items():
        _set_result(results, index, parsed[index]["external_id"], proposed, stored[proposed])
    final = [r for r in results if r is not None]
    return ImportReport(
        created=sum(r.status == "created" for r in final),
        updated=sum(r.status == "updated" for r in final),
        failed=sum(r.status == "error" for r in final),
        items=final,
    )
