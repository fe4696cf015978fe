"""FHIR ingestion throughput: transaction Bundles of Observations POSTed to ``/fhir/r4/``
(Django's test Client, in process: URL routing, authentication, R4B validation, Bundle
processing, ``record_readings`` with the alert rules, the response Bundle) — and, when the
database ``careloop_bench`` (10M readings, ``bench_observations.py --load``) is reachable and
migrated, the latency of ``GET Observation?patient=&code=&date=ge&date=lt`` over it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/careloop_fbench \\
        python benchmarks/bench_fhir.py [--residents 500] [--rounds 5] [--sizes 100,1000]

Without ``DATABASE_URL`` a fresh SQLite database in a temporary directory is used. A missing
PostgreSQL database is created; the database is migrated first. Prints readings/s per bundle
size, for ``Prefer: return=minimal`` and for the full representation.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--query-db", default="careloop_bench", help="10M-row database name")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    scratch = ""
    if "CARELOOP_DATA_DIR" not in os.environ and "DATABASE_URL" not in os.environ:
        scratch = os.environ["CARELOOP_DATA_DIR"] = tempfile.mkdtemp(prefix="careloop-fbench-")
    try:
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            _create_database(os.environ["DATABASE_URL"])
        return _run(args)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def _run(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0, interactive=False)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    _ingest(args, random.Random(args.seed))
    if connection.vendor == "postgresql":
        _query_latency(args, random.Random(args.seed))
    return 0


def _ingest(args: argparse.Namespace, rng: random.Random) -> None:
    from bench_observations import _mix, _residents
    from django.test import Client

    from careloop.core import clock, tokens
    from careloop.core.models import User
    from careloop.observations import codes

    residents = _residents(args.residents, "bench-fhir")
    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        admin = User.objects.create_superuser("bench-admin", password=None, name="Bench")
    key = tokens.issue_api_token(actor=admin).key
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT": "application/fhir+json"}
    run = f"{time.time_ns():x}"
    counter = 0

    def observation(resident, code, value, value2, at):
        nonlocal counter
        counter += 1
        spec = codes.CODES[code]
        body = {
            "resourceType": "Observation",
            "status": "final",
            "identifier": [{"value": f"{run}-{counter}"}],
            "code": {"coding": [{"system": codes.LOINC, "code": code}]},
            "subject": {"reference": f"Patient/{resident.public_id}"},
            "effectiveDateTime": at.isoformat(),
        }

        def quantity(v, unit):
            return {"value": v, "unit": unit, "system": codes.UCUM, "code": unit}

        if spec.has_components:
            body["component"] = [
                {"code": {"coding": [{"system": codes.LOINC, "code": c.code}]},
                 "valueQuantity": quantity(v, c.unit)}
                for c, v in zip(spec.components, (value, value2), strict=True)
            ]  # fmt: skip
        else:
            body["valueQuantity"] = quantity(value, spec.unit)
        return body

    def bundle(size):
        now = clock.now()
        entries = []
        for _ in range(size):
            at = now - timedelta(minutes=rng.randint(1, 24 * 60))
            code, value, value2 = _mix(rng, at)
            resource = observation(rng.choice(residents), code, value, value2, at)
            entries.append(
                {"resource": resource, "request": {"method": "POST", "url": "Observation"}}
            )
        return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})

    def post(body, minimal):
        extra = {"HTTP_PREFER": "return=minimal"} if minimal else {}
        started = time.perf_counter()
        response = client.post(
            "/fhir/r4/", body, content_type="application/fhir+json", **headers, **extra
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content[:500]
        return elapsed

    post(bundle(50), True)  # warm up (imports, caches)
    for size in (int(s) for s in args.sizes.split(",")):
        for minimal in (True, False):
            times = [post(bundle(size), minimal) for _ in range(args.rounds)]
            median = statistics.median(times)
            label = "return=minimal" if minimal else "representation"
            print(
                f"transaction Bundle of {size:>5} Observations ({label:>14}): "
                f"median {median * 1000:8.1f} ms  {size / median:8.0f} readings/s  "
                f"(best {size / min(times):.0f}/s, {args.rounds} rounds)"
            )
    body = bundle(1000)
    post(body, True)
    started = time.perf_counter()
    post(body, True)
    elapsed = time.perf_counter() - started
    print(f"re-post of the same 1,000-entry Bundle (nothing new): {elapsed:.3f} s")


def _query_latency(args: argparse.Namespace, rng: random.Random) -> None:
    """GET Observation?patient=&code=&date=… over the 10M-row database, if usable."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor
    from django.test import Client

    from careloop.core import tokens
    from careloop.core.models import User
    from careloop.observations import codes

    default = connections["default"]
    name = args.query_db
    with default.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
    if not exists:
        print(f"query latency: database {name} does not exist: not measured")
        return
    default.close()
    default.settings_dict["NAME"] = name
    executor = MigrationExecutor(default)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        print(f"query latency: {name} lacks {len(plan)} migrations: not measured")
        return
    with default.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                       ["observations_observation"])  # fmt: skip
        rows = cursor.fetchone()[0]
        cursor.execute(
            "SELECT r.public_id FROM residents_resident r WHERE EXISTS (SELECT 1 FROM "
            "observations_observation o WHERE o.resident_id = r.id AND o.code = %s) LIMIT 500",
            [codes.BP],
        )
        patients = [row[0] for row in cursor.fetchall()]
    if not patients:
        print(f"query latency: {name} has no BP readings: not measured")
        return
    admin = User.objects.filter(is_superuser=True, is_active=True).first()
    if admin is None:
        admin = User.objects.create_superuser("bench-admin", password=None, name="Bench")
    key = tokens.issue_api_token(actor=admin).key
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT": "application/fhir+json"}
    from careloop.core import clock

    now = clock.now()
    times = []
    for _ in range(args.queries):
        since = now - timedelta(days=rng.randint(7, 60))
        params = {
            "patient": rng.choice(patients),
            "code": f"{codes.LOINC}|{codes.BP}",
            "date": [f"ge{since.isoformat()}", f"lt{now.isoformat()}"],
            "_count": "50",
        }
        started = time.perf_counter()
        response = client.get("/fhir/r4/Observation", params, **headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"GET Observation?patient=&code=&date=ge&date=lt&_count=50 over ~{rows:,} readings "
        f"({name}): p50 {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
