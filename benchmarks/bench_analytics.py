"""Nightly population analytics over synthetic residents: time and peak memory per step.

    python benchmarks/bench_analytics.py [--residents 1000000] [--weeks 156] [--horizon 8]
                                         [--folds 3] [--jobs 2] [--seed 2026]

Pure Python (``careloop.analytics.algorithms``; no database, no Django). The steps of the
nightly job, in order:

- ``generate``: ``--residents`` profiles with the five planted pilot segments, ``--weeks``
  weeks of demand events (the last 52 — a year — are mined for rules; all of them make the
  weekly series), one-hot transactions and weekly counts per service;
- ``describe``: age band × sex counts, condition prevalence by band, numeric summaries and
  cross-tables (occupation × age band, segment × age band);
- ``segment``: k-means on standardised features, k chosen in 2–8 by silhouette;
- ``rules``: FP-growth association rules (support ≥ 1 %, confidence ≥ 0.5, lift ≥ 1.2) with
  services as consequents;
- ``forecast``: every service type's weekly series forecast ``--horizon`` weeks ahead with
  a ``--folds``-fold back-test against the naive seasonal baseline, on ``--jobs`` processes,
  and the staffing hints.

Prints, per step, wall and CPU seconds (the CPU of finished worker processes included) and
the process's peak resident memory (``getrusage``: tracemalloc is too slow for numpy-heavy
work) with how much the step raised it; the forecast workers' own peaks (``VmHWM``) are
reported apart, and the last line bounds the total by their sum plus the main peak. Wall
time depends on what else the machine runs; CPU time much less. Checks the planted answers
come back:
adjusted Rand index ≥ 0.8 for the segments, diabetes → diabetic foot care within 0.03 of
its planted confidence.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes / KiB


def _children_peaks_mib() -> list[float]:
    """Peak resident memory (VmHWM) of each live child process, read from /proc (Linux).
    ``RUSAGE_CHILDREN`` will not do: a forked worker inherits its parent's high-water mark."""
    me, peaks = str(os.getpid()), []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = dict(
                line.split(":", 1) for line in (entry / "status").read_text().splitlines()
            )
        except (OSError, ValueError):
            continue
        if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return peaks


def _cpu_s() -> float:
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


class Steps:
    """Runs named steps and prints wall time, CPU time and peak memory of each."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.cpu = _cpu_s()

    def run(self, name: str, step: Callable[[], Any]) -> Any:
        before_peak, before_cpu = _peak_mib(), _cpu_s()
        began = time.perf_counter()
        result = step()
        wall = time.perf_counter() - began
        peak = _peak_mib()
        print(
            f"  {name:<9} {wall:7.2f} s wall {_cpu_s() - before_cpu:7.2f} s cpu   "
            f"peak RSS {peak:6.0f} MiB (+{peak - before_peak:.0f})"
        )
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--horizon", type=int, default=8)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from joblib.externals.loky import get_reusable_executor
    from sklearn.metrics import adjusted_rand_score

    from careloop.analytics.algorithms import describe, forecast, rules, segmentation, synthetic
    from careloop.analytics.algorithms.backend import LocalBackend

    steps = Steps()
    print(
        f"bench_analytics: {args.residents:,} residents, {args.weeks} weeks of demands, "
        f"horizon {args.horizon}, {args.folds} back-test folds, {args.jobs} forecast jobs"
    )

    def generate():
        population = synthetic.generate_population(args.residents, seed=args.seed)
        demands = synthetic.generate_demands(population, weeks=args.weeks, seed=args.seed + 1)
        year = max(args.weeks - synthetic.WEEKS_PER_YEAR, 0)
        baskets = synthetic.transactions(population, demands, since_week=year)
        weekly = synthetic.weekly_counts(demands, weeks=args.weeks)
        return population, demands, baskets, weekly, int((demands["week"] >= year).sum())

    population, demands, baskets, weekly, last_year = steps.run("generate", generate)
    print(f"            {len(demands):,} demand events ({last_year:,} in the last year)")

    def describe_step():
        describe.describe(
            population,
            conditions=["htn", "dm", "living_alone", "rehab"],
            numeric=["age", "bmi", "steps", "sleep_hours"],
        )
        describe.crosstab(population, "occupation", "age_band")
        describe.crosstab(population, "true_segment", "age_band")

    steps.run("describe", describe_step)

    found = steps.run(
        "segment",
        lambda: segmentation.segment(population, synthetic.SEGMENT_FEATURES, seed=args.seed),
    )
    ari = adjusted_rand_score(population["true_segment"], found.labels)
    print(f"            k={found.k}, adjusted Rand index vs planted {ari:.3f}")
    for segment in found.segments:
        print(f"            {segment.share:6.1%}  {segment.description_en}")
    assert ari >= 0.8, ari

    mined = steps.run(
        "rules",
        lambda: rules.mine_rules(
            baskets, min_support=0.01, min_confidence=0.5, min_lift=1.2, consequent_prefix="svc:"
        ),
    )
    foot = next(
        r
        for r in mined.rules
        if r.antecedents == ("cond:diabetes",) and r.consequents == ("svc:diabetic_foot_care",)
    )
    planted = synthetic.SERVICES["diabetic_foot_care"].p
    print(
        f"            {len(mined.rules)} rules from {mined.itemsets} itemsets; diabetes → "
        f"diabetic foot care: confidence {foot.confidence:.3f} (planted {planted}), "
        f"lift {foot.lift:.2f}"
    )
    assert abs(foot.confidence - planted) <= 0.03, foot

    def forecast_step():
        backend = LocalBackend(n_jobs=args.jobs)
        results = backend.forecast_many(weekly, horizon=args.horizon, backtest_folds=args.folds)
        hints = {
            name: forecast.staffing_hint(result, weekly[name], factor=1.5)
            for name, result in results.items()
        }
        workers = _children_peaks_mib()
        if args.jobs != 1:
            get_reusable_executor().shutdown(wait=True)
        return results, hints, workers

    results, hints, workers = steps.run("forecast", forecast_step)
    wins = sum(r.backtest.model_mae < r.backtest.baseline_mae for r in results.values())
    print(
        f"            {len(results)} services; model MAE below the naive seasonal baseline's "
        f"for {wins}; {sum(map(bool, hints.values()))} with staffing hints; "
        f"child processes' peak RSS: {', '.join(f'{w:.0f}' for w in workers) or '-'} MiB"
    )
    for name, found_hints in hints.items():
        peak = max(found_hints, key=lambda hint: hint.ratio, default=None)
        if peak:
            print(f"            staffing: {name} ×{peak.ratio:.2f} of recent in week +{peak.step}")
    for name, result in results.items():
        check = result.backtest
        print(
            f"            {name:<24} MAE {check.model_mae:8.1f} vs {check.baseline_mae:8.1f}  "
            f"{result.model}"
        )

    total = time.perf_counter() - steps.started
    print(
        f"bench_analytics residents={args.residents} total_s={total:.1f} "
        f"cpu_s={_cpu_s() - steps.cpu:.1f} peak_rss_mib={_peak_mib():.0f} "
        f"workers_peak_rss_mib={sum(workers):.0f} "
        f"peak_total_bound_mib={_peak_mib() + sum(workers):.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
