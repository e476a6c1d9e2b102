"""API keys: issue, authenticate, revoke.  Only SHA-256 hashes of keys are stored (the keys
are 256-bit random strings, so a fast hash is enough)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlmodel import Session

from service.errors import field_error, raise_if_errors
from service.models.base import as_utc, new_id, utcnow
from service.models.enums import AuditAction, Role
from service.models.tables import ApiKey
from service.repositories import api_keys as repo
from service.services.audit import Audit

KEY_PREFIX = "am_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KnownKey:
    id: str
    role: str
    name: str
    owner_id: str
    expires_at: dt.datetime | None
    district_code: str | None = None  # the statistics jurisdiction


class KeyCache:
    """Recently seen keys, so a request does not cost a query.  A revocation in this
    process clears it at once; other processes stop honouring a revoked key within
    ``ttl`` seconds."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, KnownKey | None]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> tuple[bool, KnownKey | None]:
        entry = self._entries.get(key_hash)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, key: KnownKey | None) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic(), key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def authenticate(session: Session, raw: str, cache: KeyCache | None = None) -> KnownKey | None:
    key_hash = hash_key(raw)
    hit, known = cache.get(key_hash) if cache else (False, None)
    if not hit:
        known = _lookup(session, key_hash)
        if cache:
            cache.put(key_hash, known)
    if known is not None and known.expires_at is not None and known.expires_at <= utcnow():
        return None
    return known


def _lookup(session: Session, key_hash: str) -> KnownKey | None:
    key = repo.by_hash(session, key_hash)
    if key is None or key.revoked_at is not None:
        return None
    return KnownKey(
        id=key.id,
        role=key.role,
        name=key.name,
        owner_id=key.owner_id,
        expires_at=as_utc(key.expires_at) if key.expires_at else None,
        district_code=key.district_code,
    )


def issue(
    session: Session,
    *,
    role: Role,
    name: str,
    created_by: str | None,
    expires_at: dt.datetime | None = None,
    raw: str | None = None,
    owner_id: str | None = None,
    district_code: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; ``raw`` fixes the secret (bootstrap and demo keys only);
    ``owner_id`` makes it act for an existing owner (a replacement key)."""
    secret = raw or KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = new_id("key")
    key = ApiKey(
        id=key_id,
        name=name,
        role=role.value,
        key_hash=hash_key(secret),
        prefix=secret[:8],
        created_by=created_by,
        owner_id=owner_id or key_id,
        expires_at=as_utc(expires_at) if expires_at else None,
        district_code=district_code,
    )
    return repo.add(session, key), secret


def issue_by(
    session: Session,
    audit: Audit,
    *,
    role: Role,
    name: str,
    expires_at: dt.datetime | None,
    replaces: str | None,
    district_code: str | None = None,
) -> tuple[ApiKey, str]:
    """An administrator issues a key (audited).  A key that ``replaces`` another acts for
    the same owner: it sees and changes what the old key registered."""
    owner_id = None
    if replaces is not None:
        old = repo.get(session, replaces)
        if old is None or old.role != role.value:
            raise_if_errors(
                [field_error("replaces", "unknown_key", "no key of this role has this id")]
            )
        owner_id = old.owner_id  # type: ignore[union-attr]
    key, secret = issue(
        session,
        role=role,
        name=name,
        created_by=audit.principal.key_id,
        expires_at=expires_at,
        owner_id=owner_id,
        district_code=district_code,
    )
    audit.record(AuditAction.api_key_create, "api_key", key.id)
    return key, secret


def ensure(session: Session, raw: str, *, role: Role, name: str) -> ApiKey:
    """Make sure a key with this secret exists (the bootstrap admin key, demo keys)."""
    existing = repo.by_hash(session, hash_key(raw))
    if existing is not None:
        return existing
    key, _ = issue(session, role=role, name=name, created_by=None, raw=raw)
    return key


def revoke(session: Session, audit: Audit, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        audit.record(AuditAction.api_key_revoke, "api_key", key.id)
    return key
