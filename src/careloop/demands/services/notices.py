"""What demands tell people, through the notifications outbox. Called inside the service's
transaction, so a message exists exactly when the change it announces does; each has a
dedupe key built from the demand and the step, so a retried step never sends twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from careloop.core.models import User
from careloop.core.roles import Role
from careloop.demands.models import Demand, DemandOffer
from careloop.notifications.services import notify
from careloop.residents.models import CareTeamMember, ContractStatus


def _what(demand: Demand) -> str:
    return demand.service.name_zh if demand.service is not None else demand.description[:40]


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def _context(demand: Demand, **extra: Any) -> dict[str, Any]:
    return {
        "demand": demand.public_id,
        "resident": demand.resident.name,
        "service": _what(demand),
        "tier": demand.tier,
        "due": _local(demand.due_respond_at),
        **extra,
    }


def _to_resident(demand: Demand, kind: str, step: str, **extra: Any) -> None:
    notify(
        actor=None, kind=kind, resident=demand.resident, context=_context(demand, **extra),
        dedupe_key=f"demand:{demand.public_id}:{step}", urgent=demand.tier != "routine",
    )  # fmt: skip


def _to_users(
    demand: Demand, users: Iterable[User], kind: str, step: str, *, urgent: bool, **extra: Any
) -> int:
    sent = 0
    for user in {u.pk: u for u in users}.values():
        notify(
            actor=None, kind=kind, user=user, context=_context(demand, **extra),
            dedupe_key=f"demand:{demand.public_id}:{step}:{user.public_id}", urgent=urgent,
        )  # fmt: skip
        sent += 1
    return sent


def team_members(demand: Demand, *, leads_only: bool = False) -> list[User]:
    """Active members of the care teams the resident has a contract in force with."""
    members = (
        CareTeamMember.objects.filter(
            team__contracts__resident=demand.resident,
            team__contracts__status=ContractStatus.ACTIVE,
            user__is_active=True,
        )
        .select_related("user")
        .distinct()
    )
    if leads_only:
        members = members.filter(is_lead=True)
    return [m.user for m in members]


def directors(demand: Demand) -> list[User]:
    return list(
        User.objects.filter(
            community=demand.resident.community,
            is_active=True,
            groups__name=Role.CENTRE_DIRECTOR,
        ).distinct()
    )


# ---- the steps ------------------------------------------------------------------------------


def filed(demand: Demand) -> None:
    """The care team hears of a new urgent demand at once; routine ones wait in the queue."""
    if demand.tier != "routine":
        _to_users(demand, team_members(demand), "demand.filed", "filed", urgent=True)


def accepted(demand: Demand) -> None:
    who = demand.accepted_by if demand.accepted_by_id else None
    _to_resident(
        demand, "demand.accepted", "accepted", clinician=(who.name or who.username) if who else ""
    )


def scheduled(demand: Demand) -> None:
    slot = demand.booking.slot if demand.booking is not None else None
    when = _local(slot.start) if slot else ""
    place = slot.organisation.name_zh if slot else ""
    _to_resident(demand, "demand.scheduled", "scheduled", time=when, place=place)


def completed(demand: Demand) -> None:
    _to_resident(demand, "demand.completed", "completed")


def alternatives_offered(demand: Demand, offers: Sequence[DemandOffer]) -> None:
    first = offers[0].slot
    _to_resident(
        demand, "demand.alternatives_offered", f"offers:{offers[0].number}",
        count=len(offers), time=timezone.localtime(first.start).strftime("%m月%d日 %H:%M"),
    )  # fmt: skip


def escalated(demand: Demand, *, level: int, breach: str) -> int:
    """Level 1 goes to the team leads (all members when a team has no lead), level 2 to the
    centre's directors. Returns how many people were told."""
    if level == 1:
        people = team_members(demand, leads_only=True) or team_members(demand)
    else:
        people = directors(demand)
    due = demand.due_match_at if breach == "match" else demand.due_respond_at
    return _to_users(
        demand, people, "demand.escalated", f"escalated:{breach}:{level}",
        urgent=demand.tier != "routine", breach=breach, level=level, due=_local(due),
    )  # fmt: skip


def reminder(demand: Demand, *, note: str = "") -> None:
    booking = demand.booking
    assert booking is not None  # reminders are for scheduled demands, selected by their booking
    slot = booking.slot
    _to_resident(
        demand, "demand.reminder", f"reminder:{booking.public_id}",
        time=_local(slot.start),
        place=slot.organisation.name_zh, note=note,
    )  # fmt: skip


def green_channel(demand: Demand, clinicians: Iterable[User], volunteers: Iterable[User]) -> int:
    """Urgent messages to the on-duty clinician and the care team, and to nearby volunteers."""
    place = demand.resident.community.name
    reason = demand.description[:60] or _what(demand)
    told = _to_users(
        demand, clinicians, "green_channel.opened", "green", urgent=True, reason=reason,
        place=place,
    )  # fmt: skip
    told += _to_users(
        demand, volunteers, "green_channel.volunteer_alert", "green-volunteer", urgent=True,
        place=place,
    )  # fmt: skip
    return told
