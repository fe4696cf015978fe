"""Online ranking and fuzzy alternatives."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from careloop.matching.engine import SlotIndex, alternatives, feasible, rank
from careloop.matching.synthetic import generate_demands, generate_slots

from .test_feasibility import DEMAND, SLOT, T0


def _slots():
    return [
        replace(SLOT, id="late", start=T0 + timedelta(hours=1), end=T0 + timedelta(minutes=90)),
        SLOT,
        replace(SLOT, id="male", provider="p2", provider_sex="M"),
        replace(SLOT, id="online", mode="online"),
        replace(SLOT, id="home", mode="home", radius_km=10.0),
        replace(
            SLOT,
            id="tomorrow",
            start=T0 + timedelta(days=1),
            end=T0 + timedelta(days=1, minutes=30),
        ),
    ]


def test_rank_returns_feasible_slots_earliest_and_best_first():
    ranked = rank(DEMAND, _slots(), n=10)
    assert {m.slot.id for m in ranked} == {"s1", "male", "online", "late"}
    assert ranked[-1].slot.id == "late"
    assert all(feasible(m.slot, DEMAND) for m in ranked)


def test_rank_prefers_the_family_doctor():
    ranked = rank(replace(DEMAND, family_doctor="p2", modes=frozenset({"clinic"})), _slots())
    assert ranked[0].slot.id == "male"


def test_rank_skips_full_slots():
    ranked = rank(DEMAND, _slots(), remaining={"s1": 0, "male": 0, "online": 0})
    assert [m.slot.id for m in ranked] == ["late"]


def test_alternatives_relax_in_the_documented_order():
    index = SlotIndex(_slots())
    wants_male_online_at_nine = replace(
        DEMAND,
        modes=frozenset({"online"}),
        windows=((T0, T0 + timedelta(minutes=30)),),
        provider_sex="M",
    )
    assert [m.slot.id for m in rank(wants_male_online_at_nine, index)] == []
    offers = alternatives(wants_male_online_at_nine, index, 5)
    assert [(a.slot.id, a.relaxed) for a in offers] == [
        ("male", ("mode",)),
        ("online", ("provider_sex",)),
        ("s1", ("mode", "window+7d", "provider_sex")),
        ("late", ("mode", "window+7d", "provider_sex")),
        ("tomorrow", ("mode", "window+7d", "provider_sex")),
    ]


def test_alternatives_widen_the_window_by_days():
    index = SlotIndex(
        [
            replace(
                SLOT,
                id="tomorrow",
                start=T0 + timedelta(days=1),
                end=T0 + timedelta(days=1, minutes=30),
            )
        ]
    )
    offers = alternatives(DEMAND, index, 3)
    assert [(a.slot.id, a.relaxed) for a in offers] == [("tomorrow", ("window+1d",))]


def test_candidates_equal_brute_force_on_a_generated_instance():
    slots = generate_slots(60, days=5, codes=6, seed=5)
    index = SlotIndex(slots)
    for demand in generate_demands(200, days=5, codes=6, seed=6):
        expected = sorted(s.id for s in slots if feasible(s, demand))
        assert sorted(s.id for s in index.candidates(demand)) == expected
