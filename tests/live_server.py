"""A real ``uvicorn service.main:app`` process on a free port, for tests that need one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ADMIN_KEY, SECRET

ROOT = Path(__file__).resolve().parents[1]


class Server:
    """One ``uvicorn service.main:app`` process on a free port."""

    def __init__(self, db_url: str, log: Path, **env: str) -> None:
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
            **env,
        }
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
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited during start-up"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server never became ready")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": ADMIN_KEY}, timeout=120)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self._log.close()
