"""What services need besides the session: the cipher and the domain rules."""

from __future__ import annotations

from dataclasses import dataclass

from service.models.crypto import Cipher
from service.rules import DomainRules


@dataclass(frozen=True)
class Context:
    cipher: Cipher
    rules: DomainRules
