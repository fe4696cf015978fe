"""Batch assignment of demands to slots with OR-Tools (no Django).

One min-cost flow: each demand node supplies one unit; it flows either along an arc to a
feasible slot (cost: the engine's preference cost, 0…P) and on to the sink through the slot's
capacity arc, or straight to the sink along its "unmatched" arc, which costs ``w·S`` with tier
weights w = 1 (routine), 2 (urgent), 3 (critical) and ``S = N·P + 1``.

Why that is exactly "most matched demands, critical ≻ urgent ≻ routine, then preference":
the sets of demands that can be matched together form a (transversal) matroid, and a
maximum-weight independent set for any weights ordered critical > urgent > routine > 0
reaches the rank at every weight level — the most criticals possible, then the most urgents
given those, then the most routines, hence also the most demands. ``S`` exceeds any total
preference difference (at most N·P), so preference only breaks ties between such sets.
With ``per_window=None`` every feasible arc is built and the plan is exactly optimal; the
default keeps each demand's earliest ``DEFAULT_PER_WINDOW`` feasible slots per mode and
window (a bounded graph, optimal over those arcs). Only feasible arcs are built, from the
engine's index, and capacities are arc capacities, so a plan can never overbook a slot or
break a hard constraint.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from careloop.matching.engine import (
    PREFERENCE_SCALE,
    DemandIn,
    SlotIn,
    SlotIndex,
    preference_cost,
)

TIER_WEIGHT = {"routine": 1, "urgent": 2, "critical": 3}
# Arcs kept per demand, mode and window: the earliest feasible slots. Bounds the graph
# (10 k demands × 2 k providers × 2 weeks: ~0.4 M arcs instead of ~7.4 M) with no measured
# loss of matched demands (benchmarks/bench_matching.py); pass None for the exact optimum.
DEFAULT_PER_WINDOW = 32


class OptimizerError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Plan:
    assignments: list[tuple[str, str]]  # (demand id, slot id)
    unmatched: list[str]
    preference_cost: int
    arcs: int
    seconds: float


def _feasible_arcs(
    demands: Sequence[DemandIn], index: SlotIndex, with_cost: bool, per_window: int | None
) -> tuple[list[int], list[str], list[int], list[str]]:
    """Parallel lists (demand position, slot id, cost) plus the slot ids in node order."""
    tails: list[int] = []
    heads: list[str] = []
    costs: list[int] = []
    for position, demand in enumerate(demands):
        for slot in index.candidates(demand, per_window):
            tails.append(position)
            heads.append(slot.id)
            if with_cost:
                costs.append(preference_cost(slot, demand))
    used = sorted(set(heads))
    return tails, heads, costs, used


def optimize(
    demands: Sequence[DemandIn],
    slots: SlotIndex | Iterable[SlotIn],
    *,
    per_window: int | None = DEFAULT_PER_WINDOW,
) -> Plan:
    """Assign demands to slots; ``per_window`` keeps only each demand's earliest feasible
    slots per (mode, window) as arcs (None: all of them, the exact optimum)."""
    began = time.perf_counter()
    index = slots if isinstance(slots, SlotIndex) else SlotIndex(slots)
    if len({d.id for d in demands}) != len(demands):
        raise ValueError("duplicate demand ids")
    n = len(demands)
    if n == 0:
        return Plan([], [], 0, 0, time.perf_counter() - began)
    tails, heads, costs, used = _feasible_arcs(demands, index, True, per_window)
    scale = n * PREFERENCE_SCALE + 1
    # Nodes: demands 0..n-1, slots n..n+len(used)-1, sink last.
    slot_node = {slot_id: n + i for i, slot_id in enumerate(used)}
    sink = n + len(used)
    flow = min_cost_flow.SimpleMinCostFlow()
    if tails:
        flow.add_arcs_with_capacity_and_unit_cost(
            np.asarray(tails, dtype=np.int32),
            np.fromiter((slot_node[h] for h in heads), dtype=np.int32, count=len(heads)),
            np.ones(len(tails), dtype=np.int64),
            np.asarray(costs, dtype=np.int64),
        )
    if used:
        flow.add_arcs_with_capacity_and_unit_cost(
            np.arange(n, n + len(used), dtype=np.int32),
            np.full(len(used), sink, dtype=np.int32),
            np.asarray([index.slots[s].capacity for s in used], dtype=np.int64),
            np.zeros(len(used), dtype=np.int64),
        )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, dtype=np.int32),
        np.full(n, sink, dtype=np.int32),
        np.ones(n, dtype=np.int64),
        np.asarray([TIER_WEIGHT[d.tier] * scale for d in demands], dtype=np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise OptimizerError(f"min-cost flow failed with status {status}")
    flows = flow.flows(np.arange(len(tails), dtype=np.int32)) if tails else []
    assignments: list[tuple[str, str]] = []
    matched: set[int] = set()
    total_preference = 0
    for arc in np.flatnonzero(np.asarray(flows) > 0):
        position = tails[arc]
        assignments.append((demands[position].id, heads[arc]))
        matched.add(position)
        total_preference += costs[arc]
    unmatched = [d.id for i, d in enumerate(demands) if i not in matched]
    return Plan(assignments, unmatched, total_preference, len(tails), time.perf_counter() - began)


def max_matched(demands: Sequence[DemandIn], slots: SlotIndex | Iterable[SlotIn]) -> int:
    """The most demands any assignment could match (max flow, tiers and preferences ignored)."""
    index = slots if isinstance(slots, SlotIndex) else SlotIndex(slots)
    n = len(demands)
    tails, heads, _, used = _feasible_arcs(demands, index, False, None)
    if not tails:
        return 0
    slot_node = {slot_id: n + 2 + i for i, slot_id in enumerate(used)}
    source, sink = n, n + 1
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.full(n, source, dtype=np.int32), np.arange(n, dtype=np.int32), np.ones(n, np.int64)
    )
    flow.add_arcs_with_capacity(
        np.asarray(tails, dtype=np.int32),
        np.fromiter((slot_node[h] for h in heads), dtype=np.int32, count=len(heads)),
        np.ones(len(tails), dtype=np.int64),
    )
    flow.add_arcs_with_capacity(
        np.fromiter(slot_node.values(), dtype=np.int32, count=len(slot_node)),
        np.full(len(slot_node), sink, dtype=np.int32),
        np.asarray([index.slots[s].capacity for s in slot_node], dtype=np.int64),
    )
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise OptimizerError("max flow failed")
    return int(flow.optimal_flow())
