"""Time and memory of loading the demo community (default 12,000 residents) into a fresh
database.

    python benchmarks/bench_demo.py [--residents N] [--seed S] [--tracemalloc]

Unless ``CARELOOP_DATA_DIR`` (or ``DATABASE_URL``) is set, a temporary directory holds a new
SQLite database, which is migrated first. The target database must not hold the demo
already (the load would be a no-op). Prints one ``bench_demo`` results line:

- ``generate_s``: the pure generator alone;
- ``load_s``: ``careloop.demo.loader.load`` (generator + encryption + bulk inserts + audit,
  the supply side: organisations, providers, schedules, 28 days of slots, enrolments; and
  the health side: conditions, medications, lifestyle answers, profile tags, devices, 30 days
  of readings and one evaluation of the alert rules);
- the supply counts (``providers``, ``schedules``, ``slots``, ``enrolments``);
- ``peak_rss_mib``: the process's peak resident memory (``getrusage``), Django included,
  and ``rss_growth_mib``, how much of it the load added;
- with ``--tracemalloc``: ``py_peak_mib``, the peak of Python allocations during a second,
  traced run of the generator (tracing slows the code, so it is not timed).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def _rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes / KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    scratch = ""
    if "CARELOOP_DATA_DIR" not in os.environ and "DATABASE_URL" not in os.environ:
        scratch = os.environ["CARELOOP_DATA_DIR"] = tempfile.mkdtemp(prefix="careloop-bench-")
    try:
        return _run(args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from careloop.core.models import Community
    from careloop.demo.generator import COMMUNITY_CODE, generate
    from careloop.demo.loader import load

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    if Community.objects.filter(code=COMMUNITY_CODE).exists():
        print("bench_demo: the demo is already loaded in this database; use a fresh one")
        return 2

    started = time.perf_counter()
    generate(args.residents, args.seed)
    generate_s = time.perf_counter() - started

    rss_before = _rss_mib()
    started = time.perf_counter()
    result = load(n=args.residents, seed=args.seed)
    load_s = time.perf_counter() - started
    peak = _rss_mib()
    assert result.created and result.counts["residents"] == args.residents

    extra = ""
    if args.tracemalloc:
        tracemalloc.start()
        generate(args.residents, args.seed)
        extra = f" py_peak_mib={tracemalloc.get_traced_memory()[1] / 2**20:.1f}"
        tracemalloc.stop()

    rows = sum(result.counts.values())
    print(
        f"bench_demo residents={args.residents} seed={args.seed} db={connection.vendor} "
        f"migrate_s={migrate_s:.2f} generate_s={generate_s:.2f} load_s={load_s:.2f} "
        f"rows={rows} rows_per_s={rows / load_s:,.0f} "
        f"providers={result.counts['providers']} schedules={result.counts['weekly_schedules']} "
        f"slots={result.counts['slots']} enrolments={result.counts['enrolments']} "
        f"conditions={result.counts['conditions']} tags={result.counts['profile_tags']} "
        f"devices={result.counts['devices']} readings={result.counts['readings']} "
        f"open_alerts={result.counts['open_alerts']} "
        f"peak_rss_mib={peak:.0f} rss_growth_mib={peak - rss_before:.0f}{extra}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
