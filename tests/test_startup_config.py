"""Bad settings at start-up: one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN_KEY, SECRET


def _run(tmp_path: Path, command: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ACCESSMATCH_")}
    base.update(
        {
            "ACCESSMATCH_SECRET_KEY": SECRET,
            "ACCESSMATCH_ADMIN_KEY": ADMIN_KEY,
            "ACCESSMATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        }
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "service.cli", command],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _broken(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


CASES = {
    "rules file not JSON": lambda p: {"ACCESSMATCH_RULES_FILE": _broken(p, "r.json", "{oops")},
    "rules file missing": lambda p: {"ACCESSMATCH_RULES_FILE": str(p / "absent.json")},
    "rules file wrong field": lambda p: {
        "ACCESSMATCH_RULES_FILE": _broken(p, "r.json", '{"graduate_window_years": "x"}')
    },
    "policy file not JSON": lambda p: {
        "ACCESSMATCH_MATCHING_POLICY_FILE": _broken(p, "p.json", "[1, 2")
    },
    "rate limit nonsense": lambda p: {"ACCESSMATCH_RATE_LIMIT": "lots per second"},
    "conflict limit nonsense": lambda p: {
        "ACCESSMATCH_REGISTRATION_CONFLICT_LIMIT": "20 per fortnight"
    },
    "old secrets not a JSON list": lambda p: {"ACCESSMATCH_OLD_SECRET_KEYS": "[not json"},
    "database URL bad": lambda p: {"ACCESSMATCH_DATABASE_URL": "not a url at all"},
    "database dialect unknown": lambda p: {"ACCESSMATCH_DATABASE_URL": "nosuchdb://x/y"},
    "port not a number": lambda p: {"ACCESSMATCH_PORT": "eighty"},
    "secret too short": lambda p: {"ACCESSMATCH_SECRET_KEY": "short"},
}


@pytest.mark.parametrize("command", ["migrate", "serve"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_setting_gives_one_line_and_exit_2(tmp_path: Path, case: str, command: str) -> None:
    result = _run(tmp_path, command, **CASES[case](tmp_path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("accessmatch: configuration error: ")
    assert "Traceback" not in result.stderr


def test_good_settings_still_migrate(tmp_path: Path) -> None:
    result = _run(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
