"""Layers point down only: services, repositories, models and matching never import the
API layer or the web framework (their errors live in service/errors.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
LOWER = ["services", "repositories", "models", "matching"]
FORBIDDEN = ("service.api", "fastapi", "starlette")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", LOWER)
def test_lower_layers_do_not_import_the_api(layer: str) -> None:
    offenders = {
        f"{path.relative_to(SERVICE)}: {name}"
        for path in sorted((SERVICE / layer).rglob("*.py"))
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    }
    assert not offenders, sorted(offenders)


def test_the_domain_errors_need_no_web_framework() -> None:
    for module in (
        "errors.py",
        "ratelimit.py",
        "context.py",
        "access.py",
        "rules.py",
        "profile.py",
    ):
        assert not {n for n in _imports(SERVICE / module) if n.startswith(FORBIDDEN)}, module


def _imported_modules(path: Path) -> set[str]:
    """Like ``_imports``, plus ``package.name`` for each ``from package import name``."""
    names = _imports(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_serving_engine_does_not_import_the_offline_parts() -> None:
    """service/matching/*.py (the engine the service ranks with) never reaches into
    service/matching/offline/ (simulation, worlds, training, reports)."""
    engine = sorted((SERVICE / "matching").glob("*.py"))
    assert len(engine) > 5, "no serving-engine modules found"
    offenders = {
        f"{path.relative_to(SERVICE)}: {name}"
        for path in engine
        for name in _imported_modules(path)
        if name.startswith("service.matching.offline")
    }
    assert not offenders, sorted(offenders)
