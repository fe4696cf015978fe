"""Batch re-planning and reminders: the periodic work of matching.

``replan_unconfirmed`` re-plans every open demand that has a service and no booking yet
against the free slots with the OR-Tools optimiser (most demands matched, critical ≻ urgent ≻
routine, then preference fit, under each slot's places left). Where the plan gives a demand
another slot than its current first offer, the demand's offers are replaced by the planned
slot; nothing is booked until the resident or staff confirm. The online matcher offers each
demand its own best slots, so two demands may be offered the last place of one slot; the
batch plan is what settles such contention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.models import User
from careloop.demands.models import Demand, DemandEvent, DemandOffer, OfferKind, OfferStatus
from careloop.demands.services import notices
from careloop.demands.services.common import S
from careloop.demands.services.offers import store_offers
from careloop.matching import adapters, optimizer

# Services that need the resident to come fasting (blood tests of a check-up).
FASTING_SERVICES = frozenset(
    {"basic.elder_checkup", "development.custom_checkup", "maintenance.cardiovascular_risk"}
)
FASTING_NOTE = _("Please come fasting: nothing to eat after 22:00 the night before.")


@dataclass(frozen=True)
class ReplanResult:
    demands: int
    slots: int
    matched: int
    changed: int
    seconds: float


def _replanned(demand: Demand, slot_id: str | None, now: datetime, actor: User | None) -> None:
    DemandEvent.objects.create(
        demand=demand, at=now, actor=actor, from_status=demand.status, to_status=demand.status,
        action="replan", detail={"slot": slot_id},
    )  # fmt: skip


def replan_unconfirmed(*, actor: User | None, now: datetime | None = None) -> ReplanResult:
    now = now or clock.now()
    demands = list(Demand.objects.filter(adapters.unconfirmed_demands()).select_related("service"))
    codes = {d.service.code for d in demands if d.service is not None}  # all have one
    slots = adapters.free_slots_for(codes)
    family = adapters.family_doctor_providers([d.resident_id for d in demands])
    inputs = [
        adapters.demand_input(d, family_doctor=family.get(d.resident_id), now=now) for d in demands
    ]
    plan = optimizer.optimize(inputs, slots)
    by_id = {d.public_id: d for d in demands}
    current = dict(
        DemandOffer.objects.filter(
            demand__in=demands, status=OfferStatus.OFFERED, kind=OfferKind.MATCH
        )
        .order_by("demand_id", "-number")
        .values_list("demand__public_id", "slot__public_id")
    )
    planned: dict[str, int] = {}
    for _demand_id, slot_id in plan.assignments:
        planned[slot_id] = planned.get(slot_id, 0) + 1
    full = {s.id for s in slots if planned.get(s.id, 0) >= s.capacity}
    changed = 0
    with transaction.atomic():
        for demand_id, slot_id in plan.assignments:
            if current.get(demand_id) == slot_id:
                continue
            demand = by_id[demand_id]
            store_offers(demand, [(slot_id, OfferKind.MATCH, (), 0)], now=now)
            _replanned(demand, slot_id, now, actor)
            changed += 1
        for demand_id in plan.unmatched:
            # Its offer went to a more urgent (or better fitting) demand: withdraw it.
            if current.get(demand_id) in full:
                store_offers(by_id[demand_id], [], now=now)
                _replanned(by_id[demand_id], None, now, actor)
                changed += 1
        result = ReplanResult(
            demands=len(demands), slots=len(slots), matched=len(plan.assignments),
            changed=changed, seconds=round(plan.seconds, 3),
        )  # fmt: skip
        audit.record(
            actor=actor, action="careloop.demand.replanned", object_type="demands.demand",
            object_id="", detail=result.__dict__,
        )  # fmt: skip
    return result


def send_reminders(*, now: datetime | None = None) -> int:
    """Tell residents the day before a scheduled service ("your check-up is tomorrow at
    9:00, come fasting"). Safe to run every hour: one reminder per booking."""
    now = now or clock.now()
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    tz = timezone.get_current_timezone()
    low = datetime.combine(tomorrow, time.min, tzinfo=tz)
    high = low + timedelta(days=1)
    due = Demand.objects.filter(
        status=S.SCHEDULED, booking__slot__start__gte=low, booking__slot__start__lt=high
    ).select_related("resident", "service", "booking__slot__organisation")
    sent = 0
    for demand in due:
        fasting = demand.service is not None and demand.service.code in FASTING_SERVICES
        notices.reminder(demand, note=str(FASTING_NOTE) if fasting else "")
        sent += 1
    return sent
