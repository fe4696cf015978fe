"""Online demand ↔ slot matching: hard constraints, preference ranking, fuzzy alternatives.

Pure Python (no Django), so it can be tested, benchmarked and run anywhere.

Hard constraints (``feasible``), exactly as issue 5 states them:

1. the slot offers the demand's service code;
2. the slot's delivery mode is one of the demand's modes;
3. the slot lies wholly inside one of the demand's time windows (``w.start <= s.start`` and
   ``s.end <= w.end``);
4. when the demand asks for a provider sex, the slot's provider has it;
5. for mode ``"home"`` the great-circle (haversine) distance from the slot's location to the
   demand's location is at most the slot's ``radius_km`` (a home slot or demand without a
   location, or a home slot without a radius, fits nothing: the distance cannot be checked);
6. capacity is the caller's: ``rank`` and ``alternatives`` take an optional ``remaining``
   mapping (slot id → places left) and skip full slots; the optimiser enforces it as arc
   capacity.

Preference fit (``preference_cost``: 0 best … ``PREFERENCE_SCALE`` worst), a weighted sum of
earliest acceptable time (how far into its window the slot starts), distance, continuity with the
resident's own family doctor (``DemandIn.family_doctor``), provider rating and provider load.

Fuzzy alternatives (``alternatives``) relax constraints in this order, one level at a time,
until ``n`` alternatives are found; each names what it relaxed:

1. ``"mode"`` — other delivery modes for the same service (home still checks the radius);
2. ``"window+1d"``, ``"window+3d"``, ``"window+7d"`` — each window widened by that many days on
   both sides (same modes);
3. ``"provider_sex"`` — the provider-sex preference dropped;
4. ``"mode"`` + ``"window+7d"`` — both of the first two together;
5. ``"mode"`` + ``"window+7d"`` + ``"provider_sex"`` — all three.

The service code is never relaxed, nor is a home-visit radius (it is the provider's limit).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

TIERS = ("routine", "urgent", "critical")
SEXES = ("F", "M")
HOME = "home"
PREFERENCE_SCALE = 1000
EARTH_RADIUS_KM = 6371.0088
DEFAULT_DISTANCE_KM = 20.0  # distance at which the distance term saturates (non-home modes)

# Weights of the preference terms (they sum to 1).
W_TIME, W_DISTANCE, W_CONTINUITY, W_RATING, W_LOAD = 0.40, 0.20, 0.20, 0.10, 0.10

Location = tuple[float, float]
Window = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class SlotIn:
    id: str
    provider: str
    service_codes: frozenset[str]
    mode: str
    start: datetime
    end: datetime
    capacity: int = 1
    provider_sex: str | None = None
    location: Location | None = None
    radius_km: float | None = None
    rating: float | None = None  # 0–5, None when unrated


@dataclass(frozen=True, slots=True)
class DemandIn:
    id: str
    service_code: str
    modes: frozenset[str]
    windows: tuple[Window, ...]
    provider_sex: str | None = None
    location: Location | None = None
    tier: str = "routine"
    family_doctor: str | None = None  # provider id of the resident's own family doctor


@dataclass(frozen=True, slots=True)
class Match:
    slot: SlotIn
    cost: int  # preference cost, 0 best


@dataclass(frozen=True, slots=True)
class Alternative:
    slot: SlotIn
    relaxed: tuple[str, ...]
    cost: int


def haversine_km(a: Location, b: Location) -> float:
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _within_radius(slot: SlotIn, demand: DemandIn) -> bool:
    if slot.location is None or demand.location is None or slot.radius_km is None:
        return False
    # Cheap latitude pre-check (1° latitude ≈ 111.2 km) before the trigonometry.
    if abs(slot.location[0] - demand.location[0]) * 111.19 > slot.radius_km + 1e-9:
        return False
    return haversine_km(slot.location, demand.location) <= slot.radius_km


def fits_window(slot: SlotIn, windows: Iterable[Window]) -> bool:
    return any(start <= slot.start and slot.end <= end for start, end in windows)


def feasible(slot: SlotIn, demand: DemandIn) -> bool:
    """Every hard constraint except capacity (see the module docstring)."""
    if demand.service_code not in slot.service_codes:
        return False
    if slot.mode not in demand.modes:
        return False
    if not fits_window(slot, demand.windows):
        return False
    if demand.provider_sex is not None and slot.provider_sex != demand.provider_sex:
        return False
    return slot.mode != HOME or _within_radius(slot, demand)


def preference_cost(slot: SlotIn, demand: DemandIn, load: Mapping[str, float] | None = None) -> int:
    """0 (best) … PREFERENCE_SCALE (worst) for a feasible pair."""
    time_term = 1.0
    for start, end in demand.windows:
        if start <= slot.start and slot.end <= end:
            span = (end - start).total_seconds()
            offset = (slot.start - start).total_seconds()
            time_term = min(time_term, offset / span if span > 0 else 0.0)
    if slot.location is not None and demand.location is not None:
        reach = slot.radius_km if slot.mode == HOME and slot.radius_km else DEFAULT_DISTANCE_KM
        distance_term = min(1.0, haversine_km(slot.location, demand.location) / reach)
    else:
        distance_term = 0.5 if slot.mode == HOME else 0.0  # clinic/online: no travel known
    continuity = 0.0 if demand.family_doctor in (None, slot.provider) else 1.0
    rating = 0.5 if slot.rating is None else 1.0 - max(0.0, min(5.0, slot.rating)) / 5.0
    load_term = max(0.0, min(1.0, load.get(slot.provider, 0.0))) if load else 0.0
    score = (
        W_TIME * time_term
        + W_DISTANCE * distance_term
        + W_CONTINUITY * continuity
        + W_RATING * rating
        + W_LOAD * load_term
    )
    return round(score * PREFERENCE_SCALE)


@dataclass(slots=True)
class _Bucket:
    starts: list[datetime] = field(default_factory=list)
    slots: list[SlotIn] = field(default_factory=list)
    max_radius_km: float = 0.0


CELL_DEG = 0.05  # home-visit grid cell, ~5.6 km of latitude
_LON_CELLS = round(360 / CELL_DEG)

Cell = tuple[int, int]


def _cell(location: Location) -> Cell:
    lat, lon = location
    return (
        math.floor(lat / CELL_DEG),
        math.floor(((lon + 180.0) % 360.0) / CELL_DEG) % _LON_CELLS,
    )


class SlotIndex:
    """Slots by (service code, mode), each bucket sorted by start time for bisection; home
    slots also by a latitude/longitude grid cell so that only cells within reach are read."""

    def __init__(self, slots: Iterable[SlotIn]):
        self.slots: dict[str, SlotIn] = {}
        grouped: dict[tuple[str, str], list[SlotIn]] = {}
        home: dict[str, dict[Cell, list[SlotIn]]] = {}
        self.max_radius_km = 0.0
        for slot in slots:
            if slot.id in self.slots:
                raise ValueError(f"duplicate slot id {slot.id!r}")
            self.slots[slot.id] = slot
            if slot.mode == HOME:
                if slot.location is None or slot.radius_km is None:
                    continue  # can never fit (see feasible)
                self.max_radius_km = max(self.max_radius_km, slot.radius_km)
                for code in slot.service_codes:
                    home.setdefault(code, {}).setdefault(_cell(slot.location), []).append(slot)
                continue
            for code in slot.service_codes:
                grouped.setdefault((code, slot.mode), []).append(slot)
        self._buckets = {key: self._bucket(members) for key, members in grouped.items()}
        self._home = {
            code: {cell: self._bucket(members) for cell, members in cells.items()}
            for code, cells in home.items()
        }
        self._modes: dict[str, set[str]] = {}
        for code, mode in self._buckets:
            self._modes.setdefault(code, set()).add(mode)
        for code in self._home:
            self._modes.setdefault(code, set()).add(HOME)

    @staticmethod
    def _bucket(members: list[SlotIn]) -> _Bucket:
        members.sort(key=lambda s: (s.start, s.id))
        radius = max((s.radius_km or 0.0 for s in members), default=0.0)
        return _Bucket([s.start for s in members], members, radius)

    def modes_for(self, service_code: str) -> frozenset[str]:
        return frozenset(self._modes.get(service_code, ()))

    def _home_buckets(self, demand: DemandIn) -> list[_Bucket]:
        cells = self._home.get(demand.service_code)
        if not cells or demand.location is None:
            return []
        lat, lon = demand.location
        reach = self.max_radius_km / EARTH_RADIUS_KM  # radians
        lat_lo = math.floor((lat - math.degrees(reach)) / CELL_DEG) - 1
        lat_hi = math.floor((lat + math.degrees(reach)) / CELL_DEG) + 1
        # haversine: sin(d/2) >= cos(max |lat|) * sin(|dlon|/2), so |dlon| is bounded.
        widest = math.radians(min(90.0, abs(lat) + math.degrees(reach) + CELL_DEG))
        bound = math.sin(reach / 2) / max(math.cos(widest), 1e-12)
        if bound >= 1:
            return [b for (row, _), b in cells.items() if lat_lo <= row <= lat_hi]
        span = math.degrees(2 * math.asin(bound))
        col = _cell((lat, lon))[1]
        width = math.ceil(span / CELL_DEG) + 1
        if 2 * width + 1 >= _LON_CELLS:
            return [b for (row, _), b in cells.items() if lat_lo <= row <= lat_hi]
        found = []
        for row in range(lat_lo, lat_hi + 1):
            for offset in range(-width, width + 1):
                cell = (row, (col + offset) % _LON_CELLS)
                bucket = cells.get(cell)
                if bucket is not None and _may_reach(bucket, cell, demand.location):
                    found.append(bucket)
        return found

    def candidates(
        self,
        demand: DemandIn,
        per_window: int | None = None,
        remaining: Mapping[str, int] | None = None,
    ) -> Iterator[SlotIn]:
        """Feasible slots (capacity aside unless ``remaining`` is given: then only slots with
        places left), each once, in (start, id) order per mode and window: every one, or the
        earliest ``per_window`` per mode and window (home-visit grid cells merged lazily)."""
        seen: set[str] = set()
        reach: dict[tuple[Location | None, float | None], bool] = {}  # radius checks done
        for mode in sorted(demand.modes):
            if mode == HOME:
                buckets = self._home_buckets(demand)
            else:
                bucket = self._buckets.get((demand.service_code, mode))
                buckets = [] if bucket is None else [bucket]
            if not buckets:
                continue
            for w_start, w_end in sorted(demand.windows):
                scans = [self._scan(b, demand, w_start, w_end, remaining, reach) for b in buckets]
                stream = scans[0] if len(scans) == 1 else heapq.merge(*scans, key=_order)
                taken = 0
                for slot in stream:
                    if per_window is not None and taken >= per_window:
                        break
                    if slot.id in seen:
                        continue
                    seen.add(slot.id)
                    taken += 1
                    yield slot

    @staticmethod
    def _scan(
        bucket: _Bucket,
        demand: DemandIn,
        w_start: datetime,
        w_end: datetime,
        remaining: Mapping[str, int] | None,
        reach: dict[tuple[Location | None, float | None], bool],
    ) -> Iterator[SlotIn]:
        starts, members = bucket.starts, bucket.slots
        sex = demand.provider_sex
        i = bisect_left(starts, w_start)
        while i < len(starts) and starts[i] < w_end:
            slot = members[i]
            i += 1
            if slot.end > w_end or slot.capacity <= 0:
                continue
            if sex is not None and slot.provider_sex != sex:
                continue
            if slot.mode == HOME:
                key = (slot.location, slot.radius_km)
                fits = reach.get(key)
                if fits is None:
                    fits = reach[key] = _within_radius(slot, demand)
                if not fits:
                    continue
            if remaining is not None and remaining.get(slot.id, slot.capacity) <= 0:
                continue
            yield slot


def _may_reach(bucket: _Bucket, cell: Cell, location: Location) -> bool:
    """False only when no slot of a grid cell can reach ``location``: the distance to the
    nearest point of the cell (with a 2 % + 50 m safety margin) exceeds its largest radius."""
    row, col = cell
    lat = min(max(location[0], row * CELL_DEG), (row + 1) * CELL_DEG)
    west = col * CELL_DEG - 180.0
    lon = location[1]
    if not west <= lon <= west + CELL_DEG:
        # the nearer of the cell's two meridians, across the antimeridian too
        east = west + CELL_DEG
        lon = min((west, east), key=lambda m: abs((m - location[1] + 180.0) % 360.0 - 180.0))
    return haversine_km((lat, lon), location) * 0.98 - 0.05 <= bucket.max_radius_km


def _order(slot: SlotIn) -> tuple[datetime, str]:
    return (slot.start, slot.id)


def _as_index(slots: SlotIndex | Iterable[SlotIn]) -> SlotIndex:
    return slots if isinstance(slots, SlotIndex) else SlotIndex(slots)


def rank(
    demand: DemandIn,
    slots: SlotIndex | Iterable[SlotIn],
    *,
    n: int = 5,
    remaining: Mapping[str, int] | None = None,
    load: Mapping[str, float] | None = None,
    horizon: int = 16,
) -> list[Match]:
    """The ``n`` best feasible slots with places left, best first.

    Only the earliest ``horizon`` feasible slots per delivery mode and window are scored, so
    a call stays around a tenth of a millisecond however many slots lie later in the windows
    (earliest acceptable time weighs most).
    """
    index = _as_index(slots)
    found = [
        Match(slot, preference_cost(slot, demand, load))
        for slot in index.candidates(demand, horizon, remaining)
    ]
    found.sort(key=lambda m: (m.cost, m.slot.start, m.slot.id))
    return found[:n]


def _relaxations(demand: DemandIn, index: SlotIndex) -> Iterator[tuple[tuple[str, ...], DemandIn]]:
    other_modes = index.modes_for(demand.service_code) - demand.modes
    all_modes = demand.modes | other_modes

    def widened(days: int) -> tuple[Window, ...]:
        pad = timedelta(days=days)
        return tuple((start - pad, end + pad) for start, end in demand.windows)

    if other_modes:
        yield ("mode",), replace(demand, modes=frozenset(other_modes))
    for days in (1, 3, 7):
        yield (f"window+{days}d",), replace(demand, windows=widened(days))
    if demand.provider_sex is not None:
        yield ("provider_sex",), replace(demand, provider_sex=None)
    if other_modes:
        yield ("mode", "window+7d"), replace(demand, modes=all_modes, windows=widened(7))
        if demand.provider_sex is not None:
            yield (
                ("mode", "window+7d", "provider_sex"),
                replace(demand, modes=all_modes, windows=widened(7), provider_sex=None),
            )


def alternatives(
    demand: DemandIn,
    slots: SlotIndex | Iterable[SlotIn],
    n: int = 3,
    *,
    remaining: Mapping[str, int] | None = None,
    load: Mapping[str, float] | None = None,
) -> list[Alternative]:
    """Up to ``n`` concrete slots found by relaxing constraints in the documented order."""
    index = _as_index(slots)
    exact = {m.slot.id for m in rank(demand, index, n=n, remaining=remaining, load=load)}
    result: list[Alternative] = []
    seen = set(exact)
    for relaxed, loosened in _relaxations(demand, index):
        if len(result) >= n:
            break
        for match in rank(loosened, index, n=n + len(seen), remaining=remaining, load=load):
            if match.slot.id in seen:
                continue
            seen.add(match.slot.id)
            result.append(Alternative(match.slot, relaxed, match.cost))
            if len(result) >= n:
                break
    return result


def load_from(assigned: Sequence[SlotIn]) -> dict[str, float]:
    """Provider load in [0, 1]: each provider's share of the busiest provider's bookings."""
    counts: dict[str, int] = {}
    for slot in assigned:
        counts[slot.provider] = counts.get(slot.provider, 0) + 1
    peak = max(counts.values(), default=0)
    return {p: c / peak for p, c in counts.items()} if peak else {}
