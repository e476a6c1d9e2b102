"""The service's one clock: every timestamp and every "today" comes from here.

China has one time zone and no daylight saving time, so "today" is today in Beijing.
``ACCESSMATCH_CLOCK_OFFSET_SECONDS`` moves the clock by a fixed amount (it still runs at
real speed): the test suite uses it so a run never crosses midnight in Beijing, and a fair
rehearsal can use it to play a day ahead. Production leaves it unset; the service logs a
warning when it is not zero.
"""

from __future__ import annotations

import datetime as dt
import os
import time

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")
OFFSET_ENV = "ACCESSMATCH_CLOCK_OFFSET_SECONDS"


def _offset_from_env() -> dt.timedelta:
    raw = os.environ.get(OFFSET_ENV, "").strip()
    if not raw:
        return dt.timedelta(0)
    try:
        return dt.timedelta(seconds=float(raw))
    except ValueError as exc:  # a typo must not silently leave the clock unshifted
        raise ValueError(f"{OFFSET_ENV} must be a number of seconds, not {raw!r}") from exc


_offset = _offset_from_env()


def offset() -> dt.timedelta:
    return _offset


def set_offset(seconds: float) -> None:
    """Move the clock in this process and in the processes it starts from now on."""
    global _offset
    _offset = dt.timedelta(seconds=seconds)
    os.environ[OFFSET_ENV] = repr(seconds)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _offset


def epoch_ms() -> int:
    """Milliseconds since 1970 (what ids sort by): the clock read as a number."""
    return int((time.time() + _offset.total_seconds()) * 1000)


def china_now() -> dt.datetime:
    return utcnow().astimezone(CHINA_TZ)


def today_in_china() -> dt.date:
    return china_now().date()
