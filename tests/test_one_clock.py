"""Every "now" and "today" comes from the one clock (service/clock.py).

A run that read the machine's date in one place and Beijing's in another failed between
16:00 and 24:00 UTC, when the two are different days. This scans the code for calls that
read the time behind the clock's back."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from service import clock

ROOT = Path(__file__).resolve().parents[1]
# Durations and log stamps may read the machine: they never become a date in the records.
# The suite's pinning of the day, and this test, read the machine to move the clock.
ALLOWED = {
    ("service/ratelimit.py", "time.time"),
    ("service/logging.py", "fromtimestamp"),
    ("tests/conftest.py", "datetime.now"),
    ("tests/test_one_clock.py", "datetime.now"),
}
FORBIDDEN = {
    "date.today",
    "datetime.now",
    "datetime.utcnow",
    "datetime.today",
    "time.time",
    "fromtimestamp",
}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            hit = next((f for f in FORBIDDEN if name == f or name.endswith("." + f)), None)
            if hit and (str(path.relative_to(ROOT)), hit) not in ALLOWED:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}()")
    return found


def test_nothing_reads_the_time_behind_the_clock() -> None:
    files = [
        p
        for folder in ("service", "tests", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if p != ROOT / "service" / "clock.py"
    ]
    assert len(files) > 100
    found = [hit for p in files for hit in _clock_reads(p)]
    assert found == []


def test_the_scan_sees_a_forbidden_read() -> None:
    sample = ROOT / "tests" / "_clock_scan_sample.py"
    sample.write_text("import datetime as dt\nday = dt.date.today()\n", encoding="utf-8")
    try:
        assert _clock_reads(sample) == ["tests/_clock_scan_sample.py:2: dt.date.today()"]
    finally:
        sample.unlink()


def test_today_is_beijings_day_of_the_moved_clock() -> None:
    before = clock.offset().total_seconds()
    real = dt.datetime.now(dt.UTC)
    # 15:59:59 UTC is 23:59:59 in Beijing; a second later it is the next day there.
    last_second = real.replace(hour=15, minute=59, second=59, microsecond=0)
    try:
        clock.set_offset((last_second - real).total_seconds())
        first = clock.today_in_china()
        clock.set_offset((last_second - real).total_seconds() + 1.5)
        assert clock.today_in_china() == first + dt.timedelta(days=1)
        assert clock.utcnow().date() == first
    finally:
        clock.set_offset(before)


def test_a_bad_offset_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.OFFSET_ENV, "ten")
    with pytest.raises(ValueError, match=clock.OFFSET_ENV):
        clock._offset_from_env()
