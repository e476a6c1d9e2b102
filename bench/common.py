"""Helpers shared by the benchmarks: databases, a real uvicorn server, timing, machine info.

Everything runs on loopback.  A benchmark typically does::

    with sqlite_database(tmp) as url:            # or postgres_database(base_url)
        migrate(url)
        with ServiceProcess(url, log_dir=tmp) as server:
            client = server.client()               # httpx.Client with the admin key
            ...
"""

from __future__ import annotations

import math
import os
import platform
import secrets
import socket
import sqlite3
import string
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_URL_ENV = "ACCESSMATCH_TEST_POSTGRES_URL"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
# A valid unified social credit code and a Yangquan district for the benchmark employer.
EMPLOYER = {
    "name": "阳泉市基准测试集团有限公司",
    "credit_code": "91110000600037341L",
    "kind": "soe",
    "district_code": "140302",
    "staff_count": 1200,
    "disabled_staff": 12,
    "severe_disabled_staff": 3,
    "average_annual_wage": 68000,
    "accessibility": ["step_free_access", "accessible_toilet"],
}


class BenchError(RuntimeError):
    """The benchmark cannot go on (server did not start, a request failed, ...)."""


class PostgresUnavailable(BenchError):
    """The PostgreSQL server could not be reached."""


def random_token(length: int = 40) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database(directory: Path, name: str = "bench.db") -> Iterator[str]:
    """A fresh SQLite file under ``directory`` (removed with the directory by the caller)."""
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{path}"


def postgres_base_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


@contextmanager
def postgres_database(base_url: str | None = None) -> Iterator[str]:
    """A fresh schema ``bench_<random>``; yields a URL whose connections use it only.

    The schema goes in the libpq ``options`` parameter (``-csearch_path=...``), which
    psycopg 3 passes through; the schema is dropped (CASCADE) at the end.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    base = make_url(base_url or postgres_base_url())
    schema = f"bench_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(
            f"PostgreSQL at {base.render_as_string(hide_password=True)} is unreachable "
            f"(set {POSTGRES_URL_ENV}): {str(exc.orig).strip()}"
        ) from exc
    given = base.query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else given
    options = " ".join(filter(None, [given, f"-csearch_path={schema}"]))
    url = base.update_query_dict({"options": options}).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    from service.migrate import upgrade

    upgrade(url)


# --------------------------------------------------------------------------- the server


class ServiceProcess:
    """``accessmatch serve`` in a subprocess on 127.0.0.1 and a free port.

    Use as a context manager: the server is stopped (SIGTERM, then SIGKILL) on exit,
    whatever happened inside.  Its output goes to ``<log_dir>/server-<port>.log``.
    """

    def __init__(
        self,
        database_url: str,
        *,
        log_dir: Path,
        workers: int = 1,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.admin_key = random_token(40)
        self.secret_key = random_token(40)
        self.workers = workers
        self.log_path = log_dir / f"server-{self.port}.log"
        self.cwd = cwd or log_dir
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESSMATCH_")}
        env.update(
            {
                "ACCESSMATCH_DATABASE_URL": self.database_url,
                "ACCESSMATCH_SECRET_KEY": self.secret_key,
                "ACCESSMATCH_ADMIN_KEY": self.admin_key,
                "ACCESSMATCH_RATE_LIMIT": "100000/minute",
                "ACCESSMATCH_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = READY_TIMEOUT_S) -> None:
        command = [
            sys.executable,
            "-m",
            "service.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                env=self.environment(),
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise BenchError(
                        f"server exited with {self.process.returncode} before "
                        f"it was ready:\n{self.log_tail()}"
                    )
                try:
                    response = client.get("/readyz")
                    if response.status_code == 200:
                        return
                    last = f"{response.status_code} {response.text[:200]}"
                except httpx.TransportError as exc:
                    last = repr(exc)
                time.sleep(0.1)
        raise BenchError(f"server not ready after {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, timeout=timeout, headers={"X-API-Key": self.admin_key}
        )

    def __enter__(self) -> ServiceProcess:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def expect(response: httpx.Response, status: int, what: str) -> Any:
    """The JSON body of a response with the expected status, or a loud BenchError."""
    if response.status_code != status:
        raise BenchError(
            f"{what}: expected HTTP {status}, got {response.status_code}: {response.text[:1000]}"
        )
    return response.json()


def create_employer(client: httpx.Client, **overrides: Any) -> str:
    body = expect(
        client.post("/v1/employers", json={**EMPLOYER, **overrides}), 201, "POST /v1/employers"
    )
    return str(body["id"])


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> None:
    """A plain-text table; ``align`` has one ``l``/``r`` per column (default: first left)."""
    align = align or "l" + "r" * (len(headers) - 1)
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c + " " * (w - _width(c)) if a == "l" else " " * (w - _width(c)) + c
            for c, w, a in zip(row, widths, align, strict=True)
        ).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _width(text: str) -> int:
    # East Asian characters take two columns in a terminal; "×" takes one.
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    versions = []
    for dist in ("fastapi", "uvicorn", "pydantic", "sqlalchemy", "sqlmodel", "psycopg", "httpx"):
        with suppress(metadata.PackageNotFoundError):
            versions.append(f"{dist} {metadata.version(dist)}")
    return {
        "nproc": f"{usable} usable ({os.cpu_count()} total)",
        "load average": load_average(),
        "cpu": cpu,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "packages": ", ".join(versions),
    }


def load_average() -> str:
    """1/5/15-minute load: other work on the machine (a test suite, ...) skews the numbers."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def print_machine_info(extra: dict[str, str] | None = None) -> None:
    info = {**machine_info(), **(extra or {})}
    width = max(map(len, info))
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")
