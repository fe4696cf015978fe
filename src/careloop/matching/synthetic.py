"""Generated matching instances for tests and benchmarks (pure Python, no Django).

A city ~30 km across; providers with 1–4 of ``codes`` service codes work half-days over
``days`` days in 30-minute slots, at the clinic (capacity 1–3), at home (radius 3–8 km) or
online; demands ask for one code, one or two modes and one or two windows of 2–8 hours.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from careloop.matching.engine import DemandIn, SlotIn

CST = timezone(timedelta(hours=8))
EPOCH = datetime(2026, 11, 30, tzinfo=CST)  # a Monday
CENTRE = (31.23, 121.47)


def _point(rng: random.Random) -> tuple[float, float]:
    return (CENTRE[0] + rng.uniform(-0.14, 0.14), CENTRE[1] + rng.uniform(-0.16, 0.16))


def _code(rng: random.Random, codes: int) -> str:
    # A few common services and a long tail.
    return f"S{min(int(rng.paretovariate(1.2)) - 1, codes - 1):02d}"


def generate_slots(
    providers: int, *, days: int = 14, codes: int = 20, seed: int = 1, start: datetime = EPOCH
) -> list[SlotIn]:
    rng = random.Random(seed)
    slots: list[SlotIn] = []
    for p in range(providers):
        provider = f"P{p:05d}"
        sex = rng.choice("FM")
        home = _point(rng)
        offered = frozenset(_code(rng, codes) for _ in range(rng.randint(1, 4)))
        rating = round(rng.uniform(3.0, 5.0), 1)
        for day in range(days):
            for half, hour in enumerate((8, 14)):
                if rng.random() > 0.6:
                    continue
                mode = rng.choices(("clinic", "home", "online"), (6, 3, 1))[0]
                radius = rng.uniform(3.0, 8.0) if mode == "home" else None
                capacity = rng.randint(1, 3) if mode == "clinic" else 1
                for k in range(4 if mode != "home" else 3):
                    length = 30 if mode != "home" else 60
                    begin = start + timedelta(days=day, hours=hour, minutes=k * length)
                    slots.append(
                        SlotIn(
                            id=f"{provider}-{day:02d}{half}{k}",
                            provider=provider,
                            service_codes=offered,
                            mode=mode,
                            start=begin,
                            end=begin + timedelta(minutes=length),
                            capacity=capacity,
                            provider_sex=sex,
                            location=home,
                            radius_km=radius,
                            rating=rating,
                        )
                    )
    return slots


def generate_demands(
    count: int,
    *,
    days: int = 14,
    codes: int = 20,
    providers: int = 0,
    seed: int = 2,
    start: datetime = EPOCH,
) -> list[DemandIn]:
    rng = random.Random(seed)
    demands: list[DemandIn] = []
    for i in range(count):
        modes = frozenset(rng.sample(("clinic", "home", "online"), rng.choice((1, 1, 2))))
        windows = []
        for _ in range(rng.choice((1, 1, 2))):
            begin = start + timedelta(days=rng.randrange(days), hours=rng.randint(7, 16))
            windows.append((begin, begin + timedelta(hours=rng.randint(2, 8))))
        family = f"P{rng.randrange(providers):05d}" if providers and rng.random() < 0.3 else None
        demands.append(
            DemandIn(
                id=f"D{i:06d}",
                service_code=_code(rng, codes),
                modes=modes,
                windows=tuple(windows),
                provider_sex=rng.choice("FM") if rng.random() < 0.2 else None,
                location=_point(rng),
                tier=rng.choices(("routine", "urgent", "critical"), (80, 15, 5))[0],
                family_doctor=family,
            )
        )
    return demands


def to_document(slots: list[SlotIn], demands: list[DemandIn]) -> dict[str, Any]:
    """The ``match-file`` input document for an instance."""
    return {
        "slots": [
            {
                "id": s.id,
                "provider": s.provider,
                "service_codes": sorted(s.service_codes),
                "mode": s.mode,
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "capacity": s.capacity,
                "provider_sex": s.provider_sex,
                "location": list(s.location) if s.location else None,
                "radius_km": s.radius_km,
                "rating": s.rating,
            }
            for s in slots
        ],
        "demands": [
            {
                "id": d.id,
                "service_code": d.service_code,
                "modes": sorted(d.modes),
                "windows": [
                    {"start": a.astimezone(UTC).isoformat(), "end": b.isoformat()}
                    for a, b in d.windows
                ],
                "provider_sex": d.provider_sex,
                "location": list(d.location) if d.location else None,
                "tier": d.tier,
                "family_doctor": d.family_doctor,
            }
            for d in demands
        ],
    }
