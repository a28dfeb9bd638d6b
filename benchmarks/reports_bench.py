"""Benchmark: the committee dashboard API for a financial year vs one raw GROUP BY.

Run on PostgreSQL with its own database, e.g.

    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/speakup_reports_bench \\
        .venv/bin/python benchmarks/reports_bench.py --generate 1000000 --year 2025

--generate N first runs ``benchmarks/generate_concerns.py --count N`` (timed); without it the data
already in the database is used. Each scope (one organisation; every organisation) is
timed over --runs requests through the whole stack (URL routing, session auth, DRF,
rollup queries, disclosure, serialization), after a warm-up; the raw query is the same
figures straight from concerns and cases (without categories, which would only slow it).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.generate_concerns import Load, generate_concerns  # noqa: E402
from concerns.models import Concern, Membership, Organisation  # noqa: E402
from concerns.roles import Role  # noqa: E402
from reports.fastpaths import (  # noqa: E402
    CaseMark,
    case_mark_orm,
    case_mark_sql,
    rollup_sum_orm,
    rollup_sum_sql,
    tables_analyze,
)
from reports.periods import financial_year, month_bounds, month_of  # noqa: E402
from reports.selectors import figure_sums_for  # noqa: E402
from reports.services import ROLLUP_MODELS  # noqa: E402
from workflow.models import Case  # noqa: E402

RAW = """
SELECT c.route, c.reporter_role, c.professional_group, c.department_id, k.status,
       date_trunc('month', c.raised_at AT TIME ZONE %(tz)s) AS month,
       count(*),
       count(k.acknowledged_at),
       count(*) FILTER (WHERE k.acknowledged_at <= k.acknowledge_due_at),
       count(k.first_feedback_at),
       count(*) FILTER (WHERE k.first_feedback_at <= k.feedback_due_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY k.acknowledged_at - c.raised_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY k.first_feedback_at - c.raised_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY k.closed_at - c.raised_at)
FROM concerns_concern c JOIN workflow_case k ON k.concern_id = c.id
WHERE c.organisation_id = ANY(%(orgs)s) AND c.raised_at >= %(start)s AND c.raised_at < %(end)s
GROUP BY GROUPING SETS ((c.route), (c.reporter_role), (c.professional_group),
                        (c.department_id), (k.status), (6), ())
"""


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def committee_for(orgs: list[Organisation]):  # type: ignore[no-untyped-def]
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=f"bench-committee-{len(orgs)}")
    user.groups.add(Group.objects.get(name=Role.COMMITTEE))
    for org in orgs:
        Membership.objects.get_or_create(user=user, organisation=org)
    if not Authenticator.objects.filter(user=user).exists():
        # Staff must enrol MFA before the API answers them (accounts.middleware).
        TOTP.activate(user, base64.b32encode(secrets.token_bytes(20)).decode())
    return user


def time_api(user, year: int, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    url = f"/api/v1/reports/dashboard/?period=year&year={year}"
    for _ in range(5):
        response = client.get(url, secure=True)  # as through the TLS proxy: no redirect
        assert response.status_code == 200, (response.status_code, response.content[:200])
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples


def time_raw(orgs: list[int], year: int, runs: int) -> list[float]:
    period = financial_year(year)
    start, _ = month_bounds(period.first_month)
    _, end = month_bounds(period.last_month)
    params = {"tz": settings.TIME_ZONE, "orgs": orgs, "start": start, "end": end}
    samples = []
    with connection.cursor() as cursor:
        cursor.execute(RAW, params)  # warm
        cursor.fetchall()
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(RAW, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_fastpaths(orgs: list[int], year: int, runs: int) -> None:
    """reports/fastpaths.py against the ORM queries beside them, interleaved in one sitting:
    the dashboard's five rollup sums, and the writes after each case event."""
    sums = figure_sums_for(period=financial_year(year)).all()
    samples: dict[str, list[float]] = {"sql": [], "orm": []}
    for _ in range(runs):
        for name, read in (("sql", rollup_sum_sql), ("orm", rollup_sum_orm)):
            started = time.perf_counter()
            for spec in sums:
                read(spec=spec, organisation_ids=orgs)
            samples[name].append((time.perf_counter() - started) * 1000)
    _print_pair(f"5 sums, {len(orgs)} organisation(s)", samples)
    case = Case.objects.filter(organisation_id=orgs[0]).order_by("pk").first()
    assert case is not None
    mark = CaseMark(
        case_id=case.pk,
        organisation_id=case.organisation_id,
        month=month_of(case.raised_at),
        is_open=True,
        due_at=case.due_at,
    )
    samples = {"sql": [], "orm": []}
    for _ in range(runs):
        for name, write in (("sql", case_mark_sql), ("orm", case_mark_orm)):
            started = time.perf_counter()
            write(mark=mark)
            samples[name].append((time.perf_counter() - started) * 1000)
    _print_pair("case-event marks", samples)


def _print_pair(label: str, samples: dict[str, list[float]]) -> None:
    line = f"{label:<28}"
    for name in ("sql", "orm"):
        line += f"{name} p50 {statistics.median(samples[name]):6.2f}ms "
        line += f"p95 {percentile(samples[name], 95):6.2f}ms   "
    ratio = statistics.median(samples["orm"]) / statistics.median(samples["sql"])
    print(f"{line}orm/sql {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generate", type=int, default=0)
    parser.add_argument("--organisations", type=int, default=40)
    parser.add_argument("--year", type=int, default=2025, help="financial year start")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--raw-runs", type=int, default=7)
    parser.add_argument(
        "--fastpaths", action="store_true", help="time reports/fastpaths.py against the ORM only"
    )
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "run this on PostgreSQL (DATABASE_URL)"
    settings.ALLOWED_HOSTS = ["*"]
    if args.generate:
        started = time.monotonic()
        generate_concerns(load=Load(count=args.generate, organisations=args.organisations))
        print(f"generate_concerns --count {args.generate}: {time.monotonic() - started:.0f}s")
    # As autovacuum would have by now (it is off on some machines): planner statistics and
    # the visibility map for the rollups, so their covering indexes answer alone.
    tables_analyze(ROLLUP_MODELS)
    print(f"concerns in database: {Concern.objects.count():,}")
    orgs = list(Organisation.objects.filter(code__startswith="SYN").order_by("code"))
    if args.fastpaths:
        for scope in (orgs[:1], orgs):
            time_fastpaths([o.pk for o in scope], args.year, args.runs)
        return
    print(f"financial year {args.year}/{(args.year + 1) % 100:02d}; {len(orgs)} organisations")
    print(f"{'scope':<22}{'API p50':>10}{'API p95':>10}{'raw p50':>10}{'raw p95':>10}{'ratio':>8}")
    for label, scope in (("one organisation", orgs[:1]), (f"all {len(orgs)} organisations", orgs)):
        api = time_api(committee_for(scope), args.year, args.runs)
        raw = time_raw([o.pk for o in scope], args.year, args.raw_runs)
        a50, a95 = statistics.median(api), percentile(api, 95)
        r50, r95 = statistics.median(raw), percentile(raw, 95)
        print(f"{label:<22}{a50:>9.1f}ms{a95:>9.1f}ms{r50:>9.1f}ms{r95:>9.1f}ms{a95 / r50:>8.2f}")
    print("ratio = API p95 / raw p50 (target ≤ 0.20); target API p95 < 50 ms")


if __name__ == "__main__":
    main()
