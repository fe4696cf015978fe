"""The demand lifecycle. Each function is keyword-only with ``actor`` first, atomic, and
writes its ``DemandEvent`` row and audit event in the same transaction.

Transitions live in one table (``TRANSITIONS``: action → allowed from-statuses, to-status).
A transition locks the demand row (``select_for_update``) before it reads the status, so two
concurrent transitions are serialised and the second sees the first's result. A retried
transition with the same ``idempotency_key`` finds its event row and returns the demand as it
is, writing nothing. An illegal transition raises ``ConflictError`` (409).

``actor=None`` is the system (device alerts, sweeps); it may do everything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import (
    Booking,
    BookingStatus,
    Slot,
)
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import User
from careloop.demands.models import Demand, DemandEvent, DemandStatus, FollowUpCall
from careloop.demands.services import notices
from careloop.demands.services.common import (
    S,
    _clean_key,
    _is_staff,
    _locked,
    _refresh,
    _require_visible,
)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    staff_only: bool = True


# action → (from which statuses, to which status). "reject" sends the demand back to matching:
# it is submitted again and the rejection is kept in ``reject_reason`` and the event row.
TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(frozenset({S.SUBMITTED, S.ESCALATED}), S.ACCEPTED),
    "schedule": Transition(frozenset({S.ACCEPTED}), S.SCHEDULED),
    "start": Transition(frozenset({S.ACCEPTED, S.SCHEDULED}), S.IN_PROGRESS),
    "complete": Transition(frozenset({S.IN_PROGRESS}), S.COMPLETED),
    "withdraw": Transition(
        frozenset({S.SUBMITTED, S.ESCALATED, S.ACCEPTED, S.SCHEDULED}), S.WITHDRAWN, False
    ),
    "reject": Transition(frozenset({S.SUBMITTED, S.ESCALATED, S.ACCEPTED}), S.SUBMITTED),
    "escalate": Transition(frozenset({S.SUBMITTED, S.ACCEPTED}), S.ESCALATED),
    "fail": Transition(frozenset({S.ACCEPTED, S.SCHEDULED, S.IN_PROGRESS, S.ESCALATED}), S.FAILED),
}
AUDIT_ACTIONS = {
    "accept": "careloop.demand.accepted",
    "schedule": "careloop.demand.scheduled",
    "start": "careloop.demand.started",
    "complete": "careloop.demand.completed",
    "withdraw": "careloop.demand.withdrawn",
    "reject": "careloop.demand.rejected",
    "escalate": "careloop.demand.escalated",
    "fail": "careloop.demand.failed",
}


def _require_may(actor: User | None, demand: Demand, transition: Transition) -> None:
    if actor is None:
        return
    _require_visible(actor, demand.resident)
    if transition.staff_only and not _is_staff(actor):
        raise ForbiddenError("demands.forbidden", _("You may not change this demand."))


def _transition(
    *,
    actor: User | None,
    demand: Demand,
    action: str,
    idempotency_key: str | None,
    detail: dict[str, Any] | None = None,
    apply: Any = None,
) -> Demand:
    """The one door for status changes. ``apply(locked_demand, now)`` sets the fields that
    go with the move and returns extra event detail."""
    transition = TRANSITIONS[action]
    _require_may(actor, demand, transition)
    key = _clean_key(idempotency_key)
    with transaction.atomic():
        locked = _locked(demand)
        if key:
            previous = DemandEvent.objects.filter(demand=locked, idempotency_key=key).first()
            if previous is not None:
                if previous.action != action:
                    raise ConflictError(
                        "demands.idempotency_key_reused",
                        _("This request key was already used for another change."),
                    )
                return _refresh(demand, locked)
        if locked.status not in transition.sources:
            raise ConflictError(
                "demands.illegal_transition",
                _("A %(status)s demand cannot be changed this way (%(action)s).")
                % {"status": DemandStatus(locked.status).label, "action": action},
            )
        now = clock.now()
        from_status = locked.status
        locked.status = transition.target
        extra = apply(locked, now) if apply else {}
        locked.save()
        event_detail = {**(detail or {}), **(extra or {})}
        DemandEvent.objects.create(
            demand=locked, at=now, actor=actor, from_status=from_status,
            to_status=locked.status, action=action, detail=event_detail, idempotency_key=key,
        )  # fmt: skip
        audit.record(
            actor=actor,
            action=AUDIT_ACTIONS[action],
            obj=locked,
            detail={"from": from_status, "to": locked.status, **event_detail},
        )
    return _refresh(demand, locked)


def accept_demand(
    *, actor: User | None, demand: Demand, idempotency_key: str | None = None
) -> Demand:
    """Take the demand on. When the resident already chose an offered time (a live booking
    is attached), the demand is scheduled into it in the same transaction."""

    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        d.accepted_at, d.accepted_by = now, actor
        notices.accepted(d)
        return {}

    with transaction.atomic():
        demand = _transition(
            actor=actor, demand=demand, action="accept", idempotency_key=idempotency_key,
            apply=apply,
        )  # fmt: skip
        booked = demand.booking if demand.booking_id else None
        if demand.status == S.ACCEPTED and booked and booked.status == BookingStatus.BOOKED:
            schedule_demand(actor=None, demand=demand, booking=booked)
    return demand


def _booking_key(demand: Demand, key: str) -> str | None:
    if not key:
        return None
    return "demand-" + hashlib.sha256(f"{demand.public_id}:{key}".encode()).hexdigest()[:40]


def schedule_demand(
    *,
    actor: User | None,
    demand: Demand,
    booking: Booking | None = None,
    slot: Slot | None = None,
    idempotency_key: str | None = None,
) -> Demand:
    """Attach a live booking of the resident, or book a place in ``slot`` (through
    ``catalogue.services.book_slot``, in this transaction: a refused transition books
    nothing, and a retry with the same key neither books nor writes twice)."""
    from careloop.catalogue.services import book_slot

    if (booking is None) == (slot is None):
        raise DomainError("demands.invalid", _("Give either a booking or a slot."))
    if booking is not None and (
        booking.resident_id != demand.resident_id or booking.status != BookingStatus.BOOKED
    ):
        raise ConflictError(
            "demands.booking_mismatch", _("This booking is not a live booking of the resident.")
        )
    key = _clean_key(idempotency_key)

    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        chosen = booking
        if chosen is None:
            assert slot is not None
            if actor is None:
                raise DomainError("demands.invalid", _("The system cannot book a slot."))
            chosen = book_slot(
                actor=actor, slot=slot, resident=d.resident, service=d.service,
                idempotency_key=_booking_key(d, key),
            )  # fmt: skip
        d.booking, d.scheduled_at = chosen, now
        notices.scheduled(d)
        return {"booking": chosen.public_id, "slot": chosen.slot.public_id}

    return _transition(
        actor=actor, demand=demand, action="schedule", idempotency_key=key, apply=apply
    )


def start_demand(
    *, actor: User | None, demand: Demand, idempotency_key: str | None = None
) -> Demand:
    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        d.started_at = now
        return {}

    return _transition(
        actor=actor, demand=demand, action="start", idempotency_key=idempotency_key, apply=apply
    )


FOLLOW_UP_AFTER = timedelta(hours=24)


def _family_doctor(demand: Demand) -> User | None:
    contract = demand.resident.active_contract
    return contract.doctor if contract else None


def complete_demand(
    *, actor: User | None, demand: Demand, idempotency_key: str | None = None
) -> Demand:
    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        d.completed_at = now
        notices.completed(d)
        call = FollowUpCall.objects.create(
            demand=d, assigned_to=_family_doctor(d) or d.accepted_by,
            due_at=now + FOLLOW_UP_AFTER, created_at=now,
        )  # fmt: skip
        return {"follow_up_due": call.due_at.isoformat()}

    return _transition(
        actor=actor, demand=demand, action="complete", idempotency_key=idempotency_key, apply=apply
    )


def withdraw_demand(
    *, actor: User | None, demand: Demand, reason: str = "", idempotency_key: str | None = None
) -> Demand:
    """The resident (or staff for them) no longer needs it; a live booking is cancelled."""
    from careloop.catalogue.services import cancel_booking

    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        if d.booking is not None and d.booking.status == BookingStatus.BOOKED and actor is not None:
            cancel_booking(actor=actor, booking=d.booking, reason=reason)
        return {"reason": reason.strip()[:200]} if reason.strip() else {}

    return _transition(
        actor=actor, demand=demand, action="withdraw", idempotency_key=idempotency_key, apply=apply
    )


def reject_demand(
    *, actor: User | None, demand: Demand, reason: str, idempotency_key: str | None = None
) -> Demand:
    """Decline the demand as it stands: it goes back to matching (submitted again, no one
    accepted it), with the reason kept."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise DomainError(
            "demands.invalid",
            _("Give a reason for rejecting."),
            fields={"reason": [_("Give a reason for rejecting.")]},
        )

    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        d.reject_reason, d.accepted_at, d.accepted_by = reason, None, None
        return {"reason": reason}

    return _transition(
        actor=actor, demand=demand, action="reject", idempotency_key=idempotency_key, apply=apply
    )


def escalate_demand(
    *, actor: User | None, demand: Demand, reason: str = "", idempotency_key: str | None = None
) -> Demand:
    def apply(d: Demand, now: datetime) -> dict[str, Any]:
        d.escalated_at = now
        told = notices.escalated(d, level=1, breach=f"manual:{now.timestamp():.0f}")
        detail: dict[str, Any] = {"told": told}
        if reason.strip():
            detail["reason"] = reason.strip()[:200]
        return detail

    return _transition(
        actor=actor, demand=demand, action="escalate", idempotency_key=idempotency_key, apply=apply
    )


def fail_demand(
    *, actor: User | None, demand: Demand, reason: str = "", idempotency_key: str | None = None
) -> Demand:
    detail = {"reason": reason.strip()[:200]} if reason.strip() else {}
    return _transition(
        actor=actor, demand=demand, action="fail", idempotency_key=idempotency_key, detail=detail
    )
