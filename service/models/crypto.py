"""Encryption at rest for personal identifiers.

Keys are derived with HKDF-SHA256 from ``ACCESSMATCH_SECRET_KEY``: one AES-256-GCM key for
encryption, one HMAC-SHA256 key for the keyed hashes used for uniqueness and lookup.
A ciphertext is ``v1.<key id>.<base64url(nonce || ciphertext+tag)>``; the key id names the
secret that made it, so older secrets can still decrypt after a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12


class DecryptionError(RuntimeError):
    """A stored value cannot be decrypted with any configured secret."""


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"accessmatch/v1", info=purpose).derive(
        secret.encode("utf-8")
    )


@dataclass(frozen=True)
class _KeySet:
    key_id: str
    aead: AESGCM
    mac_key: bytes


def _mac(keys: _KeySet, value: str, context: str) -> str:
    return hmac.new(keys.mac_key, f"{context}\x00{value}".encode(), hashlib.sha256).hexdigest()


def _keyset(secret: str) -> _KeySet:
    enc = _derive(secret, b"identifier-encryption")
    return _KeySet(
        key_id=hashlib.sha256(enc).hexdigest()[:8],
        aead=AESGCM(enc),
        mac_key=_derive(secret, b"identifier-lookup-hash"),
    )


class Cipher:
    """Encrypts with the current secret; decrypts with it or any older one."""

    def __init__(self, secret: str, old_secrets: tuple[str, ...] = ()) -> None:
        self._current = _keyset(secret)
        self._by_id = {k.key_id: k for k in map(_keyset, (*old_secrets, secret))}
        self._by_id[self._current.key_id] = self._current

    def encrypt(self, plaintext: str, context: str) -> str:
        """``context`` (e.g. the column name) is bound as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_VERSION}.{self._current.key_id}.{token}"

    def decrypt(self, stored: str, context: str) -> str:
        try:
            version, key_id, token = stored.split(".", 2)
            keys = self._by_id[key_id]
            if version != _VERSION:
                raise ValueError(version)
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return keys.aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
            ).decode("utf-8")
        except Exception as exc:  # any malformed or unauthentic value is the same failure
            raise DecryptionError(f"cannot decrypt a stored {context}") from exc

    def lookup_hash(self, value: str, context: str) -> str:
        """Deterministic keyed hash, for unique constraints and equality lookups."""
        return _mac(self._current, value, context)

    def lookup_hashes(self, value: str, context: str) -> list[str]:
        """The keyed hash under every configured secret, current first: until
        ``rotate-secrets`` has run, older rows carry an older secret's hash."""
        others = (k for k in self._by_id.values() if k is not self._current)
        return [_mac(k, value, context) for k in (self._current, *others)]

    def is_current(self, stored: str) -> bool:
        return stored.split(".", 2)[1:2] == [self._current.key_id]
