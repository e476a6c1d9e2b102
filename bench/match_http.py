"""HTTP load on GET /v1/seekers/{id}/matches: a real server on loopback, a bounded load.

The load generator is ``wrk`` (one thread, N connections, a Lua script drawing a random
seeker per request) when it is on PATH, else this module's own asyncio client (raw
HTTP/1.1 keep-alive, N connections) in a separate process::

    python -m bench.match_http --port P --ids-file F --seconds S --connections N

(the API key comes in the environment variable ``MATCH_BENCH_KEY``).  Either way the load
stops by itself after ``seconds``; every request goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "MATCH_BENCH_KEY"


@dataclass
class LoadResult:
    client: str
    connections: int
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


MATCHES = "/v1/seekers/{}/matches?limit=20"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (Linux /proc)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            continue
        parts = stat.rsplit(")", 1)[1].split()
        total += (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
        todo += _children(current)
    return total


def path_of(seeker_id: str, template: str = MATCHES) -> str:
    return template.format(seeker_id)


def warm_up(
    base_url: str, key: str, ids: list[str], threads: int = 4
) -> tuple[Counter[int], list[str], list[int]]:
    """Every seeker once (fills both workers' indexes and caches); status counts, the ids
    that answered 200 and their eligible counts."""
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key}, timeout=120) as client:

        def one(seeker_id: str) -> tuple[str, int, int]:
            response = client.get(path_of(seeker_id))
            eligible = response.json().get("eligible_count", 0) if response.is_success else 0
            return seeker_id, response.status_code, int(eligible)

        with ThreadPoolExecutor(threads) as pool:
            answers = list(pool.map(one, ids))
    statuses = Counter(status for _, status, _ in answers)
    good = [i for i, status, _ in answers if status == 200]
    return statuses, good, [e for _, status, e in answers if status == 200]


# --------------------------------------------------------------------------- wrk

_LUA = """
wrk.headers["X-API-Key"] = "%(key)s"
local ids = {%(ids)s}
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", "%(prefix)s" .. ids[math.random(#ids)] .. "%(suffix)s")
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, '
    .. '"p99_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, '
    .. '"timeout": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def run_wrk(
    port: int, key: str, ids: list[str], seconds: float, connections: int, template: str = MATCHES
) -> LoadResult:
    prefix, suffix = template.split("{}")
    with tempfile.TemporaryDirectory(prefix="match-wrk-") as tmp:
        script = Path(tmp) / "matches.lua"
        script.write_text(
            _LUA
            % {
                "key": key,
                "seed": 20261123,
                "prefix": prefix,
                "suffix": suffix,
                "ids": ", ".join(f'"{i}"' for i in ids),
            }
        )
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    line = next((row for row in done.stdout.splitlines() if row.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    r = json.loads(line[len("RESULT ") :])
    errors = {k: int(r[k]) for k in ("connect", "read", "write", "status", "timeout") if r[k]}
    if "status" in errors:
        errors["non-2xx/3xx"] = errors.pop("status")
    return LoadResult(
        "wrk",
        connections,
        r["duration_us"] / 1e6,
        int(r["requests"]),
        r["p50_us"] / 1e3,
        r["p99_us"] / 1e3,
        errors,
    )


# --------------------------------------------------------------------------- asyncio client


async def _connection(
    port: int,
    key: str,
    paths: list[str],
    deadline: float,
    rng: random.Random,
    latencies: list[float],
    statuses: Counter[str],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            request = (
                f"GET {paths[rng.randrange(len(paths))]} HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nX-API-Key: {key}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(row.split(b":", 1)[1])
                    for row in head.split(b"\r\n")
                    if row.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is None:
                raise RuntimeError("response without Content-Length")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(head[9:12])
            statuses["ok" if 200 <= status < 300 else f"HTTP {status}"] += 1
    except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
        statuses[type(exc).__name__] += 1
    finally:
        writer.close()


async def _load(
    port: int, key: str, paths: list[str], seconds: float, connections: int
) -> dict[str, object]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(port, key, paths, deadline, random.Random(n), latencies, statuses)
            for n in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return (
            latencies[max(0, int(q / 100 * len(latencies) + 0.5) - 1)] * 1e3
            if latencies
            else float("nan")
        )

    return {
        "seconds": elapsed,
        "requests": len(latencies),
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "errors": {k: v for k, v in statuses.items() if k != "ok"},
    }


def run_python_client(
    port: int, key: str, ids: list[str], seconds: float, connections: int, template: str = MATCHES
) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="match-load-") as tmp:
        ids_file = Path(tmp) / "ids.txt"
        ids_file.write_text("\n".join(ids))
        command = [
            sys.executable,
            "-m",
            "bench.match_http",
            "--port",
            str(port),
            "--ids-file",
            str(ids_file),
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
            "--template",
            template,
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, KEY_ENV: key},
            timeout=seconds + 60,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"load client failed ({done.returncode}): {done.stderr[-2000:]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(
        "asyncio", connections, r["seconds"], r["requests"], r["p50_ms"], r["p99_ms"], r["errors"]
    )


def run_load(
    client: str,
    port: int,
    key: str,
    ids: list[str],
    seconds: float,
    connections: int,
    template: str = MATCHES,
) -> LoadResult:
    """``template`` is the path with ``{}`` where each request's random id goes."""
    if client == "wrk" or (client == "auto" and shutil.which("wrk")):
        return run_wrk(port, key, ids, seconds, connections, template)
    return run_python_client(port, key, ids, seconds, connections, template)


def main() -> int:
    parser = argparse.ArgumentParser(description="asyncio load client (internal)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ids-file", type=Path, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--template", default=MATCHES)
    args = parser.parse_args()
    paths = [path_of(i, args.template) for i in args.ids_file.read_text().split()]
    result = asyncio.run(
        _load(args.port, os.environ[KEY_ENV], paths, min(args.seconds, 120.0), args.connections)
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
