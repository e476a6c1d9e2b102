"""Printing for the match benchmark: progress lines and the final table's rows."""

from __future__ import annotations

import numpy as np

from bench.match_engine import Timings

K = 20
MB = 1024 * 1024
ROWS: list[list[object]] = []  # the final table: metric, measured, target, met?


def say(text: str = "") -> None:
    print(text, flush=True)


def row(metric: str, measured: str, target: str = "", met: bool | None = None) -> None:
    ROWS.append([metric, measured, target or "—", "—" if met is None else ("yes" if met else "NO")])


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def ratio_note(engine: Timings, bare: Timings) -> str:
    ratio = engine.pct(50) / bare.pct(50)
    note = f"  engine / floor at p50: {ratio:.2f}×"
    if len(engine.ms) == len(bare.ms):
        per_query = np.median(np.array(engine.ms) / np.array(bare.ms))
        note += f" (median of per-query ratios {per_query:.2f}×)"
    return note


def timing_line(label: str, t: Timings, extra: str = "") -> None:
    errors = f"  errors {t.errors}" if t.errors else ""
    say(
        f"  {label:<34} n={len(t.ms):<4} p50 {fmt_ms(t.pct(50)):>10}  "
        f"p95 {fmt_ms(t.pct(95)):>10}{extra}{errors}"
    )
