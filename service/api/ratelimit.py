"""Per-key rate limiting (moving window), shared by the key check and the idempotency
replays, which answer without reaching a route."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem
from limits.strategies import RateLimiter


def retry_after(limiter: RateLimiter, limit: RateLimitItem, key_id: str) -> int | None:
    """Count one request of this key: None if it is within the limit, else the seconds
    to wait."""
    if limiter.hit(limit, key_id):
        return None
    reset_at, _ = limiter.get_window_stats(limit, key_id)
    return max(1, math.ceil(reset_at - time.time()))
