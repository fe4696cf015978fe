"""Observation ingest throughput (alert rules evaluated) and reading-query latency.

    python benchmarks/bench_observations.py [--residents 500] [--rounds 5]
    python benchmarks/bench_observations.py --load 10000000 --load-residents 10000 [--queries 200]

Runs against ``DATABASE_URL`` when set (PostgreSQL: the figures that matter), otherwise a new
SQLite database in a temporary directory. The target database is migrated first.

Ingest: ``services.record_readings`` with bundles of 100 and 1,000 readings, the path the
FHIR ``transaction``/``batch`` endpoint and ``POST /api/v1/observations`` take:

- ``staff``: a clinician's bundle spread over many residents (like a FHIR transaction Bundle);
- ``device``: a wristband/monitor upload for its own resident.

Readings are a realistic mix (BP, heart rate, SpO2, steps, glucose, a few abnormal), measured
within the last day (a daily sync) so every rule runs. Prints readings/s per bundle size.

``--load N`` bulk-loads N synthetic readings (PostgreSQL: one ``INSERT … SELECT`` over
``generate_series``, server side; SQLite: ``executemany``), then times ``--queries`` random
``readings_of(resident, code=BP, since, until)`` pages of 50 (the query behind
``GET /residents/{id}/readings`` and FHIR ``Observation?patient=&code=&date=ge&date=lt``) and
prints p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500, help="residents for ingest")
    parser.add_argument("--rounds", type=int, default=5, help="bundles timed per size")
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--load", type=int, default=0, help="bulk-load this many readings")
    parser.add_argument("--load-residents", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
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

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(args.seed)
    print(f"database: {connection.vendor}")
    if not args.skip_ingest:
        _ingest(args, rng)
    if args.load:
        _load_and_query(args, rng)
    return 0


def _residents(count: int, tag: str):
    """``count`` bench residents in community ``bench`` (created once, reused)."""
    from careloop.core import crypto
    from careloop.core.models import Community
    from careloop.residents.models import Resident

    community, _ = Community.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    have = list(Resident.objects.filter(community=community, occupation=tag).order_by("id"))
    missing = count - len(have)
    if missing > 0:
        start = len(have)
        rows = []
        for i in range(start, start + missing):
            number = f"{tag}-{i}"
            rows.append(
                Resident(
                    community=community, name=f"居民{i}", sex="F", occupation=tag,
                    birth_date="1950-01-01", id_number=number,
                    id_number_hash=crypto.blind_index(number, purpose="id_number"),
                )
            )  # fmt: skip
        Resident.objects.bulk_create(rows, batch_size=2000)
        have = list(Resident.objects.filter(community=community, occupation=tag).order_by("id"))
    return have[:count]


def _mix(rng: random.Random, at):
    """One reading of a plausible kind and value; about 3 % abnormal."""
    from careloop.observations import codes

    roll = rng.random()
    abnormal = rng.random() < 0.03
    if roll < 0.35:
        s = rng.randint(150, 190) if abnormal else rng.randint(105, 132)
        return codes.BP, s, rng.randint(60, min(s - 20, 84))
    if roll < 0.65:
        return codes.HEART_RATE, rng.randint(101, 140) if abnormal else rng.randint(55, 95), None
    if roll < 0.80:
        return codes.SPO2, rng.randint(85, 89) if abnormal else rng.randint(94, 99), None
    if roll < 0.92:
        return codes.STEPS, rng.randint(2000, 12000), None
    value = rng.uniform(7.1, 9.0) if abnormal else rng.uniform(4.5, 6.8)
    return codes.GLUCOSE_FASTING, round(value, 1), None


def _ingest(args: argparse.Namespace, rng: random.Random) -> None:
    from careloop.core import clock
    from careloop.core.models import User
    from careloop.observations import services
    from careloop.observations.models import Device

    residents = _residents(args.residents, "bench-ingest")
    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        admin = User.objects.create_superuser("bench-admin", password=None, name="Bench")
    devices = list(Device.objects.filter(resident__in=residents, active=True))
    if len(devices) < 5:
        devices = [
            services.register_device(actor=admin, resident=r, kind="wristband").device
            for r in residents[:5]
        ]
    run = f"{time.time_ns():x}"
    counter = 0

    def bundle(size: int, device=None):
        nonlocal counter
        now = clock.now()
        items = []
        for _ in range(size):
            counter += 1
            at = now - timedelta(minutes=rng.randint(1, 24 * 60))  # a daily sync
            code, value, value2 = _mix(rng, at)
            items.append(
                services.ReadingIn(
                    code=code, value=value, value2=value2, effective_at=at,
                    resident=None if device else rng.choice(residents),
                    identifier=f"{run}-{counter}",
                )
            )  # fmt: skip
        return items

    services.record_readings(actor=admin, items=bundle(100))  # warm-up
    for size in [int(s) for s in args.sizes.split(",")]:
        for label, actor_for in (("staff", lambda: admin), ("device", lambda: rng.choice(devices))):
            elapsed = 0.0
            stored = 0
            for _ in range(args.rounds):
                actor = actor_for()
                items = bundle(size, device=actor if label == "device" else None)
                mode = services.TRANSACTION
                started = time.perf_counter()
                results = services.record_readings(actor=actor, items=items, mode=mode)
                elapsed += time.perf_counter() - started
                stored += sum(r.created for r in results)
            print(
                f"bench_observations ingest bundle={size} actor={label} rounds={args.rounds} "
                f"readings={stored} seconds={elapsed:.2f} readings_per_s={stored / elapsed:,.0f}"
            )


def _load_and_query(args: argparse.Namespace, rng: random.Random) -> None:
    from django.db import connection

    from careloop.core import clock
    from careloop.observations import codes, selectors
    from careloop.observations.models import Observation

    residents = _residents(args.load_residents, "bench-load")
    ids = [r.pk for r in residents]
    now = clock.now()
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        _load_postgres(connection, args.load, ids[0], ids[-1], now)
    else:
        _load_sqlite(args.load, ids, now, rng)
    load_s = time.perf_counter() - started
    total = Observation.objects.count()
    print(
        f"bench_observations load readings={args.load:,} residents={len(ids):,} "
        f"seconds={load_s:.1f} rows_per_s={args.load / load_s:,.0f} table_rows={total:,}"
    )
    by_id = {r.pk: r for r in residents}
    hours = max(args.load // len(ids), 1)  # each resident has one reading an hour back
    timings = []
    rows = 0
    for _ in range(args.queries):
        resident = by_id[rng.choice(ids)]
        until = now - timedelta(hours=rng.uniform(0, hours / 2))
        since = until - timedelta(days=30)
        started = time.perf_counter()
        page = list(selectors.readings_of(resident, code=codes.BP, since=since, until=until)[:50])
        timings.append((time.perf_counter() - started) * 1000)
        rows += len(page)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"bench_observations query=readings_of(patient,code=BP,30-day window)[:50] "
        f"n={len(timings)} p50_ms={statistics.median(timings):.2f} p95_ms={p95:.2f} "
        f"mean_rows={rows / len(timings):.1f} table_rows={total:,}"
    )


def _load_postgres(connection, count: int, first_id: int, last_id: int, now) -> None:
    """Server-side generation: residents cycle, one reading every ~hour back over a year,
    codes in a realistic mix (BP 35 %, HR 30 %, SpO2 15 %, steps 12 %, glucose 8 %)."""
    span = last_id - first_id + 1
    sql = """
        INSERT INTO observations_observation
            (public_id, resident_id, code, value, value2, effective_at, source, device_id,
             recorded_by_id, identifier, created_at)
        SELECT md5(g::text || %(salt)s), %(first)s + (g %% %(span)s), c.code,
               CASE c.code WHEN '85354-9' THEN 110 + (g %% 40) WHEN '8867-4' THEN 55 + (g %% 40)
                    WHEN '59408-5' THEN 94 + (g %% 6) WHEN '55423-8' THEN 2000 + (g %% 9000)
                    ELSE 4.5 + (g %% 25) / 10.0 END,
               CASE c.code WHEN '85354-9' THEN 65 + (g %% 20) END,
               %(now)s - make_interval(secs => (g / %(span)s) * 3600 + (g %% 3600)),
               'device', NULL, NULL, '', %(now)s
        FROM generate_series(0, %(count)s - 1) AS g
        CROSS JOIN LATERAL (SELECT CASE
            WHEN (g / %(span)s) %% 100 < 35 THEN '85354-9'
            WHEN (g / %(span)s) %% 100 < 65 THEN '8867-4'
            WHEN (g / %(span)s) %% 100 < 80 THEN '59408-5'
            WHEN (g / %(span)s) %% 100 < 92 THEN '55423-8'
            ELSE '14770-2' END AS code) AS c
    """
    step = 1_000_000
    with connection.cursor() as cursor:
        for offset in range(0, count, step):
            n = min(step, count - offset)
            series = f"generate_series({offset}, {offset + n - 1})"
            cursor.execute(
                sql.replace("generate_series(0, %(count)s - 1)", series),
                {"salt": f"{time.time_ns()}", "first": first_id, "span": span, "count": n,
                 "now": now},
            )  # fmt: skip
        cursor.execute("ANALYZE observations_observation")


def _load_sqlite(count: int, ids: list[int], now, rng: random.Random) -> None:
    import uuid

    from django.db import connection, transaction

    from careloop.observations import codes

    kinds = [codes.BP] * 35 + [codes.HEART_RATE] * 30 + [codes.SPO2] * 15 + [codes.STEPS] * 12
    kinds += [codes.GLUCOSE_FASTING] * 8
    sql = (
        "INSERT INTO observations_observation (public_id, resident_id, code, value, value2, "
        "effective_at, source, device_id, recorded_by_id, identifier, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, 'device', NULL, NULL, '', %s)"
    )
    batch = 50_000
    with transaction.atomic(), connection.cursor() as cursor:
        for offset in range(0, count, batch):
            rows = []
            for g in range(offset, min(offset + batch, count)):
                code = kinds[(g // len(ids)) % 100]
                at = now - timedelta(seconds=(g // len(ids)) * 3600 + g % 3600)
                rows.append(
                    (uuid.uuid4().hex, ids[g % len(ids)], code, 110 + g % 40,
                     65 + g % 20 if code == codes.BP else None, at, now)
                )  # fmt: skip
            cursor.executemany(sql, rows)
    del rng


if __name__ == "__main__":
    sys.exit(main())
