"""Booking a place in a slot, race-free, and cancelling it.

The place is taken with one conditional UPDATE (``booked_count < capacity``), so two
concurrent bookings of the last place cannot both succeed: on PostgreSQL the second UPDATE
waits for the first transaction's row lock, re-reads the row and matches nothing; on SQLite
writers are serialised (IMMEDIATE transactions). The Booking row's partial unique constraints
stop a resident holding two live places in one slot and make a retried request with the same
idempotency key return the first booking.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.eligibility import is_eligible
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import Booking, BookingStatus, Service, Slot, SlotStatus
from careloop.catalogue.permissions import can_manage_organisation, require_resident_in_scope
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, NotFoundError
from careloop.core.models import User
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to

MAX_KEY_LENGTH = 64


def _replay(existing: Booking, slot: Slot, resident: Resident) -> Booking:
    if existing.slot_id != slot.pk or existing.resident_id != resident.pk:
        raise ConflictError(
            "catalogue.idempotency_key_reused",
            _("This request key was already used for another booking."),
        )
    return existing


def _existing(actor: User, key: str) -> Booking | None:
    return (
        Booking.objects.select_related("slot", "resident", "service")
        .filter(booked_by=actor, idempotency_key=key)
        .first()
    )


def _choose_service(slot: Slot, service: Service | None) -> Service | None:
    offered = list(slot.services.all())
    if service is None:
        return offered[0] if len(offered) == 1 else None
    if offered and service.pk not in {s.pk for s in offered}:
        raise DomainError(
            "catalogue.service_not_offered", _("This service is not offered in this slot.")
        )
    return service


def book_slot(
    *,
    actor: User,
    slot: Slot,
    resident: Resident,
    service: Service | None = None,
    idempotency_key: str | None = None,
) -> Booking:
    """Book one place in ``slot`` for ``resident`` (the resident, a guardian or staff who
    can see the resident). ``service`` defaults to the slot's only service. Errors:
    ``catalogue.slot_full`` (409), ``catalogue.slot_closed`` (409), ``catalogue.slot_past``
    (409), ``catalogue.already_booked`` (409), ``catalogue.not_eligible`` (400),
    ``catalogue.service_not_offered`` (400), ``catalogue.idempotency_key_reused`` (409)."""
    require_resident_in_scope(actor, resident)
    key = (idempotency_key or "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "catalogue.invalid_key", _("The request key is longer than 64 characters.")
        )
    if key and (existing := _existing(actor, key)) is not None:
        return _replay(existing, slot, resident)
    service = _choose_service(slot, service)
    if service is not None and not is_eligible(service, resident_facts(resident)):
        raise DomainError(
            "catalogue.not_eligible", _("The resident is not eligible for this service.")
        )
    try:
        return _book(actor=actor, slot=slot, resident=resident, service=service, key=key)
    except IntegrityError:
        # Lost a race on a unique constraint: the same retried request (same key), or the
        # same resident booking this slot twice at once. Nothing was written.
        if key and (existing := _existing(actor, key)) is not None:
            return _replay(existing, slot, resident)
        raise ConflictError(
            "catalogue.already_booked", _("The resident already has a place in this slot.")
        ) from None


def _book(
    *, actor: User, slot: Slot, resident: Resident, service: Service | None, key: str
) -> Booking:
    now = clock.now()
    with transaction.atomic():
        if Booking.objects.filter(
            slot=slot, resident=resident, status=BookingStatus.BOOKED
        ).exists():
            raise ConflictError(
                "catalogue.already_booked", _("The resident already has a place in this slot.")
            )
        taken = Slot.objects.filter(
            pk=slot.pk,
            status=SlotStatus.OPEN,
            start__gt=now,
            booked_count__lt=F("capacity"),
        ).update(booked_count=F("booked_count") + 1)
        if not taken:
            current = Slot.objects.filter(pk=slot.pk).values("status", "start").first()
            if current is None or current["status"] != SlotStatus.OPEN:
                raise ConflictError(
                    "catalogue.slot_closed", _("This slot is not open for booking.")
                )
            if current["start"] <= now:
                raise ConflictError("catalogue.slot_past", _("This slot has already started."))
            raise ConflictError("catalogue.slot_full", _("This slot is fully booked."))
        with transaction.atomic():  # savepoint: a constraint failure undoes the place too
            booking = Booking.objects.create(
                slot=slot, resident=resident, service=service, booked_by=actor,
                idempotency_key=key, created_at=now,
            )  # fmt: skip
        audit.record(
            actor=actor,
            action="careloop.catalogue.slot_booked",
            obj=booking,
            detail={
                "slot": slot.public_id,
                "resident": resident.public_id,
                "service": service.code if service else "",
            },
        )
    slot.refresh_from_db(fields=["booked_count", "status"])
    return booking


def _may_cancel(actor: User, booking: Booking) -> bool:
    if booking.booked_by_id == actor.pk:
        return True
    if residents_visible_to(actor).filter(pk=booking.resident_id).exists():
        return True
    slot = booking.slot
    return can_manage_organisation(actor, slot.organisation) or (
        slot.provider.user_id is not None and slot.provider.user_id == actor.pk
    )


def cancel_booking(*, actor: User, booking: Booking, reason: str = "") -> Booking:
    """Cancel a live booking before its slot starts; the place is free again."""
    if not _may_cancel(actor, booking):
        raise NotFoundError("catalogue.booking_not_found", _("No such booking."))
    now = clock.now()
    if booking.slot.start <= now:
        raise ConflictError("catalogue.slot_past", _("This slot has already started."))
    with transaction.atomic():
        cancelled = Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancel_reason=reason.strip()[:200]
        )
        if not cancelled:
            raise ConflictError(
                "catalogue.booking_not_active", _("This booking is not active any more.")
            )
        Slot.objects.filter(pk=booking.slot_id, booked_count__gt=0).update(
            booked_count=F("booked_count") - 1
        )
        audit.record(
            actor=actor,
            action="careloop.catalogue.booking_cancelled",
            obj=booking,
            detail={"slot": booking.slot.public_id, "reason": reason.strip()[:200]},
        )
    booking.refresh_from_db()
    return booking
