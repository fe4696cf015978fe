"""The emergency green channel (002 §4.3, DOMAIN.md "critical"): a critical demand skips the
queue. In the transaction that files it, a ``GreenChannelCase`` is opened with the on-duty
clinician, the transfer hospital (the centre's referral partner) and the nearby volunteers,
and urgent messages are written to the outbox; the delivery sweep sends them within a
minute. Staff then record each step against the minute deadlines.

Minute deadlines (configurable here, documented in the README): the on-duty clinician
responds within ``RESPOND`` (5 minutes); the resident is handed over to 120 or the transfer
hospital within ``HANDOVER`` (60 minutes, the "golden hour" of stroke and chest pain).

Nearby volunteers (``nearby_volunteers``) are the active volunteers of the resident's
community who live within ``VOLUNTEER_RADIUS_KM`` of the demand's location (the resident's
home, or the centre standing in for it), nearest first, at most ``MAX_VOLUNTEERS_ALERTED``;
when none lives that close, the nearest ``MIN_VOLUNTEERS_LOCATED`` are alerted instead.
A volunteer is located by the household of the resident record linked to their login, else
by the base of their volunteer provider record. While fewer than ``MIN_VOLUNTEERS_LOCATED``
of the community's volunteers can be located (or the demand has no location), every active
volunteer of the community is alerted, as before homes had coordinates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import (
    Organisation,
    OrganisationKind,
    ProviderKind,
    Slot,
    SlotStatus,
)
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.demands.models import Demand, DemandEvent, GreenChannelCase
from careloop.demands.services import notices
from careloop.demands.services.common import S, _is_staff, _require_visible
from careloop.matching.engine import Location, haversine_km

RESPOND = timedelta(minutes=5)
VOLUNTEER_RADIUS_KM = 1.5  # a brisk walk of about 15 minutes
MAX_VOLUNTEERS_ALERTED = 10
MIN_VOLUNTEERS_LOCATED = 3
HANDOVER = timedelta(minutes=60)
STEPS = {
    "respond": "responded_at",
    "ambulance": "ambulance_called_at",
    "handover": "handed_over_at",
    "close": "closed_at",
}


def on_duty_clinician(demand: Demand, now: datetime) -> User | None:
    """The doctor serving a slot at the resident's community right now; else the resident's
    contracted family doctor; else any doctor of their care team."""
    serving = (
        Slot.objects.filter(
            start__lte=now,
            end__gt=now,
            status=SlotStatus.OPEN,
            organisation__community=demand.resident.community,
            provider__user__isnull=False,
            provider__user__is_active=True,
            provider__user__groups__name=Role.FAMILY_DOCTOR,
        )
        .select_related("provider__user")
        .order_by("start", "id")
        .first()
    )
    if serving is not None:
        return serving.provider.user
    contract = demand.resident.active_contract
    if contract is not None and contract.doctor_id:
        return contract.doctor
    doctors = [u for u in notices.team_members(demand) if u.has_role(Role.FAMILY_DOCTOR)]
    return doctors[0] if doctors else None


def transfer_hospital(demand: Demand, now: datetime) -> Organisation | None:
    """The hospital the resident's community centre has a valid referral agreement with."""
    today = now.date()
    valid = Q(agreements_received__valid_from__lte=today) & (
        Q(agreements_received__valid_to__isnull=True) | Q(agreements_received__valid_to__gte=today)
    )
    partners = Organisation.objects.filter(
        valid,
        kind=OrganisationKind.HOSPITAL,
        active=True,
        agreements_received__organisation__community=demand.resident.community,
    )
    return partners.order_by("id").first() or (
        Organisation.objects.filter(kind=OrganisationKind.HOSPITAL, active=True)
        .order_by("id")
        .first()
    )


def _volunteer_location(row: tuple[Any, ...]) -> Location | None:
    _, home_lat, home_lon, kind, base_lat, base_lon = row
    if home_lat is not None and home_lon is not None:
        return float(home_lat), float(home_lon)
    if kind == ProviderKind.VOLUNTEER and base_lat is not None and base_lon is not None:
        return float(base_lat), float(base_lon)
    return None


def nearby_volunteers(demand: Demand) -> list[User]:
    """The volunteers to alert for ``demand`` (see the module docstring): one query of plain
    values for the community's volunteers and where they live, one for the chosen users."""
    volunteers = User.objects.filter(
        community_id=demand.resident.community_id, is_active=True, groups__name=Role.VOLUNTEER
    ).distinct()
    rows = volunteers.order_by("id").values_list(
        "pk",
        "resident__household__latitude",
        "resident__household__longitude",
        "provider__kind",
        "provider__base_latitude",
        "provider__base_longitude",
    )
    located = [(row[0], where) for row in rows if (where := _volunteer_location(row))]
    lat, lon = demand.latitude, demand.longitude
    if lat is None or lon is None or len(located) < MIN_VOLUNTEERS_LOCATED:
        return list(volunteers.order_by("id"))
    home = (float(lat), float(lon))
    by_distance = sorted((haversine_km(home, where), pk) for pk, where in located)
    near = [(d, pk) for d, pk in by_distance if d <= VOLUNTEER_RADIUS_KM][:MAX_VOLUNTEERS_ALERTED]
    if not near:  # nobody lives that close: the nearest few still come
        near = by_distance[:MIN_VOLUNTEERS_LOCATED]
    users = User.objects.in_bulk([pk for _, pk in near])
    return [users[pk] for _, pk in near]


def open_green_channel(*, demand: Demand, now: datetime | None = None) -> GreenChannelCase:
    """Open the case for a critical demand (inside the filing transaction). Opening it again
    returns the case it has."""
    existing = GreenChannelCase.objects.filter(demand=demand).first()
    if existing is not None:
        return existing
    now = now or clock.now()
    clinician = on_duty_clinician(demand, now)
    volunteers = nearby_volunteers(demand)
    case = GreenChannelCase.objects.create(
        demand=demand, opened_at=now, on_duty=clinician,
        transfer_to=transfer_hospital(demand, now), volunteers_alerted=len(volunteers),
        due_respond_at=now + RESPOND, due_handover_at=now + HANDOVER,
    )  # fmt: skip
    clinicians = (
        [clinician, *notices.team_members(demand)] if clinician else notices.team_members(demand)
    )
    told = notices.green_channel(demand, clinicians, volunteers)
    detail = {
        "on_duty": clinician.public_id if clinician else "",
        "transfer_to": case.transfer_to.code if case.transfer_to is not None else "",
        "volunteers": len(volunteers),
        "notified": told,
    }
    DemandEvent.objects.create(
        demand=demand, at=now, actor=None, from_status=demand.status, to_status=demand.status,
        action="green_channel", detail=detail,
    )  # fmt: skip
    audit.record(actor=None, action="careloop.demand.green_channel", obj=demand, detail=detail)
    return case


def record_green_step(
    *, actor: User, case: GreenChannelCase, step: str, note: str = ""
) -> GreenChannelCase:
    """Record a step's time (once: recording it again keeps the first time). Responding
    accepts the demand; handing over starts it (the resident is in 120's or the hospital's
    hands); closing completes it."""
    from careloop.demands.services.transitions import (
        accept_demand,
        complete_demand,
        start_demand,
    )

    if step not in STEPS:
        raise DomainError("demands.invalid_step", _("Unknown green-channel step."))
    demand = case.demand
    _require_visible(actor, demand.resident)
    if not _is_staff(actor):
        raise ForbiddenError("demands.forbidden", _("You may not change this demand."))
    with transaction.atomic():
        locked = GreenChannelCase.objects.select_for_update().get(pk=case.pk)
        field = STEPS[step]
        if getattr(locked, field) is not None:
            return locked
        if locked.closed_at:
            raise ConflictError("demands.green_closed", _("This green-channel case is closed."))
        now = clock.now()
        setattr(locked, field, now)
        if note.strip():
            locked.note = note.strip()[:200]
        locked.save()
        audit.record(
            actor=actor, action="careloop.demand.green_step", obj=demand,
            detail={"step": step, "at": now.isoformat()},
        )  # fmt: skip
        demand.refresh_from_db()
        key = f"green-{step}"
        if step == "respond" and demand.status in (S.SUBMITTED, S.ESCALATED):
            accept_demand(actor=actor, demand=demand, idempotency_key=key)
        elif step == "handover" and demand.status in (S.ACCEPTED, S.SCHEDULED):
            start_demand(actor=actor, demand=demand, idempotency_key=key)
        elif step == "close":
            if demand.status in (S.SUBMITTED, S.ESCALATED):
                accept_demand(actor=actor, demand=demand, idempotency_key=f"{key}-accept")
            if demand.status in (S.ACCEPTED, S.SCHEDULED):
                start_demand(actor=actor, demand=demand, idempotency_key=f"{key}-start")
            if demand.status == S.IN_PROGRESS:
                complete_demand(actor=actor, demand=demand, idempotency_key=key)
    return locked
