"""The hard constraints, one by one (issue 5 §3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from careloop.matching.engine import DemandIn, SlotIn, feasible, haversine_km

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=CST)
HERE = (31.2300, 121.4700)
FIVE_KM_NORTH = (31.2300 + 5 / 111.195, 121.4700)

SLOT = SlotIn(
    id="s1",
    provider="p1",
    service_codes=frozenset({"BP", "DM"}),
    mode="clinic",
    start=T0,
    end=T0 + timedelta(minutes=30),
    capacity=1,
    provider_sex="F",
    location=HERE,
    radius_km=None,
)
DEMAND = DemandIn(
    id="d1",
    service_code="BP",
    modes=frozenset({"clinic", "online"}),
    windows=((T0 - timedelta(hours=1), T0 + timedelta(hours=2)),),
    provider_sex=None,
    location=FIVE_KM_NORTH,
    tier="routine",
)


def test_the_reference_pair_fits():
    assert feasible(SLOT, DEMAND)


def test_service_code_must_be_offered():
    assert not feasible(SLOT, replace(DEMAND, service_code="ANC"))
    assert feasible(SLOT, replace(DEMAND, service_code="DM"))


def test_slot_mode_must_be_one_of_the_demand_modes():
    assert not feasible(SLOT, replace(DEMAND, modes=frozenset({"online", "home"})))
    assert feasible(replace(SLOT, mode="online"), DEMAND)


@pytest.mark.parametrize(
    ("window_start", "window_end", "fits"),
    [
        (T0, T0 + timedelta(minutes=30), True),  # exactly the slot: inside, boundaries included
        (T0 - timedelta(hours=1), T0 + timedelta(minutes=30), True),
        (T0 + timedelta(minutes=1), T0 + timedelta(hours=1), False),  # starts before window
        (T0 - timedelta(hours=1), T0 + timedelta(minutes=29), False),  # ends after window
        (T0 + timedelta(minutes=10), T0 + timedelta(minutes=20), False),  # window inside slot
        (T0 + timedelta(hours=1), T0 + timedelta(hours=2), False),  # disjoint
    ],
)
def test_slot_must_lie_wholly_inside_a_window(window_start, window_end, fits):
    assert feasible(SLOT, replace(DEMAND, windows=((window_start, window_end),))) is fits


def test_slot_may_not_straddle_two_adjacent_windows():
    halves = (
        (T0 - timedelta(hours=1), T0 + timedelta(minutes=15)),
        (T0 + timedelta(minutes=15), T0 + timedelta(hours=1)),
    )
    assert not feasible(SLOT, replace(DEMAND, windows=halves))
    assert feasible(SLOT, replace(DEMAND, windows=(*halves, (T0, T0 + timedelta(hours=1)))))


def test_windows_compare_instants_across_offsets():
    utc_window = (
        (T0 - timedelta(minutes=1)).astimezone(UTC),
        (T0 + timedelta(hours=1)).astimezone(UTC),
    )
    assert feasible(SLOT, replace(DEMAND, windows=(utc_window,)))


def test_provider_sex_only_when_asked():
    assert feasible(SLOT, replace(DEMAND, provider_sex="F"))
    assert not feasible(SLOT, replace(DEMAND, provider_sex="M"))
    assert not feasible(replace(SLOT, provider_sex=None), replace(DEMAND, provider_sex="F"))
    assert feasible(replace(SLOT, provider_sex=None), DEMAND)


def test_radius_applies_to_home_visits():
    distance = haversine_km(HERE, FIVE_KM_NORTH)
    assert distance == pytest.approx(5.0, abs=0.01)
    home = replace(SLOT, mode="home", radius_km=distance + 0.01)
    wants_home = replace(DEMAND, modes=frozenset({"home"}))
    assert feasible(home, wants_home)
    assert not feasible(replace(home, radius_km=distance - 0.01), wants_home)
    assert not feasible(replace(home, radius_km=None), wants_home)
    assert not feasible(home, replace(wants_home, location=None))
    assert not feasible(replace(home, location=None), wants_home)


def test_radius_does_not_apply_to_other_modes():
    far = replace(DEMAND, location=(39.9, 116.4))  # Beijing
    assert feasible(replace(SLOT, radius_km=1.0), far)
    assert feasible(replace(SLOT, mode="online", radius_km=1.0), replace(far, location=None))
