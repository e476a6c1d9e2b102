"""What services need besides the session: the cipher and the domain rules."""

from __future__ import annotations

from dataclasses import dataclass

from service.models.crypto import Cipher
from service.ratelimit import Budget
from service.rules import DomainRules


@dataclass(frozen=True)
class Context:
    cipher: Cipher
    rules: DomainRules
    # How often a partner or kiosk key may learn that an ID number is already registered
    # (a 409 on registration); None outside the HTTP service (demo data, commands).
    registration_probes: Budget | None = None
    # Counts of people below this are suppressed in statistics (Settings.stats_threshold).
    stats_threshold: int = 5
    # A stored statistic's age limit (Settings.stats_summary_max_age_seconds); 0: never stored.
    stats_summary_max_age_seconds: int = 3600
    # How old a stored statistic this caller accepts though records were written since
    # (a request's Cache-Control: max-age); 0: figures as of the last write.
    stats_accepted_age_seconds: int = 0
