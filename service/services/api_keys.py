"""API keys: issue, authenticate, revoke.  Only SHA-256 hashes of keys are stored (the keys
are 256-bit random strings, so a fast hash is enough)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlmodel import Session

from service.models.base import as_utc, new_id, utcnow
from service.models.enums import Role
from service.models.tables import ApiKey
from service.repositories import api_keys as repo

KEY_PREFIX = "am_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def authenticate(session: Session, raw: str) -> ApiKey | None:
    key = repo.by_hash(session, hash_key(raw))
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and as_utc(key.expires_at) <= utcnow():
        return None
    return key


def issue(session: Session, *, role: Role, name: str, created_by: str | None,
          expires_at: dt.datetime | None = None, raw: str | None = None) -> tuple[ApiKey, str]:
    """Create a key; ``raw`` fixes the secret (bootstrap and demo keys only)."""
    secret = raw or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(id=new_id("key"), name=name, role=role.value, key_hash=hash_key(secret),
                 prefix=secret[:8], created_by=created_by,
                 expires_at=as_utc(expires_at) if expires_at else None)
    return repo.add(session, key), secret


def ensure(session: Session, raw: str, *, role: Role, name: str) -> ApiKey:
    """Make sure a key with this secret exists (the bootstrap admin key, demo keys)."""
    existing = repo.by_hash(session, hash_key(raw))
    if existing is not None:
        return existing
    key, _ = issue(session, role=role, name=name, created_by=None, raw=raw)
    return key


def revoke(session: Session, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
    return key
