"""A statistics table as JSON or, when the client prefers it (``Accept: text/csv``), CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Request, Response

from service.api.deps import json_response
from service.errors import NotAcceptable
from service.models.stats import StatsTable
from service.models.stats_quota import QuotaStats

CSV = "text/csv"
JSON = "application/json"

# The 200 answer of a statistics route: the JSON model, or the same table as CSV.
CSV_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV: {
                "schema": {
                    "type": "string",
                    "description": "one row per cell: the `by` columns, count, "
                    "suppressed, then denominator and value",
                }
            }
        }
    }
}


def _preference(accept: str) -> str:
    """JSON or CSV, by the client's q-values; JSON on a tie or when nothing is said."""
    best: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in accept.split(","))):
        media, *params = (x.strip() for x in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        for offered in (JSON, CSV):
            kind = offered.split("/")[0]
            if media.lower() in (offered, f"{kind}/*", "*/*"):
                best[offered] = max(best.get(offered, 0.0), q)
    if not accept.strip():
        return JSON
    acceptable = {m: q for m, q in best.items() if q > 0}
    if not acceptable:
        raise NotAcceptable("this answer is available as application/json or text/csv")
    return CSV if acceptable.get(CSV, 0) > acceptable.get(JSON, 0) else JSON


def to_csv(table: StatsTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*table.by, "count", "suppressed", "denominator", "value"])
    for cell in [*table.cells, table.total]:
        label = (
            [cell.key.get(n, "") for n in table.by]
            if cell.key or not table.by
            else (["total", *[""] * (len(table.by) - 1)])
        )
        writer.writerow(
            [
                *label,
                "" if cell.count is None else cell.count,
                str(cell.suppressed).lower(),
                "" if cell.denominator is None else cell.denominator,
                "" if cell.value is None else repr(cell.value),
            ]
        )
    return out.getvalue()


# The quota answer as CSV: its district table, one row per district and a last row total.
QUOTA_CSV_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV: {
                "schema": {
                    "type": "string",
                    "description": "one row per district of `by_district` (district, "
                    "employers, not_declared, assessed, below_quota, shortfall, "
                    "levy_due), then total",
                }
            }
        }
    }
}
QUOTA_COLUMNS = ("employers", "not_declared", "assessed", "below_quota", "shortfall", "levy_due")


def quota_to_csv(stats: QuotaStats) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["district", *QUOTA_COLUMNS])
    for row in stats.by_district:
        writer.writerow([row.district, *(getattr(row, c) for c in QUOTA_COLUMNS)])
    writer.writerow(["total", *(getattr(stats, c) for c in QUOTA_COLUMNS)])
    return out.getvalue()


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def table_response(request: Request, table: StatsTable) -> Response:
    if _preference(request.headers.get("accept", "")) == CSV:
        return _csv(to_csv(table), table.measure)
    return json_response(table)


def quota_response(request: Request, stats: QuotaStats) -> Response:
    if _preference(request.headers.get("accept", "")) == CSV:
        return _csv(quota_to_csv(stats), f"quota-{stats.year}")
    return json_response(stats)
