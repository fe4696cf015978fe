"""Online matching of one demand, and the resident's answer to what it offers.

``match_demand`` runs the pure engine over the free slots of the demand's service: the best
exact matches become ``match`` offers; when nothing fits exactly, the relaxed alternatives
become ``alternative`` offers and the resident is told ("no home visit this week; Wednesday
14:00 at the clinic?"). Earlier offers still open are expired, so a demand has one current
set. ``accept_offer`` books the offered slot for the resident; a demand already accepted by
staff is scheduled at once, one still waiting is scheduled when staff accept it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import BookingStatus, Slot
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.demands.models import (
    OPEN_STATUSES,
    Demand,
    DemandEvent,
    DemandOffer,
    OfferKind,
    OfferStatus,
)
from careloop.demands.services import notices
from careloop.demands.services.common import (
    S,
    _clean_key,
    _is_staff,
    _locked,
    _refresh,
    _require_visible,
)
from careloop.demands.services.transitions import schedule_demand
from careloop.matching import adapters, engine

EXACT_OFFERS = 3
ALTERNATIVES = 3


def _expire_open_offers(demand: Demand, now: datetime) -> None:
    DemandOffer.objects.filter(demand=demand, status=OfferStatus.OFFERED).update(
        status=OfferStatus.EXPIRED, decided_at=now
    )


def _next_number(demand: Demand) -> int:
    last = DemandOffer.objects.filter(demand=demand).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def store_offers(
    demand: Demand,
    picks: list[tuple[str, str, tuple[str, ...], int]],
    *,
    now: datetime,
) -> list[DemandOffer]:
    """Replace the demand's open offers with ``picks`` (slot public id, kind, relaxed, cost),
    in order. Call inside the demand's transaction."""
    _expire_open_offers(demand, now)
    slots = Slot.objects.in_bulk([slot_id for slot_id, *_ in picks], field_name="public_id")
    first = _next_number(demand)
    offers = [
        DemandOffer(
            demand=demand,
            number=first + i,
            slot=slots[slot_id],
            kind=kind,
            relaxed=list(relaxed),
            cost=cost,
            created_at=now,
        )
        for i, (slot_id, kind, relaxed, cost) in enumerate(picks)
        if slot_id in slots
    ]
    return DemandOffer.objects.bulk_create(offers)


def match_demand(*, actor: User | None, demand: Demand) -> list[DemandOffer]:
    """Match one open demand with a service now (milliseconds: the engine reads an index of
    the service's free slots). Returns the offers made; none when nothing fits even relaxed
    or the demand has no service (staff then match it by hand)."""
    if actor is not None:
        _require_visible(actor, demand.resident)
        if not _is_staff(actor) and demand.filed_by_id != actor.pk:
            raise ForbiddenError("demands.forbidden", _("You may not change this demand."))
    if not demand.service_id or demand.status not in OPEN_STATUSES or demand.booking_id:
        return []
    service = demand.service
    assert service is not None  # service_id is set
    now = clock.now()
    family = adapters.family_doctor_providers([demand.resident_id]).get(demand.resident_id)
    wanted = adapters.demand_input(demand, family_doctor=family, now=now)
    # Slots up to a week either side of the windows: the furthest alternatives look there.
    earliest = min(start for start, _ in wanted.windows) - timedelta(days=7)
    latest = max(end for _, end in wanted.windows) + timedelta(days=7)
    slots = adapters.free_slots_for([service.code], start=earliest, end=latest)
    index = engine.SlotIndex(slots)
    picks: list[tuple[str, str, tuple[str, ...], int]] = [
        (m.slot.id, OfferKind.MATCH, (), m.cost) for m in engine.rank(wanted, index, n=EXACT_OFFERS)
    ]
    if not picks:
        picks = [
            (a.slot.id, OfferKind.ALTERNATIVE, a.relaxed, a.cost)
            for a in engine.alternatives(wanted, index, n=ALTERNATIVES)
        ]
    with transaction.atomic():
        locked = _locked(demand)
        if locked.status not in OPEN_STATUSES or locked.booking_id:
            return []
        offers = store_offers(locked, picks, now=now)
        DemandEvent.objects.create(
            demand=locked, at=now, actor=actor, from_status=locked.status,
            to_status=locked.status, action="match",
            detail={
                "exact": sum(o.kind == OfferKind.MATCH for o in offers),
                "alternatives": sum(o.kind == OfferKind.ALTERNATIVE for o in offers),
            },
        )  # fmt: skip
        if offers and offers[0].kind == OfferKind.ALTERNATIVE:
            notices.alternatives_offered(locked, offers)
    return offers


def _offer_for(demand: Demand, number: int) -> DemandOffer:
    offer = (
        DemandOffer.objects.select_related("slot__provider", "slot__organisation")
        .filter(demand=demand, number=number)
        .first()
    )
    if offer is None:
        raise NotFoundError("demands.offer_not_found", _("No such alternative."))
    return offer


def accept_offer(
    *, actor: User, demand: Demand, number: int, idempotency_key: str | None = None
) -> Demand:
    """The resident (a guardian, or staff on the phone for them) takes offer ``number``: the
    slot is booked for the resident. Accepting the same offer again changes nothing; an
    expired or declined offer, or a full slot, is refused (409)."""
    from careloop.catalogue.services import book_slot

    _require_visible(actor, demand.resident)
    key = _clean_key(idempotency_key)
    with transaction.atomic():
        locked = _locked(demand)
        offer = _offer_for(locked, number)
        if offer.status == OfferStatus.ACCEPTED:
            return _refresh(demand, locked)
        if offer.status != OfferStatus.OFFERED or locked.status not in OPEN_STATUSES:
            raise ConflictError(
                "demands.offer_closed", _("This alternative is no longer available.")
            )
        if locked.booking is not None and locked.booking.status == BookingStatus.BOOKED:
            raise ConflictError("demands.already_booked", _("This demand already has a booking."))
        now = clock.now()
        booking = book_slot(
            actor=actor, slot=offer.slot, resident=locked.resident, service=locked.service,
            idempotency_key=f"offer-{offer.pk}",
        )  # fmt: skip
        offer.status, offer.decided_at, offer.decided_by = OfferStatus.ACCEPTED, now, actor
        offer.save(update_fields=["status", "decided_at", "decided_by"])
        _expire_open_offers(locked, now)
        locked.booking = booking
        locked.save(update_fields=["booking"])
        detail: dict[str, Any] = {
            "offer": offer.number,
            "slot": offer.slot.public_id,
            "booking": booking.public_id,
            "relaxed": offer.relaxed,
        }
        DemandEvent.objects.create(
            demand=locked, at=now, actor=actor, from_status=locked.status,
            to_status=locked.status, action="choose", detail=detail, idempotency_key=key,
        )  # fmt: skip
        audit.record(
            actor=actor, action="careloop.demand.offer_accepted", obj=locked, detail=detail
        )
        if locked.status == S.ACCEPTED:
            schedule_demand(actor=None, demand=locked, booking=booking)
            locked.refresh_from_db()
    return _refresh(demand, locked)


def decline_offer(*, actor: User, demand: Demand, number: int) -> DemandOffer:
    """The resident turns an offer down; when none is left open, staff see the demand needs
    matching by hand (the demand itself stays open)."""
    _require_visible(actor, demand.resident)
    with transaction.atomic():
        locked = _locked(demand)
        offer = _offer_for(locked, number)
        if offer.status == OfferStatus.DECLINED:
            return offer
        if offer.status != OfferStatus.OFFERED:
            raise ConflictError(
                "demands.offer_closed", _("This alternative is no longer available.")
            )
        now = clock.now()
        offer.status, offer.decided_at, offer.decided_by = OfferStatus.DECLINED, now, actor
        offer.save(update_fields=["status", "decided_at", "decided_by"])
        DemandEvent.objects.create(
            demand=locked, at=now, actor=actor, from_status=locked.status,
            to_status=locked.status, action="decline_offer", detail={"offer": offer.number},
        )  # fmt: skip
        audit.record(
            actor=actor, action="careloop.demand.offer_declined", obj=locked,
            detail={"offer": offer.number, "slot": offer.slot.public_id},
        )  # fmt: skip
    return offer
