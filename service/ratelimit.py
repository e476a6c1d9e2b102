"""Per-key rate limiting (moving window), shared by the key check and the idempotency
replays, which answer without reaching a route."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem
from limits.strategies import RateLimiter


def retry_after(limiter: RateLimiter, limit: RateLimitItem, key_id: str) -> int | None:
    """Count one request of this key: None if it is within the limit, else the seconds
    to wait."""
    return None if limiter.hit(limit, key_id) else _seconds_to_reset(limiter, limit, key_id)


def _seconds_to_reset(limiter: RateLimiter, limit: RateLimitItem, *identifiers: str) -> int:
    reset_at, _ = limiter.get_window_stats(limit, *identifiers)
    return max(1, math.ceil(reset_at - time.time()))


@dataclass(frozen=True)
class Budget:
    """A per-key allowance of an outcome that tells the caller something (e.g. that an ID
    number is registered): spent when the outcome happens, checked before trying."""

    limiter: RateLimiter
    item: RateLimitItem
    namespace: str

    def exhausted(self, key_id: str) -> int | None:
        """None while the key has allowance left, else the seconds until it has."""
        if self.limiter.test(self.item, self.namespace, key_id):
            return None
        return _seconds_to_reset(self.limiter, self.item, self.namespace, key_id)

    def spend(self, key_id: str) -> None:
        self.limiter.hit(self.item, self.namespace, key_id)
