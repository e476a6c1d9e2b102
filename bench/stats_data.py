"""Synthetic records for the statistics benchmark, as rows for COPY (no API, no ORM).

One ``World`` of a given scale and seed: seekers registered over three years in ~150
counties of three provinces, their status history (a registration entry each, ~30 % with
1-3 later changes, ``valid_to`` set to the next entry's date), employers with three years
of staff declarations, vacancies, the placements the history implies, referrals with their
events, service records (the four ones and training) with details as the service stores
them, follow-up visits and erased remainders.  Columns are listed per table; the loader
checks them against the migrated schema.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator

import numpy as np

from bench.stats_services import SERVICE_COLUMNS, service_rows
from bench.stats_world import (
    CATEGORIES,
    EDUCATION,
    END,
    FORMS,
    START,
    Employers,
    Row,
    Seekers,
    Table,
    day,
    erased_id,
    stamp,
)
from service.services.follow_ups import add_months

CH_SEEKING, CH_EMPLOYED, CH_INACTIVE = "seeking", "employed", "inactive"
LEAVING = (
    "contract_ended",
    "dismissed",
    "resigned_pay",
    "resigned_workload",
    "resigned_accessibility",
    "resigned_relations",
    "health",
    "family",
    "moved_away",
    "employer_closed",
    "found_other_job",
    "other",
)
REJECT = (
    "skills_mismatch",
    "experience_insufficient",
    "accommodation_not_feasible",
    "position_filled",
    "no_show",
    "interview_performance",
)
DECLINE = (
    "pay_too_low",
    "commute_too_long",
    "hours_unsuitable",
    "job_content",
    "workplace_not_accessible",
    "found_other_job",
    "health",
    "family",
)
WITHDRAW = ("vacancy_closed", "seeker_unavailable", "position_filled")
STAGES = ("referred", "interview_scheduled", "interviewed", "offered")
METHODS = ("on_site", "home_visit", "phone", "online")
SUPPORT = (
    "job_coach",
    "accommodation_change",
    "employer_mediation",
    "skills_training",
    "transport",
    "assistive_device",
    "health_support",
    "subsidy_application",
)
MODEL_VERSION = "cold-start-20261201"
OPEN_WINDOW_DAYS = 45  # referrals younger than this may still be open at END


class World:
    """Everything of one scale and seed; the big tables are streamed, not kept."""

    def __init__(self, seekers: int, employers: int, *, seed: int) -> None:
        self.np = np.random.default_rng(seed)
        self.rng = random.Random(seed)
        self.s = Seekers(seekers, self.np)
        self.e = Employers(employers, self.np)
        self.vacancies = max(1, employers * 3 // 2)
        self.v_employer = np.sort(self.np.choice(employers, self.vacancies, p=self.e.weight))
        self.v_created = np.sort(
            self.np.integers(START.toordinal() - 180, END.toordinal(), self.vacancies)
        )
        self.np.shuffle(self.v_employer)
        self._timeline()
        self._referrals()

    # -- the status history and the placements it implies --------------------------------

    def _timeline(self) -> None:
        s, rng, end = self.s, self.rng, END.toordinal()
        self.changes: list[tuple[int, int, str, str, int]] = []  # seeker, day, status, cause, plc
        self.placements: list[list[int]] = []  # seeker, start, end, reason, form, new, vac
        final = list(s.reg_status)
        for i in np.nonzero(self.np.random(s.n) < 0.30)[0].tolist():
            first = int(s.reg_day[i])
            if end - first < 3:
                continue
            k = rng.choices((1, 2, 3), (3, 4, 3))[0]
            days = sorted(rng.randint(first + 1, end) for _ in range(k))
            status, running = final[i], -1
            for when in days:
                if status == CH_SEEKING:
                    if rng.random() < 0.8:
                        running = self._place(i, when)
                        status, cause = CH_EMPLOYED, "placement"
                    else:
                        status = CH_INACTIVE
                        cause = rng.choice(("left_labour_market", "counselor_decision"))
                    self.changes.append((i, when, status, cause, running))
                elif status == CH_EMPLOYED:
                    retired = rng.random() < 0.15
                    status = CH_INACTIVE if retired else CH_SEEKING
                    if running >= 0:
                        self.placements[running][2] = when
                        self.placements[running][3] = -1 if retired else rng.randrange(len(LEAVING))
                        self.changes.append((i, when, status, "placement_ended", running))
                    else:
                        self.changes.append((i, when, status, "counselor_decision", -1))
                    running = -1
                else:
                    status = CH_SEEKING
                    self.changes.append((i, when, status, "returned_to_seeking", -1))
            final[i] = status
        self.final_status = final
        counts = np.bincount(np.fromiter((c[0] for c in self.changes), np.int64), minlength=s.n)
        self.versions = counts + 1

    def _place(self, seeker: int, start: int) -> int:
        rng = self.rng
        form = rng.choices(range(len(FORMS)), [w for _, w in FORMS])[0]
        if FORMS[form][0] == "blind_massage" and self.s.category[seeker] != 0:
            form = 0
        vacancy = -1
        if (
            FORMS[form][0] not in ("self_employed", "rural_production", "home_based")
            or rng.random() < 0.2
        ):
            before = int(np.searchsorted(self.v_created, start))
            vacancy = rng.randrange(before) if before else -1
        self.placements.append([seeker, start, -1, -2, form, int(rng.random() < 0.93), vacancy])
        return len(self.placements) - 1

    # -- referrals ----------------------------------------------------------------------

    def _referrals(self) -> None:
        """Columns of every referral: seeker, vacancy, created day, the highest open
        stage reached (0-3), the outcome (0 open, 1 hired, 2-4 closed) and its reason."""
        rng, end = self.rng, END.toordinal()
        rows: list[tuple[int, int, int, int, int, int, int]] = []
        for number, p in enumerate(self.placements):
            if p[6] >= 0 and rng.random() < 0.5:
                made = max(int(self.s.reg_day[p[0]]), p[1] - rng.randint(7, 40))
                rows.append((p[0], p[6], made, 3, 1, 0, number))
        others = max(0, self.s.n * 6 // 10 - len(rows))
        seekers = self.np.integers(0, self.s.n, others)
        open_pairs: set[tuple[int, int]] = set()
        for i in seekers.tolist():
            first = int(self.s.reg_day[i])
            made = rng.randint(min(first, end), end)
            before = int(np.searchsorted(self.v_created, made))
            if not before:
                continue
            vacancy = rng.randrange(before)
            stage = rng.choices((0, 1, 2, 3), (35, 25, 20, 20))[0]
            if made > end - OPEN_WINDOW_DAYS and rng.random() < 0.7:
                if (i, vacancy) in open_pairs:
                    continue
                open_pairs.add((i, vacancy))
                rows.append((i, vacancy, made, stage, 0, 0, -1))
                continue
            outcome = rng.choices((2, 3, 4), (5, 3, 2) if stage else (4, 3, 3))[0]
            reasons = (REJECT, DECLINE, WITHDRAW)[outcome - 2]
            rows.append((i, vacancy, made, stage, outcome, rng.randrange(len(reasons)), -1))
        rows.sort(key=lambda r: r[2])
        self.referrals = rows
        self.placement_referral = {r[6]: n for n, r in enumerate(rows) if r[6] >= 0}

    # -- the tables ---------------------------------------------------------------------

    def tables(self, *, with_valid_to: bool) -> list[Table]:
        return [
            self.s.api_keys(),
            self.s.table(self.final_status, self.versions),
            self.status_changes(with_valid_to),
            self.e.table(),
            self.e.declarations(),
            self.vacancy_table(),
            self.placement_table(),
            self.referral_table(),
            self.referral_events(),
            self.service_records(),
            self.follow_ups(),
            self.erased(),
        ]

    def status_changes(self, with_valid_to: bool) -> Table:
        cols = (
            "id",
            "seeker_id",
            "status",
            "date",
            "cause",
            "placement_id",
            "recorded_by",
            "created_at",
        ) + (("valid_to",) if with_valid_to else ())
        s = self.s
        nxt: dict[int, int] = {}
        later_next: list[int | None] = [None] * len(self.changes)
        for j in range(len(self.changes) - 1, -1, -1):
            seeker = self.changes[j][0]
            later_next[j] = nxt.get(seeker)
            nxt[seeker] = j

        def rows() -> Iterator[Row]:
            for i in range(s.n):
                first = nxt.get(i)
                row: Row = (
                    f"sst_0{i:025d}",
                    s.ids[i],
                    s.reg_status[i],
                    day(s.reg_day[i]),
                    "registration",
                    None,
                    s.owner_of(i),
                    s.created(i),
                )
                yield row + (
                    (day(self.changes[first][1]) if first is not None else None,)
                    if with_valid_to
                    else ()
                )
            for j, (i, when, status, cause, plc) in enumerate(self.changes):
                following = later_next[j]
                row = (
                    f"sst_1{j:025d}",
                    s.ids[i],
                    status,
                    day(when),
                    cause,
                    f"plc_{plc:026d}" if plc >= 0 else None,
                    s.owner_of(i),
                    stamp(when, 36_000 + j % 20_000),
                )
                yield row + (
                    (day(self.changes[following][1]) if following is not None else None,)
                    if with_valid_to
                    else ()
                )

        return Table("seeker_status_change", cols, rows())

    def vacancy_table(self) -> Table:
        cols = (
            "id",
            "owner_key_id",
            "employer_id",
            "title",
            "description",
            "occupation_code",
            "skills",
            "demands",
            "accommodations",
            "work_mode",
            "employment_type",
            "district_code",
            "salary_min",
            "salary_max",
            "education_min",
            "openings",
            "openings_filled",
            "targeted",
            "priority_groups",
            "public_welfare",
            "restricted",
            "closes_on",
            "status",
            "version",
            "created_at",
            "updated_at",
        )
        e, rng = self.e, random.Random(7)

        def rows() -> Iterator[Row]:
            for v in range(self.vacancies):
                emp, made = int(self.v_employer[v]), int(self.v_created[v])
                low = rng.randrange(2000, 8000, 100)
                openings = rng.randint(1, 10)
                status = rng.choices(("open", "filled", "closed"), (3, 4, 3))[0]
                yield (
                    f"vac_{v:026d}",
                    e.owner_of(emp),
                    e.ids[emp],
                    "数据录入员",
                    "招聘数据录入员，欢迎残疾人朋友报名。",
                    "4-07-05-02",
                    '["电脑打字", "Excel"]',
                    '{"vision": 2, "fine_motor": 2}',
                    '["screen_reader"]',
                    rng.choice(("on_site", "on_site", "hybrid", "remote")),
                    rng.choice(("full_time", "full_time", "part_time", "flexible")),
                    e.county_of(emp),
                    low,
                    low + rng.randrange(0, 3000, 100),
                    rng.choice(EDUCATION[:5])[0],
                    openings,
                    openings if status == "filled" else rng.randint(0, openings - 1),
                    rng.random() < 0.4,
                    "[]",
                    rng.random() < 0.15,
                    False,
                    day(made + 120),
                    status,
                    1,
                    stamp(made, 7200),
                    stamp(made, 7200),
                )

        return Table("vacancy", cols, rows())

    def placement_table(self) -> Table:
        cols = (
            "id",
            "seeker_id",
            "employer_id",
            "vacancy_id",
            "referral_id",
            "district_code",
            "start_date",
            "six_months_on",
            "form",
            "counts_as_new",
            "end_date",
            "end_reason",
            "recorded_by",
            "version",
            "created_at",
            "updated_at",
        )
        s, e = self.s, self.e

        def rows() -> Iterator[Row]:
            for n, (i, start, stop, reason, form, new, vac) in enumerate(self.placements):
                emp = int(self.v_employer[vac]) if vac >= 0 else (n * 7919) % e.n
                ref = self.placement_referral.get(n)
                first = dt.date.fromordinal(start)
                yield (
                    f"plc_{n:026d}",
                    s.ids[i],
                    e.ids[emp],
                    f"vac_{vac:026d}" if vac >= 0 else None,
                    f"ref_{ref:026d}" if ref is not None else None,
                    s.county_of(i),
                    first,
                    add_months(first, 6),
                    FORMS[form][0],
                    bool(new),
                    day(stop) if stop >= 0 else None,
                    None if stop < 0 else "retired" if reason == -1 else LEAVING[reason],
                    s.owner_of(i),
                    1 if stop < 0 else 2,
                    stamp(start, 3600),
                    stamp(max(start, stop), 3600),
                )

        return Table("placement", cols, rows())

    def _events(self, number: int) -> list[tuple[str | None, str, int, str | None]]:
        """(from, to, day, reason) of one referral, oldest first."""
        _i, _vac, made, stage, outcome, reason, plc = self.referrals[number]
        when, events, previous = made, [], None
        for k in range(stage + 1):
            events.append((previous, STAGES[k], when, None))
            previous = STAGES[k]
            when += 1 + (number * 7 + k * 13) % 9
        if outcome == 1:
            events.append((previous, "hired", self.placements[plc][1], None))
        elif outcome >= 2:
            status = ("rejected_by_employer", "declined_by_seeker", "withdrawn")[outcome - 2]
            code = (REJECT, DECLINE, WITHDRAW)[outcome - 2][reason]
            events.append((previous, status, min(when, END.toordinal()), code))
        return events

    def referral_table(self) -> Table:
        cols = (
            "id",
            "seeker_id",
            "vacancy_id",
            "employer_id",
            "vacancy_owner_key_id",
            "source",
            "status",
            "reason_code",
            "interview_at",
            "model_version",
            "score",
            "probability",
            "rank",
            "shown",
            "eligible",
            "overridden",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        )
        s, e = self.s, self.e
        sources = ("match",) * 5 + ("counselor",) * 3 + ("partner", "fair")

        def rows() -> Iterator[Row]:
            for n, (i, vac, made, stage, _o, _r, _p) in enumerate(self.referrals):
                emp = int(self.v_employer[vac])
                events = self._events(n)
                last = events[-1]
                source = sources[n % len(sources)]
                ranked = source == "match"
                yield (
                    f"ref_{n:026d}",
                    s.ids[i],
                    f"vac_{vac:026d}",
                    e.ids[emp],
                    e.owner_of(emp),
                    source,
                    last[1],
                    last[3],
                    stamp(events[1][2] + 3, 10 * 3600) if stage >= 1 else None,
                    MODEL_VERSION,
                    0.4 + (n % 50) / 100 if ranked else None,
                    0.1 + (n % 40) / 100 if ranked else None,
                    1 + n % 20 if ranked else None,
                    20 if ranked else None,
                    True,
                    "[]",
                    s.owner_of(i),
                    len(events),
                    stamp(made, 9 * 3600),
                    stamp(last[2], 9 * 3600),
                )

        return Table("referral", cols, rows())

    def referral_events(self) -> Table:
        cols = (
            "id",
            "referral_id",
            "from_status",
            "to_status",
            "reason_code",
            "at",
            "key_id",
            "role",
        )

        def rows() -> Iterator[Row]:
            number = 0
            for n in range(len(self.referrals)):
                owner = self.s.owner_of(self.referrals[n][0])
                for previous, status, when, reason in self._events(n):
                    yield (
                        f"rev_{number:026d}",
                        f"ref_{n:026d}",
                        previous,
                        status,
                        reason,
                        stamp(when, 9 * 3600 + number % 30_000),
                        owner,
                        "counselor",
                    )
                    number += 1

        return Table("referral_event", cols, rows())

    def service_records(self) -> Table:
        return Table("service_record", SERVICE_COLUMNS, service_rows(self))

    def follow_ups(self) -> Table:
        cols = (
            "id",
            "placement_id",
            "date",
            "method",
            "still_employed",
            "reason_left",
            "support_needed",
            "recorded_by",
            "created_at",
        )
        rng, end = random.Random(11), END.toordinal()

        def rows() -> Iterator[Row]:
            number = 0
            for n, (i, start, stop, reason, *_rest) in enumerate(self.placements):
                first = dt.date.fromordinal(start)
                for months in (1, 3, 6, 12):
                    due = add_months(first, months).toordinal() + rng.randint(-10, 20)
                    if due > end or (stop >= 0 and due > stop + 30) or rng.random() > 0.18:
                        continue
                    employed = stop < 0 or due < stop
                    left = None if employed else ("retired" if reason == -1 else LEAVING[reason])
                    needs = json.dumps([rng.choice(SUPPORT)]) if rng.random() < 0.3 else '["none"]'
                    yield (
                        f"fuv_{number:026d}",
                        f"plc_{n:026d}",
                        day(due),
                        rng.choice(METHODS),
                        employed,
                        left,
                        needs,
                        self.s.owner_of(i),
                        stamp(due, 30_000),
                    )
                    number += 1

        return Table("follow_up_visit", cols, rows())

    def erased(self) -> Table:
        cols = (
            "id",
            "erased_month",
            "registered_month",
            "registered_by_role",
            "district_code",
            "category",
            "grade",
            "sex",
            "age_band",
            "hukou",
            "education",
            "status",
            "priority_groups",
        )
        rng = random.Random(13)
        bands = ("16-24", "25-34", "35-44", "45-54", "55+")

        def rows() -> Iterator[Row]:
            for n in range(self.erased_count):
                registered = START + dt.timedelta(days=rng.randrange(700))
                erased = registered + dt.timedelta(days=rng.randrange(30, 360))
                i = (n * 104_729) % self.s.n
                groups = [
                    g
                    for g, yes in (
                        ("rural", self.s.hukou[i] == 1),
                        ("blind", self.s.category[i] == 0),
                    )
                    if yes
                ]
                yield (
                    erased_id(n),
                    f"{erased:%Y-%m}",
                    f"{registered:%Y-%m}",
                    "counselor",
                    self.s.county_of(i),
                    CATEGORIES[self.s.category[i]][0],
                    int(self.s.grade[i]),
                    ("male", "female")[self.s.sex[i]],
                    rng.choice(bands),
                    ("urban", "rural")[self.s.hukou[i]],
                    EDUCATION[self.s.education[i]][0],
                    rng.choice(("seeking", "seeking", "employed", "inactive")),
                    json.dumps(groups),
                )

        return Table("erased_seeker", cols, rows())

    @property
    def erased_count(self) -> int:
        return self.s.n // 50
