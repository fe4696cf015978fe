"""Demands API: file a demand, list and read them (scoped), move them through their
lifecycle, accept an offered alternative.

Scope comes from ``demands.selectors``: a resident sees their own (and their dependants'), a
clinician their care team's residents', directors their community's; outside it is 404.
Transitions answer 409 when illegal from the current status and 403 when the caller may not
make them. Every write takes an optional ``Idempotency-Key`` header: a retry with the same key
changes nothing and answers as the first call did.
"""

# No "from __future__ import annotations": ninja reads the query parameters of the paginated
# operation through the pagination wrapper.
from typing import Any

from django.conf import settings
from django.db.models import Case, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate
from ninja.params.functions import Header  # the typed form of ninja.Header(...) as a default
from ninja.responses import Status

from careloop.catalogue.models import Booking, Service, Slot
from careloop.core import clock
from careloop.core.api import current_user
from careloop.core.errors import DomainError
from careloop.core.models import User
from careloop.core.schemas import ErrorOut
from careloop.demands import selectors, services
from careloop.demands.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Channel,
    Demand,
    DemandStatus,
    DemandTier,
)
from careloop.demands.schemas import DemandDetailOut, DemandIn, DemandOut, TransitionIn
from careloop.residents.models import Resident
from careloop.residents.selectors import get_resident_for

MAX_PAGE_SIZE = 100

router = Router(tags=["demands"])


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(
        "demands.invalid", _("Check the demand's details."), fields={field: [message]}
    )


def _resident_for(user: User, resident_id: str | None) -> Resident:
    if resident_id:
        return get_resident_for(user, resident_id, purpose="demands.file")
    own = Resident.objects.filter(user=user).first()
    if own is None:
        raise _invalid("resident_id", _("Say for which resident the demand is."))
    return own


def _detail(user: User, public_id: str) -> Demand:
    return selectors.get_demand_for(user, public_id)


class AuditedPages(PageNumberPagination):
    """Page numbers, and the demands on the page written to the audit trail as one read."""

    def paginate_queryset(
        self, queryset: QuerySet[Demand], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(page[self.items_attribute])
        selectors.record_reads(current_user(request), items, purpose="demands.list")
        return {**page, self.items_attribute: items}


@router.post("/demands", response={200: DemandDetailOut, 201: DemandDetailOut, 400: ErrorOut,
                                   403: ErrorOut, 404: ErrorOut})  # fmt: skip
def file_demand(
    request: HttpRequest,
    payload: DemandIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Status[Demand]:
    """File a demand. A resident files for themself on ``resident_web``; staff name the
    resident and the channel. The answer includes the offers online matching made at once.
    A retry with the same ``Idempotency-Key`` answers 200 with the first demand, and so does
    the same need filed again within minutes (the same service, or the same words, still
    open): 200 with the demand already filed."""
    user = current_user(request)
    resident = _resident_for(user, payload.resident_id)
    channel = payload.channel or Channel.RESIDENT_WEB
    service = None
    if payload.service_code:
        service = Service.objects.filter(code=payload.service_code, active=True).first()
        if service is None:
            raise _invalid("service_code", _("No service has this code."))
    filed = services.file_or_find_demand(
        actor=user,
        resident=resident,
        channel=channel,
        service=service,
        description=payload.description,
        modes=payload.modes,
        windows=[{"start": w.start.isoformat(), "end": w.end.isoformat()} for w in payload.windows],
        provider_sex=payload.provider_sex,
        system_suggested=channel == Channel.CLINICIAN_PUSH,
        idempotency_key=idempotency_key,
    )
    return Status(201 if filed.is_new else 200, _detail(user, filed.demand.public_id))


@router.get("/demands", response={200: list[DemandOut], 400: ErrorOut})
@paginate(AuditedPages, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_demands(
    request: HttpRequest,
    status: str = "",
    tier: str = "",
    mine: bool = False,
    overdue: bool = False,
) -> QuerySet[Demand]:
    """Demands the caller sees, open ones by deadline first. ``status`` and ``tier`` take
    one code or several separated by commas; ``mine``: accepted by the caller (a resident:
    their own); ``overdue``: past the deadline that applies now. Each page a staff member
    reads is audited (one event naming the residents and demands on it)."""
    user = current_user(request)
    demands = selectors.demands_visible_to(user)
    if status:
        wanted = [s for s in status.split(",") if s]
        if any(s not in DemandStatus.values for s in wanted):
            raise _invalid("status", _("Unknown status."))
        demands = demands.filter(status__in=wanted)
    if tier:
        wanted = [t for t in tier.split(",") if t]
        if any(t not in DemandTier.values for t in wanted):
            raise _invalid("tier", _("Unknown tier."))
        demands = demands.filter(tier__in=wanted)
    if mine:
        demands = demands.filter(Q(accepted_by=user) | Q(resident__user=user))
    if overdue:
        now = clock.now()
        demands = demands.filter(
            Q(status__in=WAITING_STATUSES, due_respond_at__lte=now)
            | Q(status=DemandStatus.ACCEPTED, booking__isnull=True, due_match_at__lte=now)
        )
    closed = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1))
    return demands.annotate(closed=closed).order_by("closed", "due_respond_at", "id")


@router.get("/demands/{demand_id}", response={200: DemandDetailOut, 404: ErrorOut})
def get_demand(request: HttpRequest, demand_id: str) -> Demand:
    """Status, tier, quadrant, deadlines, assignment, offers and history. Staff reads are
    audited."""
    user = current_user(request)
    demand = _detail(user, demand_id)
    selectors.record_reads(user, [demand], purpose="demands.read")
    return demand


def _schedule_target(user: User, demand: Demand, payload: TransitionIn) -> dict[str, Any]:
    if payload.slot_id:
        slot = Slot.objects.filter(public_id=payload.slot_id).first()
        if slot is None:
            raise _invalid("slot_id", _("No slot has this id."))
        return {"slot": slot}
    if payload.booking_id:
        booking = Booking.objects.filter(
            public_id=payload.booking_id, resident=demand.resident
        ).first()
        if booking is None:
            raise _invalid("booking_id", _("No booking of this resident has this id."))
        return {"booking": booking}
    raise _invalid("slot_id", _("Give the slot to book (or a booking of the resident)."))


@router.post(
    "/demands/{demand_id}/transitions",
    response={200: DemandDetailOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def transition(
    request: HttpRequest,
    demand_id: str,
    payload: TransitionIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Demand:
    """Move the demand: ``accept``, ``schedule`` (with ``slot_id`` or ``booking_id``),
    ``start``, ``complete``, ``withdraw``, ``reject`` (with ``reason``: back to matching),
    ``escalate``, ``fail``."""
    user = current_user(request)
    demand = _detail(user, demand_id)
    key = idempotency_key.strip() or None
    action = payload.action
    common: dict[str, Any] = {"actor": user, "demand": demand, "idempotency_key": key}
    if action == "accept":
        services.accept_demand(**common)
    elif action == "schedule":
        services.schedule_demand(**common, **_schedule_target(user, demand, payload))
    elif action == "start":
        services.start_demand(**common)
    elif action == "complete":
        services.complete_demand(**common)
    elif action == "withdraw":
        services.withdraw_demand(**common, reason=payload.reason)
    elif action == "reject":
        services.reject_demand(**common, reason=payload.reason)
    elif action == "escalate":
        services.escalate_demand(**common, reason=payload.reason)
    else:
        services.fail_demand(**common, reason=payload.reason)
    return _detail(user, demand_id)


@router.post(
    "/demands/{demand_id}/alternatives/{number}/accept",
    response={200: DemandDetailOut, 404: ErrorOut, 409: ErrorOut},
)
def accept_alternative(
    request: HttpRequest,
    demand_id: str,
    number: int,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Demand:
    """Take offer ``number`` (an exact match or an alternative): the slot is booked for the
    resident; a demand already accepted by staff is scheduled at once."""
    user = current_user(request)
    demand = _detail(user, demand_id)
    services.accept_offer(actor=user, demand=demand, number=number, idempotency_key=idempotency_key)
    return _detail(user, demand_id)


@router.post(
    "/demands/{demand_id}/alternatives/{number}/decline",
    response={200: DemandDetailOut, 404: ErrorOut, 409: ErrorOut},
)
def decline_alternative(request: HttpRequest, demand_id: str, number: int) -> Demand:
    user = current_user(request)
    demand = _detail(user, demand_id)
    services.decline_offer(actor=user, demand=demand, number=number)
    return _detail(user, demand_id)


@router.post(
    "/demands/{demand_id}/match", response={200: DemandDetailOut, 403: ErrorOut, 404: ErrorOut}
)
def rematch(request: HttpRequest, demand_id: str) -> Demand:
    """Run online matching again (new offers replace the open ones)."""
    user = current_user(request)
    demand = _detail(user, demand_id)
    services.match_demand(actor=user, demand=demand)
    return _detail(user, demand_id)
