"""Matching: batch optimiser throughput vs the max-flow optimum, and online match latency.

    python benchmarks/bench_matching.py [--demands 10000] [--providers 2000] [--days 14]
                                        [--online-providers 10000] [--queries 1000]

Pure Python + OR-Tools (``careloop.matching`` engine and optimiser; no database, no Django).

Batch: generates ``--demands`` demands against ``--providers`` providers' slots over
``--days`` days (``careloop.matching.synthetic``), runs ``optimize`` (the bounded graph the
``match-file`` command uses), prints demands/s and the matched share against the maximum
possible number of matched demands (an OR-Tools max flow over every feasible pair), and checks
the plan breaks no hard constraint or capacity.

Online: indexes ``--online-providers`` providers' slots and times ``rank`` for ``--queries``
demands one by one; prints p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--online-providers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    _batch(args)
    _online(args)
    return 0


def _batch(args: argparse.Namespace) -> None:
    from careloop.matching.engine import SlotIndex, feasible
    from careloop.matching.optimizer import max_matched, optimize
    from careloop.matching.synthetic import generate_demands, generate_slots

    slots = generate_slots(args.providers, days=args.days, seed=args.seed)
    demands = generate_demands(
        args.demands, days=args.days, providers=args.providers, seed=args.seed + 1
    )
    began = time.perf_counter()
    index = SlotIndex(slots)
    plan = optimize(demands, index)
    seconds = time.perf_counter() - began
    by_slot, by_demand = index.slots, {d.id: d for d in demands}
    assert all(feasible(by_slot[s], by_demand[d]) for d, s in plan.assignments)
    assert all(n <= by_slot[s].capacity for s, n in Counter(s for _, s in plan.assignments).items())
    began = time.perf_counter()
    optimum = max_matched(demands, index)
    optimum_seconds = time.perf_counter() - began
    matched = len(plan.assignments)
    tiers = Counter(by_demand[d].tier for d, _ in plan.assignments)
    wanted = Counter(d.tier for d in demands)
    print(
        f"batch: {len(demands):,} demands, {args.providers:,} providers, {len(slots):,} slots "
        f"over {args.days} days, {plan.arcs:,} arcs"
    )
    print(
        f"  optimize: {seconds:.2f} s (index + graph + solve) = {len(demands) / seconds:,.0f} "
        "demands/s"
    )
    print(
        f"  matched {matched:,} = {matched / optimum:.2%} of the max-flow optimum {optimum:,} "
        f"(max flow over all feasible pairs: {optimum_seconds:.2f} s)"
    )
    print(
        "  by tier: "
        + ", ".join(f"{t} {tiers[t]:,}/{wanted[t]:,}" for t in ("critical", "urgent", "routine"))
    )


def _online(args: argparse.Namespace) -> None:
    from careloop.matching.engine import SlotIndex, rank
    from careloop.matching.synthetic import generate_demands, generate_slots

    slots = generate_slots(args.online_providers, days=args.days, seed=args.seed + 2)
    began = time.perf_counter()
    index = SlotIndex(slots)
    built = time.perf_counter() - began
    demands = generate_demands(
        args.queries, days=args.days, providers=args.online_providers, seed=args.seed + 3
    )
    latencies = []
    found = 0
    for demand in demands:
        began = time.perf_counter()
        ranked = rank(demand, index)
        latencies.append((time.perf_counter() - began) * 1000)
        found += bool(ranked)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(
        f"online: {args.online_providers:,} providers, {len(slots):,} slots "
        f"(index built in {built:.2f} s); {args.queries:,} queries, {found:,} with a match"
    )
    print(
        f"  rank latency p50 {statistics.median(latencies):.3f} ms, p99 {p99:.3f} ms, "
        f"max {latencies[-1]:.3f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
