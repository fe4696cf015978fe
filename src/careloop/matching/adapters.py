"""From the database to the pure engine and back: ``catalogue.Slot`` rows become ``SlotIn``,
a ``Demand`` becomes a ``DemandIn``. The engine and optimiser never see a model.

A demand with no time window is open for the matching horizon (from now to ``HORIZON_DAYS``
ahead); a demand with no delivery mode accepts every mode its service is offered in. Only
open slots with a place left that start after now are read, with ``remaining`` places as the
engine's capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Q

from careloop.catalogue.models import DeliveryMode, Slot, SlotStatus
from careloop.core import clock
from careloop.demands.models import Demand
from careloop.matching.engine import DemandIn, SlotIn
from careloop.residents.models import CareContract, ContractStatus

HORIZON_DAYS = 28


def _location(
    latitude: Decimal | float | None, longitude: Decimal | float | None
) -> tuple[float, float] | None:
    if latitude is None or longitude is None:
        return None
    return float(latitude), float(longitude)


SLOT_COLUMNS = (
    "pk", "public_id", "mode", "start", "end", "capacity", "booked_count",
    "provider__public_id", "provider__sex", "provider__radius_km", "provider__rating_avg",
    "provider__rating_count", "provider__base_latitude", "provider__base_longitude",
    "organisation__latitude", "organisation__longitude",
)  # fmt: skip


def slot_input(row: dict[str, Any], service_codes: Iterable[str]) -> SlotIn:
    """A ``SlotIn`` from one row of ``SLOT_COLUMNS`` values; capacity is the places left."""
    site = _location(row["organisation__latitude"], row["organisation__longitude"])
    base = _location(row["provider__base_latitude"], row["provider__base_longitude"])
    radius = row["provider__radius_km"]
    return SlotIn(
        id=row["public_id"],
        provider=row["provider__public_id"],
        service_codes=frozenset(service_codes),
        mode=row["mode"],
        start=row["start"],
        end=row["end"],
        capacity=max(0, row["capacity"] - row["booked_count"]),
        provider_sex=row["provider__sex"] or None,
        location=(base or site) if row["mode"] == DeliveryMode.HOME else site,
        radius_km=float(radius) if radius is not None else None,
        rating=float(row["provider__rating_avg"]) if row["provider__rating_count"] else None,
    )


def free_slots_for(
    service_codes: Iterable[str], *, start: datetime | None = None, end: datetime | None = None
) -> list[SlotIn]:
    """Open slots with places left for any of ``service_codes`` between ``start`` (default
    now) and ``end`` (default the horizon). Two queries of plain values, no model instances
    (a common service has thousands of slots in four weeks); each slot carries only the
    asked-for codes it offers, which is all the engine checks."""
    codes = sorted(set(service_codes))
    if not codes:
        return []
    now = clock.now()
    start = max(start or now, now)
    end = end or now + timedelta(days=HORIZON_DAYS)
    offered = Slot.services.through.objects.filter(
        service__code__in=codes,
        slot__status=SlotStatus.OPEN,
        slot__booked_count__lt=F("slot__capacity"),
        slot__start__gte=start,
        slot__start__lt=end,
        slot__provider__active=True,
    ).values_list("slot_id", "service__code")
    by_slot: dict[int, list[str]] = {}
    for slot_id, code in offered:
        by_slot.setdefault(slot_id, []).append(code)
    if not by_slot:
        return []
    rows = Slot.objects.filter(pk__in=by_slot).order_by("start", "id").values(*SLOT_COLUMNS)
    return [slot_input(row, by_slot[row["pk"]]) for row in rows]


def family_doctor_providers(resident_ids: Sequence[int]) -> dict[int, str]:
    """Resident pk → public id of the provider who is their contracted family doctor."""
    rows = (
        CareContract.objects.filter(
            resident_id__in=resident_ids,
            status=ContractStatus.ACTIVE,
            doctor__provider__isnull=False,
        )
        .values_list("resident_id", "doctor__provider__public_id")
        .order_by("resident_id", "-signed_on")
    )
    found: dict[int, str] = {}
    for resident_id, provider_id in rows:
        found.setdefault(resident_id, provider_id)
    return found


def demand_input(
    demand: Demand, *, family_doctor: str | None = None, now: datetime | None = None
) -> DemandIn:
    now = now or clock.now()
    windows = tuple(
        (datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"]))
        for w in demand.windows
    ) or ((now, now + timedelta(days=HORIZON_DAYS)),)
    modes = frozenset(demand.modes) or frozenset(DeliveryMode.values)
    return DemandIn(
        id=demand.public_id,
        service_code=demand.service.code if demand.service is not None else "",
        modes=modes,
        windows=windows,
        provider_sex=demand.provider_sex or None,
        location=_location(demand.latitude, demand.longitude),
        tier=demand.tier,
        family_doctor=family_doctor,
    )


def unconfirmed_demands() -> Q:
    """Demands the batch optimiser may re-plan: open, with a service, nothing booked yet."""
    return Q(status__in=("submitted", "escalated", "accepted"), service__isnull=False, booking=None)
