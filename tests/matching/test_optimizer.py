"""The batch optimiser: never infeasible or overbooked, optimal, tier priority first."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.graph.python import max_flow

from careloop.matching.engine import DemandIn, SlotIn, feasible
from careloop.matching.optimizer import max_matched, optimize
from careloop.matching.synthetic import generate_demands, generate_slots

from .test_feasibility import DEMAND, SLOT

CST = timezone(timedelta(hours=8))
DAY = datetime(2026, 12, 1, 8, 0, tzinfo=CST)
CODES = ("A", "B", "C")
MODES = ("clinic", "home", "online")


def brute_force_max_flow(demands, slots) -> int:
    """The most demands matchable, from feasible() over every pair (independent of the
    engine's index and of the optimiser's graph)."""
    if not demands or not slots:
        return 0
    flow = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    for i, demand in enumerate(demands):
        flow.add_arc_with_capacity(source, 2 + i, 1)
        for j, slot in enumerate(slots):
            if feasible(slot, demand):
                flow.add_arc_with_capacity(2 + i, 2 + len(demands) + j, 1)
    for j, slot in enumerate(slots):
        flow.add_arc_with_capacity(2 + len(demands) + j, sink, max(slot.capacity, 0))
    assert flow.solve(source, sink) == flow.OPTIMAL
    return flow.optimal_flow()


def _location():
    return st.one_of(
        st.none(),
        st.tuples(st.floats(31.20, 31.26), st.floats(121.44, 121.50)),
    )


@st.composite
def slots_strategy(draw):
    count = draw(st.integers(0, 12))
    slots = []
    for j in range(count):
        start = DAY + timedelta(minutes=30 * draw(st.integers(0, 16)))
        slots.append(
            SlotIn(
                id=f"s{j}",
                provider=f"p{draw(st.integers(0, 4))}",
                service_codes=frozenset(draw(st.sets(st.sampled_from(CODES), min_size=1))),
                mode=draw(st.sampled_from(MODES)),
                start=start,
                end=start + timedelta(minutes=draw(st.sampled_from((30, 60, 90)))),
                capacity=draw(st.integers(0, 3)),
                provider_sex=draw(st.sampled_from(("F", "M", None))),
                location=draw(_location()),
                radius_km=draw(st.one_of(st.none(), st.floats(0.5, 6.0))),
                rating=draw(st.one_of(st.none(), st.floats(0, 5))),
            )
        )
    return slots


@st.composite
def demands_strategy(draw):
    count = draw(st.integers(0, 15))
    demands = []
    for i in range(count):
        windows = []
        for _ in range(draw(st.integers(1, 2))):
            start = DAY + timedelta(minutes=30 * draw(st.integers(0, 16)))
            windows.append((start, start + timedelta(minutes=30 * draw(st.integers(1, 8)))))
        demands.append(
            DemandIn(
                id=f"d{i}",
                service_code=draw(st.sampled_from(CODES)),
                modes=frozenset(draw(st.sets(st.sampled_from(MODES), min_size=1))),
                windows=tuple(windows),
                provider_sex=draw(st.sampled_from(("F", "M", None))),
                location=draw(_location()),
                tier=draw(st.sampled_from(("routine", "urgent", "critical"))),
                family_doctor=draw(st.sampled_from((None, "p0", "p1"))),
            )
        )
    return demands


def assert_valid(plan, demands, slots):
    by_demand = {d.id: d for d in demands}
    by_slot = {s.id: s for s in slots}
    assigned = [d for d, _ in plan.assignments]
    assert len(assigned) == len(set(assigned)), "a demand assigned twice"
    assert set(assigned) | set(plan.unmatched) == set(by_demand)
    assert not set(assigned) & set(plan.unmatched)
    for demand_id, slot_id in plan.assignments:
        assert feasible(by_slot[slot_id], by_demand[demand_id])
    for slot_id, used in Counter(s for _, s in plan.assignments).items():
        assert used <= by_slot[slot_id].capacity, f"{slot_id} overbooked"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slots=slots_strategy(), demands=demands_strategy())
def test_never_violates_a_constraint_or_a_capacity_and_is_optimal_per_tier(slots, demands):
    plan = optimize(demands, slots, per_window=None)
    assert_valid(plan, demands, slots)
    matched = {d for d, _ in plan.assignments}
    # Lexicographic tier optimality: the most criticals, then criticals+urgents, then all.
    for tiers in (("critical",), ("critical", "urgent"), ("critical", "urgent", "routine")):
        subset = [d for d in demands if d.tier in tiers]
        assert sum(d.id in matched for d in subset) == brute_force_max_flow(subset, slots)
    assert max_matched(demands, slots) == brute_force_max_flow(demands, slots)
    assert_valid(optimize(demands, slots, per_window=1), demands, slots)


def test_a_critical_demand_wins_the_last_place():
    routine = replace(DEMAND, id="routine", tier="routine", family_doctor=SLOT.provider)
    critical = replace(DEMAND, id="critical", tier="critical")
    for order in ([routine, critical], [critical, routine]):
        plan = optimize(order, [SLOT])
        assert plan.assignments == [("critical", "s1")]
        assert plan.unmatched == ["routine"]


def test_urgent_beats_routine_and_preference_breaks_ties():
    other = replace(SLOT, id="s2", provider="p2")
    urgent = replace(DEMAND, id="urgent", tier="urgent")
    routine = replace(DEMAND, id="routine", family_doctor="p2")
    plan = optimize([routine, urgent], [replace(SLOT, capacity=1), other])
    assert sorted(plan.assignments) == [("routine", "s2"), ("urgent", "s1")]
    assert optimize([routine, urgent], [SLOT]).assignments == [("urgent", "s1")]


def test_matches_the_max_flow_optimum_on_a_generated_instance():
    slots = generate_slots(150, days=7, codes=8, seed=11)
    demands = generate_demands(1500, days=7, codes=8, providers=150, seed=12)
    plan = optimize(demands, slots)  # default bounded graph
    assert_valid(plan, demands, slots)
    optimum = max_matched(demands, slots)
    assert optimum > 0
    assert len(plan.assignments) >= 0.99 * optimum
    assert len(optimize(demands, slots, per_window=None).assignments) == optimum
    assert np.isfinite(plan.seconds)
