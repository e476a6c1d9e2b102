"""The product itself at scale: the statistics services (SQL, suppression, the table) on
a real Session, computed afresh, and routes through the ASGI app over an analyst key, both
computed (the write generation moved before each request) and answered from the stored
summary (the same request again).  Whatever is not
written yet, or has changed shape, is reported as such and skipped."""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bench.common import percentile
from bench.stats_cases import PAST, YEAR
from bench.stats_measure import Recorder, Timing, time_case
from service.clock import today_in_china

ANALYST_SECRET = "am_stats_bench_analyst_0123456789abcdef"  # the bench database's own key
HTTP_ROUTES = (
    "/v1/stats/seekers?by=district&by=category&by=grade&by=status",
    f"/v1/stats/seekers?by=district&by=status&as_of={PAST}",
    "/v1/stats/seekers?by=district&by=priority_group",
    f"/v1/stats/employment?by=district&by=form&year_from={YEAR}",
    f"/v1/stats/funnel?by=district&year_from={YEAR}",
    f"/v1/stats/four-ones?year={YEAR}",
    f"/v1/stats/follow-ups?year={YEAR}",
    "/v1/stats/employment-rate?definition=able_to_work&by_district=true",
    f"/v1/stats/quota?year={YEAR}&district_level=county",
    "/v1/stats/targets",
)


def computed(answer: Callable[..., Any]) -> Callable[..., Any]:
    """The statistic computed afresh, without its stored summary (services/stats_summary)."""
    return getattr(answer, "__wrapped__", answer)


def _services() -> dict[str, Callable[[Session, Any, Any], Any]]:
    from service.models.stats import DistrictLevel

    county = DistrictLevel.county
    seekers = importlib.import_module("service.services.stats_seekers")
    casework = importlib.import_module("service.services.stats_casework")
    rates = importlib.import_module("service.services.stats_rates")
    registry = importlib.import_module("service.services.stats_registry")
    common = {"district": None, "district_level": county}
    dcgs = ["district", "category", "grade", "status"]

    def definition(name: str) -> Any:
        return importlib.import_module("service.models.stats").RateDefinition(name)

    return {
        "svc seekers now": lambda s, c, p: computed(seekers.seekers_table)(
            s, c, p, by=dcgs, filters={}, as_of=None, **common
        ),
        "svc seekers as of": lambda s, c, p: computed(seekers.seekers_table)(
            s, c, p, by=dcgs, filters={}, as_of=PAST, **common
        ),
        "svc seekers groups": lambda s, c, p: computed(seekers.seekers_table)(
            s, c, p, by=["district", "priority_group"], filters={}, as_of=None, **common
        ),
        "svc new employment": lambda s, c, p: computed(casework.new_employment_table)(
            s, c, p, by=["district", "form"], filters={}, years=[YEAR], **common
        ),
        "svc funnel": lambda s, c, p: computed(casework.funnel_table)(
            s, c, p, by=["district"], filters={}, years=[YEAR], **common
        ),
        "svc training": lambda s, c, p: computed(casework.training_table)(
            s, c, p, by=["district", "kind"], filters={}, years=[YEAR], **common
        ),
        "svc follow-ups": lambda s, c, p: computed(casework.follow_up_table)(
            s, c, p, year=YEAR, **common
        ),
        "svc four ones": lambda s, c, p: computed(rates.four_ones_table)(
            s, c, p, year=YEAR, **common
        ),
        "svc rate able": lambda s, c, p: computed(rates.employment_rate_table)(
            s, c, p, definition=definition("able_to_work"), by=["district"], as_of=None, **common
        ),
        "svc vacancies": lambda s, c, p: registry.vacancies_table(
            s, p, by=["district"], filters={}, **common
        ),
        "svc employers": lambda s, c, p: registry.employers_table(
            s, p, by=["district", "kind"], filters={}, **common
        ),
    }


def _context_and_principal() -> tuple[Any, Any]:
    from service.access import Principal
    from service.context import Context
    from service.models.crypto import Cipher
    from service.models.enums import Role
    from service.rules import DomainRules

    ctx = Context(cipher=Cipher("stats-bench-secret-" + "x" * 40), rules=DomainRules())
    principal = Principal(
        key_id="key_stats_bench", role=Role.analyst, name="stats bench", owner_id="key_stats_bench"
    )
    return ctx, principal


def service_timings(engine: sa.Engine, recorder: Recorder, *, runs: int) -> list[Timing]:
    try:
        services = _services()
        ctx, principal = _context_and_principal()
    except Exception as exc:
        print(f"  the services cannot be imported yet: {type(exc).__name__}: {exc}")
        return []
    out = []
    with engine.connect() as conn, Session(bind=conn) as session:
        for name, call in services.items():
            timing = time_case(
                session,
                recorder,
                name,
                lambda s, call=call: call(s, ctx, principal),
                runs=min(runs, 3),
            )
            out.append(timing)
            if timing.error:
                print(f"  {name:<22} ERROR {timing.error}", flush=True)
            else:
                print(
                    f"  {name:<22} median {timing.median:7.0f} ms  p95 {timing.p95:7.0f} ms  "
                    f"SQL {timing.sql_median:7.0f} ms  cells {timing.rows:>7,}",
                    flush=True,
                )
    return out


def http_timings(url: str, *, runs: int) -> None:
    """Routes through the ASGI app (TestClient, no lifespan: no match index is built), with
    the service's own settings (its 5 s statement timeout among them)."""
    try:
        from fastapi.testclient import TestClient

        from service import generation
        from service.config import Settings
        from service.db import make_engine
        from service.main import create_app
        from service.models.enums import Role
        from service.services import api_keys
    except Exception as exc:
        print(f"  the app cannot be imported: {type(exc).__name__}: {exc}")
        return
    engine = make_engine(url)
    with Session(engine) as session:
        api_keys.ensure(session, ANALYST_SECRET, role=Role.analyst, name="stats bench analyst")
        session.commit()
    settings = Settings(
        database_url=url, secret_key="stats-bench-secret-" + "x" * 40, rate_limit="100000/minute"
    )
    try:
        client = TestClient(create_app(settings), headers={"X-API-Key": ANALYST_SECRET})
    except Exception as exc:
        print(f"  the app does not start: {type(exc).__name__}: {exc}")
        return
    for route in HTTP_ROUTES:
        computed_ms, stored_ms, status, size = [], [], 0, 0
        for attempt in range(runs + 1):  # computed: the generation moved before each
            generation.advance_engine(engine)
            status, size, elapsed = _timed_get(client, route)
            if status != 200:
                break
            if attempt:  # the first is the warm-up
                computed_ms.append(elapsed)
        for _ in range(runs):  # the same question again, nothing written: the stored answer
            status, size, elapsed = _timed_get(client, route)
            stored_ms.append(elapsed)
        if status != 200:
            print(f"  {route}: HTTP {status}")
            continue
        print(
            f"  GET {route}: computed median {_median(computed_ms):.0f} ms, p95 "
            f"{percentile(computed_ms, 95):.0f} ms; stored median {_median(stored_ms):.0f} ms, "
            f"p95 {percentile(stored_ms, 95):.0f} ms; {size:,} bytes"
        )
    engine.dispose()


def _timed_get(client: Any, route: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    response = client.get(route)
    elapsed = (time.perf_counter() - started) * 1000
    return response.status_code, len(response.content), elapsed


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def product_section(args: argparse.Namespace, engine: sa.Engine, recorder: Recorder) -> None:
    print(
        f"\n== the services on a real Session (default settings, migrations' indexes; "
        f"{today_in_china()})"
    )
    service_timings(engine, recorder, runs=args.runs)
    print("\n== through HTTP (the ASGI app, an analyst key)")
    http_timings(args.url, runs=min(args.runs, 3))
