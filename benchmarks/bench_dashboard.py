"""Queries and time of the director's console dashboard (``/console/dashboard/``) on the demo
community (default 12,000 residents).

    python benchmarks/bench_dashboard.py [--residents N] [--seed S] [--rounds R]

Unless ``CARELOOP_DATA_DIR`` (or ``DATABASE_URL``) is set, a temporary directory holds a new
SQLite database, which is migrated and loaded with the demo first (about half a minute for
12,000 residents); a database that already holds the demo is used as it is. The page is built
by Django's test client, signed in as the demo's centre director: once to warm up (sessions,
content types, template loading), then ``--rounds`` times. Prints the queries and seconds of
each round, then the parts on their own (the KPI tiles, every KPI's 12-month trend, the two
control-rate trends) and one ``bench_dashboard`` results line with the median and best
seconds. Wall time depends on what else the machine runs; the query count does not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DASHBOARD = "/console/dashboard/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    # Plain static files storage: the page's {% static %} tags need no collectstatic.
    os.environ.setdefault("CARELOOP_TESTING", "1")
    scratch = ""
    if "CARELOOP_DATA_DIR" not in os.environ and "DATABASE_URL" not in os.environ:
        scratch = os.environ["CARELOOP_DATA_DIR"] = tempfile.mkdtemp(prefix="careloop-bench-")
    try:
        return _run(args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _measure(step: Callable[[], Any]) -> tuple[Any, int, float]:
    """(result, queries, seconds) of ``step``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = step()
        seconds = time.perf_counter() - began
    return result, len(queries), seconds


def _run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from careloop.analytics import charts, kpis
    from careloop.core import clock
    from careloop.core.models import User
    from careloop.core.roles import Role
    from careloop.demo.loader import load

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    result = load(n=args.residents, seed=args.seed)
    loaded = f"loaded in {time.perf_counter() - started:.1f} s" if result.created else "reused"
    community = result.community
    director = (
        User.objects.filter(groups__name=Role.CENTRE_DIRECTOR, community=community)
        .order_by("pk")
        .first()
    )
    assert director is not None, "the demo has no centre director"
    print(
        f"bench_dashboard: {args.residents:,} residents (seed {args.seed}, {loaded}), "
        f"db={connection.vendor}, {args.rounds} rounds as {director.username}"
    )

    client = Client()
    client.force_login(director)

    def page() -> None:
        response = client.get(DASHBOARD)
        assert response.status_code == 200, response.status_code

    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        _measure(page)  # warm up
        rounds = []
        for number in range(1, args.rounds + 1):
            _none, queries, seconds = _measure(page)
            rounds.append((queries, seconds))
            print(f"  round {number}: {queries} queries, {seconds:.2f} s")

        scope = charts.Scope(community, None, None, clock.today().replace(day=1))
        parts: list[tuple[str, Callable[[], Any]]] = [
            ("KPI tiles", lambda: charts.tiles(director, scope)),
            ("12-month trends", lambda: charts.trends(director, scope)),
            ("htn control trend", lambda: kpis.kpi_trend("htn_control_rate",
                                                         community=community)),
            ("dm control trend", lambda: kpis.kpi_trend("dm_control_rate",
                                                        community=community)),
        ]  # fmt: skip
        for name, step in parts:
            _result, queries, seconds = _measure(step)
            print(f"  {name:<18} {queries:3d} queries {seconds:6.2f} s")

    times = [seconds for _q, seconds in rounds]
    print(
        f"bench_dashboard residents={args.residents} db={connection.vendor} "
        f"queries={rounds[-1][0]} median_s={statistics.median(times):.2f} "
        f"best_s={min(times):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
