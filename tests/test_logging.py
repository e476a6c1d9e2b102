"""Log lines carry no personal data, zoned times and no colour codes, on both databases."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.db import make_engine
from service.logging import configure_logging

SECRET = "1990-05-17|37.861234,113.581234|SECRET-NAME"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging("INFO", json_output=True)
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    yield out
    root.handlers[:] = saved
    root.setLevel(level)


def test_a_database_error_logs_no_bound_values(db_url: str, captured: io.StringIO) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE TEMPORARY TABLE t_log (v VARCHAR(10) UNIQUE)"))
            conn.execute(sa.text("INSERT INTO t_log VALUES ('x')"))
            try:
                conn.execute(
                    sa.text("INSERT INTO t_log VALUES ('x') RETURNING :secret"), {"secret": SECRET}
                )
            except sa.exc.DBAPIError as exc:
                try:
                    raise RuntimeError(f"wrapped {SECRET}") from exc
                except RuntimeError:
                    logging.getLogger("accessmatch.errors").exception(
                        "unhandled error", extra={"color_message": "\x1b[31mred\x1b[0m"}
                    )
    finally:
        engine.dispose()
    text = captured.getvalue()
    assert "IntegrityError" in text and "RuntimeError" in text  # the classes are there
    for piece in ("1990-05-17", "37.861234", "113.581234", "SECRET-NAME"):
        assert piece not in text
    assert "\x1b" not in text and "\\u001b" not in text
    line = json.loads(text.splitlines()[0])
    assert line["time"].endswith("+00:00")


def test_the_access_line_names_the_key_id_not_the_key(
    client: TestClient, captured: io.StringIO
) -> None:
    assert client.get("/v1/vacancies").status_code == 200
    lines = [json.loads(x) for x in captured.getvalue().splitlines()]
    access = [x for x in lines if x.get("logger") == "accessmatch.access"]
    assert access and access[-1]["key_id"].startswith("key_")
    assert access[-1]["time"].endswith("+00:00")
    assert client.headers["X-API-Key"] not in captured.getvalue()
