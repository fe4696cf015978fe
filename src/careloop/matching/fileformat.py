"""The ``careloop match-file`` JSON format (issue 5 §3), pure Python (no Django).

Input: ``{"slots": [{"id", "provider", "service_codes": [..], "mode", "start", "end",
"capacity", "provider_sex", "location": [lat, lon], "radius_km"}], "demands": [{"id",
"service_code", "modes": [..], "windows": [{"start", "end"}], "provider_sex": null|"F"|"M",
"location": [lat, lon], "tier": "routine"|"urgent"|"critical"}]}``, times ISO 8601 with an
offset. Optional extras: a slot's ``"rating"`` (0–5) and a demand's ``"family_doctor"``
(a provider id), used for preference only. Output: ``{"assignments": [{"demand", "slot"}],
"unmatched": [{"demand", "alternatives": [{"slot", "relaxed": [..], "start", "end", "mode",
"provider"}]}], "seconds": …}``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from careloop.matching.engine import (
    SEXES,
    TIERS,
    DemandIn,
    Location,
    SlotIn,
    SlotIndex,
    alternatives,
)
from careloop.matching.optimizer import optimize


class FormatError(ValueError):
    pass


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise FormatError(f"{where}: expected an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FormatError(f"{where}: {exc}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FormatError(f"{where}: the time needs an offset ({value!r})")
    return parsed


def _location(value: Any, where: str) -> Location | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise FormatError(f"{where}: expected [lat, lon] or null")
    lat, lon = float(value[0]), float(value[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FormatError(f"{where}: [lat, lon] out of range")
    return (lat, lon)


def _sex(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if value not in SEXES:
        raise FormatError(f"{where}: provider_sex must be null, 'F' or 'M'")
    return str(value)


def parse_slot(raw: Mapping[str, Any], i: int) -> SlotIn:
    where = f"slots[{i}]"
    try:
        slot = SlotIn(
            id=str(raw["id"]),
            provider=str(raw["provider"]),
            service_codes=frozenset(str(c) for c in raw["service_codes"]),
            mode=str(raw["mode"]),
            start=_time(raw["start"], f"{where}.start"),
            end=_time(raw["end"], f"{where}.end"),
            capacity=int(raw.get("capacity", 1)),
            provider_sex=_sex(raw.get("provider_sex"), where),
            location=_location(raw.get("location"), f"{where}.location"),
            radius_km=None if raw.get("radius_km") is None else float(raw["radius_km"]),
            rating=None if raw.get("rating") is None else float(raw["rating"]),
        )
    except (KeyError, TypeError) as exc:
        raise FormatError(f"{where}: missing or malformed field {exc}") from None
    if slot.end <= slot.start:
        raise FormatError(f"{where}: end must be after start")
    return slot


def parse_demand(raw: Mapping[str, Any], i: int) -> DemandIn:
    where = f"demands[{i}]"
    try:
        windows = tuple(
            (
                _time(w["start"], f"{where}.windows[{j}].start"),
                _time(w["end"], f"{where}.windows[{j}].end"),
            )
            for j, w in enumerate(raw["windows"])
        )
        tier = raw.get("tier", "routine")
        if tier not in TIERS:
            raise FormatError(f"{where}: tier must be one of {', '.join(TIERS)}")
        return DemandIn(
            id=str(raw["id"]),
            service_code=str(raw["service_code"]),
            modes=frozenset(str(m) for m in raw["modes"]),
            windows=windows,
            provider_sex=_sex(raw.get("provider_sex"), where),
            location=_location(raw.get("location"), f"{where}.location"),
            tier=tier,
            family_doctor=None if raw.get("family_doctor") is None else str(raw["family_doctor"]),
        )
    except (KeyError, TypeError) as exc:
        raise FormatError(f"{where}: missing or malformed field {exc}") from None


def parse(document: Any) -> tuple[list[SlotIn], list[DemandIn]]:
    if not isinstance(document, dict):
        raise FormatError('expected an object with "slots" and "demands"')
    slots = [parse_slot(s, i) for i, s in enumerate(document.get("slots", []))]
    demands = [parse_demand(d, i) for i, d in enumerate(document.get("demands", []))]
    if len({s.id for s in slots}) != len(slots):
        raise FormatError("duplicate slot ids")
    if len({d.id for d in demands}) != len(demands):
        raise FormatError("duplicate demand ids")
    return slots, demands


def solve(document: Any, *, n_alternatives: int = 3) -> dict[str, Any]:
    """Parse, optimise, offer alternatives to the unmatched; the output document."""
    began = time.perf_counter()
    slots, demands = parse(document)
    index = SlotIndex(slots)
    plan = optimize(demands, index)
    remaining = {s.id: s.capacity for s in slots}
    for _, slot_id in plan.assignments:
        remaining[slot_id] -= 1
    by_id = {d.id: d for d in demands}
    unmatched = []
    for demand_id in plan.unmatched:
        offers = alternatives(by_id[demand_id], index, n_alternatives, remaining=remaining)
        unmatched.append(
            {
                "demand": demand_id,
                "alternatives": [
                    {
                        "slot": a.slot.id,
                        "relaxed": list(a.relaxed),
                        "start": a.slot.start.isoformat(),
                        "end": a.slot.end.isoformat(),
                        "mode": a.slot.mode,
                        "provider": a.slot.provider,
                    }
                    for a in offers
                ],
            }
        )
    return {
        "assignments": [{"demand": d, "slot": s} for d, s in plan.assignments],
        "unmatched": unmatched,
        "seconds": round(time.perf_counter() - began, 3),
    }
