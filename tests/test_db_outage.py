"""A database that goes away or stops answering: every request answers 503 problem+json
with Retry-After within a bounded time (never 500, never a hang), /readyz answers at
once, the service recovers within seconds, and a process started while the database is
down starts, reports unready and becomes ready when it returns.  PostgreSQL through a
switchable TCP proxy and real server processes; SQLite with a writer holding the lock."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.db import is_database_unavailable, make_engine
from service.main import create_app
from service.migrate import upgrade
from tests.conftest import ADMIN_KEY, POSTGRES_URL, SECRET, assert_problem, make_settings
from tests.factories import employer_body

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD = 10.0  # a functional bound: "answers at all", far below the 40 s hang of old
READY_GUARD = 2.0
RECOVERY = 15.0
FORWARD, REFUSE, BLACK_HOLE = "forward", "refuse", "black-hole"


class Proxy:
    """TCP proxy to PostgreSQL that forwards, refuses connections (nothing listens), or
    is a black hole (accepts and swallows everything, answers nothing: a stopped server
    whose kernel still acknowledges)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._stopped = False
        self.port = 0
        self._listen()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def set(self, mode: str) -> None:
        with self._lock:
            previous, self.mode = self.mode, mode
            if mode != BLACK_HOLE or previous == REFUSE:
                # The server went away (or came back): its old connections are dead.
                self._close_connections()
            if mode == REFUSE and self._listener is not None:
                self._listener.close()
                self._listener = None
        if mode != REFUSE and self._listener is None:
            self._listen()

    def close(self) -> None:
        self._stopped = True
        self.set(REFUSE)

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _accept_loop(self) -> None:
        while not self._stopped:
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except OSError:  # a timeout, or the listener was closed meanwhile
                continue
            client.settimeout(None)
            with self._lock:
                self._sockets.append(client)
                if self.mode != FORWARD:
                    continue  # held open, never read, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.mode == FORWARD:
                    sink.sendall(data)
                # otherwise swallowed: the other side hears nothing
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_RDWR)

    def _close_connections(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()


class Server:
    """One ``uvicorn service.main:app`` process on a free port (not awaited ready)."""

    def __init__(self, db_url: str, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {
            **os.environ,
            "ACCESSMATCH_DATABASE_URL": db_url,
            "ACCESSMATCH_SECRET_KEY": SECRET,
            "ACCESSMATCH_ADMIN_KEY": ADMIN_KEY,
            "ACCESSMATCH_RATE_LIMIT": "100000/minute",
            "ACCESSMATCH_LOG_JSON": "false",
            "ACCESSMATCH_DB_CONNECT_TIMEOUT_SECONDS": "1",
            "ACCESSMATCH_DB_STATEMENT_TIMEOUT_SECONDS": "1",
        }
        self.log = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "service.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", headers={"X-API-Key": ADMIN_KEY}, timeout=60
        )

    def wait_until(self, condition: Callable[[], bool], within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if condition():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"not so within {within} s:\n{self.log.read_text()[-3000:]}")

    def ready(self) -> bool:
        return self.http.get("/readyz").status_code == 200

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._log.close()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A private, migrated schema: the URL's search_path names it."""
    schema = f"outage_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    upgrade(_with_search_path(POSTGRES_URL, schema))
    yield schema
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    url = sa.make_url(POSTGRES_URL)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _through(proxy: Proxy, schema: str) -> str:
    url = sa.make_url(POSTGRES_URL).set(host="127.0.0.1", port=proxy.port)
    return _with_search_path(url.render_as_string(hide_password=False), schema)


def _assert_unavailable(response: httpx.Response, elapsed: float) -> None:
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert elapsed < HANG_GUARD, f"answered only after {elapsed:.1f} s"


def _timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _check_outage(server: Server) -> None:
    """While the database is unavailable: 503s with Retry-After, promptly, never 500."""
    for _ in range(3):  # the first meets pooled connections, the next fresh ones
        _assert_unavailable(*_timed(lambda: server.http.get("/v1/employers")))
    # The Idempotency-Key claim runs in a middleware, before any route.
    _assert_unavailable(
        *_timed(
            lambda: server.http.post(
                "/v1/employers", json=employer_body(), headers={"Idempotency-Key": uuid.uuid4().hex}
            )
        )
    )
    for _ in range(3):  # a probe that hangs does not hold the next /readyz
        response, elapsed = _timed(lambda: server.http.get("/readyz"))
        assert_problem(response, 503)
        assert elapsed < READY_GUARD, f"/readyz took {elapsed:.1f} s"


@pytest.mark.parametrize("outage", [REFUSE, BLACK_HOLE])
def test_postgres_outage_answers_503_and_recovers(
    outage: str, proxy: Proxy, pg_schema: str, servers: list[Server], tmp_path: Path
) -> None:
    server = Server(_through(proxy, pg_schema), tmp_path / "server.log")
    servers.append(server)
    server.wait_until(server.ready, 90)
    assert server.http.get("/v1/employers").status_code == 200

    proxy.set(outage)
    _check_outage(server)

    proxy.set(FORWARD)
    server.wait_until(lambda: server.http.get("/v1/employers").status_code == 200, RECOVERY)
    created = server.http.post("/v1/employers", json=employer_body())
    assert created.status_code == 201, created.text
    server.wait_until(server.ready, RECOVERY)
    assert "unhandled error" not in server.log.read_text()


@pytest.mark.parametrize("outage", [REFUSE, BLACK_HOLE])
def test_postgres_start_while_down_becomes_ready(
    outage: str, proxy: Proxy, pg_schema: str, servers: list[Server], tmp_path: Path
) -> None:
    proxy.set(outage)
    server = Server(_through(proxy, pg_schema), tmp_path / "server.log")
    servers.append(server)
    server.wait_until(lambda: server.http.get("/healthz").status_code == 200, 90)
    _check_outage(server)

    proxy.set(FORWARD)
    server.wait_until(server.ready, RECOVERY)
    # The admin key, never stored in this fresh schema, was stored once the database came.
    assert server.http.get("/v1/employers").status_code == 200
    assert "unhandled error" not in server.log.read_text()


@contextlib.contextmanager
def _write_lock(db_url: str, table: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or an exclusive lock on ``table``
    (PostgreSQL) until the block ends."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(sa.make_url(db_url).database or "", isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def test_sqlite_locked_database_answers_503(servers: list[Server], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    server = Server(url, tmp_path / "server.log")
    servers.append(server)
    server.wait_until(server.ready, 90)
    with _write_lock(url, "employer"):
        # Before: a 30 s busy wait, then a 500.
        _assert_unavailable(
            *_timed(lambda: server.http.post("/v1/employers", json=employer_body()))
        )
    created = server.http.post("/v1/employers", json=employer_body())
    assert created.status_code == 201, created.text
    assert "unhandled error" not in server.log.read_text()


@pytest.fixture
def short_client(db_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(db_url, db_statement_timeout_seconds=1))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        yield client
    app.state.engine.dispose()


def test_locked_table_answers_503_with_retry_after(short_client: TestClient, db_url: str) -> None:
    with _write_lock(db_url, "employer"):
        response = short_client.post("/v1/employers", json=employer_body())
    body = assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert "employer" not in body["detail"] and "SQL" not in body["detail"]
    assert short_client.post("/v1/employers", json=employer_body()).status_code == 201


def test_locked_idempotency_claim_answers_503(short_client: TestClient, db_url: str) -> None:
    """The claim is made by the Idempotency middleware, outside the exception handlers."""
    headers = {"Idempotency-Key": "outage-1"}
    with _write_lock(db_url, "idempotency_record"):
        response = short_client.post("/v1/employers", json=employer_body(), headers=headers)
    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    retried = short_client.post("/v1/employers", json=employer_body(), headers=headers)
    assert retried.status_code == 201, retried.text


def _error_of(engine: sa.Engine, statement: str) -> Exception:
    with pytest.raises(Exception) as caught, engine.begin() as conn:
        conn.execute(sa.text(statement))
    return caught.value


def test_is_database_unavailable_tells_outages_from_faults(db_url: str) -> None:
    engine = make_engine(db_url, statement_timeout=0.5)
    try:
        with _write_lock(db_url, "employer"):
            locked = _error_of(engine, "DELETE FROM employer")
        assert is_database_unavailable(locked)
        assert not is_database_unavailable(_error_of(engine, "SELECT * FROM no_such_table"))
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE TEMPORARY TABLE once (id INTEGER PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO once VALUES (1)"))
            with pytest.raises(sa.exc.IntegrityError) as duplicate:
                conn.execute(sa.text("INSERT INTO once VALUES (1)"))
            conn.rollback()
        assert not is_database_unavailable(duplicate.value)
    finally:
        engine.dispose()
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(sa.exc.OperationalError) as refused, down.connect():
        pass
    assert is_database_unavailable(refused.value)
    assert not is_database_unavailable(ValueError("not a database error"))
