"""SQL for API keys."""

from __future__ import annotations

from sqlmodel import Session, select

from service.models.tables import ApiKey
from service.repositories.pagination import PageParams, fetch_page


def by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def get(session: Session, key_id: str) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def add(session: Session, key: ApiKey) -> ApiKey:
    session.add(key)
    session.flush()
    return key


def page(session: Session, params: PageParams) -> tuple[list[ApiKey], str | None]:
    return fetch_page(session, select(ApiKey), ApiKey.id, params)
