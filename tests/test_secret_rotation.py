"""Rotating ACCESSMATCH_SECRET_KEY: old secrets still decrypt and still guard uniqueness
until `accessmatch rotate-secrets` re-encrypts everything with the new one."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import config as config_module
from service.cli import main as cli_main
from service.main import create_app
from tests.conftest import ADMIN_KEY, SECRET, make_settings
from tests.factories import seeker_body

NEW_SECRET = "a-brand-new-secret-0123456789-abcdefghij"


def _key_ids(raw_db: sa.Engine) -> set[str]:
    with raw_db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT name_enc, id_number_enc, certificate_enc, phone_enc FROM seeker")
        ).all()
    return {value.split(".")[1] for row in rows for value in row if value}


def test_rotation_keeps_data_readable_and_unique(
    db_url: str,
    raw_db: sa.Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old_app = create_app(make_settings(db_url))
    with TestClient(old_app, headers={"X-API-Key": ADMIN_KEY}) as client:
        created = client.post("/v1/seekers", json=seeker_body()).json()
    old_app.state.engine.dispose()
    old_ids = _key_ids(raw_db)
    assert len(old_ids) == 1

    rotated = make_settings(db_url, secret_key=NEW_SECRET, old_secret_keys=[SECRET])
    app = create_app(rotated)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        assert client.get(f"/v1/seekers/{created['id']}").json()["name"] == created["name"]
        assert client.post("/v1/seekers", json=seeker_body()).status_code == 409
    app.state.engine.dispose()

    monkeypatch.setenv("ACCESSMATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("ACCESSMATCH_SECRET_KEY", NEW_SECRET)
    monkeypatch.setenv("ACCESSMATCH_OLD_SECRET_KEYS", json.dumps([SECRET]))
    config_module.get_settings.cache_clear()
    try:
        assert cli_main(["rotate-secrets"]) == 0
    finally:
        config_module.get_settings.cache_clear()
    assert json.loads(capsys.readouterr().out) == {"re_encrypted_seekers": 1}
    new_ids = _key_ids(raw_db)
    assert len(new_ids) == 1 and new_ids != old_ids

    only_new = create_app(make_settings(db_url, secret_key=NEW_SECRET))
    with TestClient(only_new, headers={"X-API-Key": ADMIN_KEY}) as client:
        assert client.get(f"/v1/seekers/{created['id']}").json()["name"] == created["name"]
        assert client.post("/v1/seekers", json=seeker_body()).status_code == 409
    only_new.state.engine.dispose()
