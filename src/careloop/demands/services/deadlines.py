"""The deadline sweep: demands past their respond-by or match-by time are escalated, first to
the care team's lead, then (still unresolved a further period later) to the centre director,
and every breach is recorded once (``DeadlineBreach`` is unique per demand, kind and level,
so two sweeps at once, or one run twice, record and notify once).

- **respond**: nobody accepted the demand by ``due_respond_at``. The demand becomes
  *escalated* (level 1, claimed with a conditional UPDATE); still not accepted ``FOLLOW_UP``
  after that, level 2. A green-channel case instead escalates straight to the director when
  its on-duty clinician has not responded by the case's minute deadline.
- **match**: the demand has no booking by ``due_match_at`` (accepted or not). Its status is
  kept (an accepted demand stays with its clinician); level 1, then level 2 ``FOLLOW_UP``
  later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from careloop.core import audit, clock
from careloop.core.models import User
from careloop.demands.models import (
    BreachKind,
    DeadlineBreach,
    Demand,
    DemandEvent,
    DemandTier,
    EscalationLevel,
)
from careloop.demands.services import notices
from careloop.demands.services.common import S

# How long after the first escalation the director hears of it, by tier.
FOLLOW_UP: dict[str, timedelta] = {
    DemandTier.ROUTINE: timedelta(hours=24),
    DemandTier.URGENT: timedelta(minutes=30),
    DemandTier.CRITICAL: timedelta(minutes=5),
}
WAITING = (S.SUBMITTED, S.ESCALATED)
UNMATCHED = (S.SUBMITTED, S.ESCALATED, S.ACCEPTED)


def _record_breach(
    demand: Demand, kind: str, level: int, due: datetime, now: datetime, actor: User | None
) -> bool:
    """Record the breach and tell whom it goes to; False when it was already recorded."""
    try:
        with transaction.atomic():
            DeadlineBreach.objects.create(
                demand=demand, kind=kind, level=level, due_at=due, detected_at=now
            )
            told = notices.escalated(demand, level=level, breach=kind)
            audit.record(
                actor=actor, action="careloop.demand.deadline_breached", obj=demand,
                detail={"breach": kind, "level": level, "due": due.isoformat(), "told": told},
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


def _escalate_respond(now: datetime, actor: User | None) -> int:
    candidates = Demand.objects.filter(
        status=S.SUBMITTED, due_respond_at__lte=now, green_channel__isnull=True
    ).select_related("resident", "service")
    escalated = 0
    for demand in candidates:
        with transaction.atomic():
            claimed = Demand.objects.filter(pk=demand.pk, status=S.SUBMITTED).update(
                status=S.ESCALATED, escalated_at=now
            )
            if not claimed:
                continue
            detail = {
                "breach": BreachKind.RESPOND, "due": demand.due_respond_at.isoformat(),
                "tier": demand.tier,
            }  # fmt: skip
            DemandEvent.objects.create(
                demand=demand, at=now, actor=actor, from_status=S.SUBMITTED,
                to_status=S.ESCALATED, action="escalate", detail=detail,
            )  # fmt: skip
            audit.record(
                actor=actor, action="careloop.demand.escalated", obj=demand,
                detail={"from": S.SUBMITTED, "to": S.ESCALATED, **detail},
            )  # fmt: skip
            demand.status, demand.escalated_at = S.ESCALATED, now
            _record_breach(
                demand, BreachKind.RESPOND, EscalationLevel.TEAM_LEAD, demand.due_respond_at,
                now, actor,
            )  # fmt: skip
        escalated += 1
    return escalated


def _follow_up(kind: str, statuses: tuple[str, ...], now: datetime, actor: User | None) -> int:
    """Level 2 for level-1 breaches still unresolved ``FOLLOW_UP`` later."""
    count = 0
    first_breaches = DeadlineBreach.objects.filter(
        kind=kind, level=EscalationLevel.TEAM_LEAD, demand__status__in=statuses
    ).select_related("demand__resident", "demand__service")
    if kind == BreachKind.MATCH:
        first_breaches = first_breaches.filter(demand__booking__isnull=True)
    already = set(
        DeadlineBreach.objects.filter(kind=kind, level=EscalationLevel.DIRECTOR).values_list(
            "demand_id", flat=True
        )
    )
    for breach in first_breaches:
        demand = breach.demand
        if demand.pk in already or breach.detected_at + FOLLOW_UP[demand.tier] > now:
            continue
        if _record_breach(
            demand, kind, EscalationLevel.DIRECTOR, breach.due_at, now, actor
        ):  # fmt: skip
            count += 1
    return count


def _breach_match(now: datetime, actor: User | None) -> int:
    late = (
        Demand.objects.filter(
            status__in=UNMATCHED,
            booking__isnull=True,
            due_match_at__lte=now,
            green_channel__isnull=True,
        )
        .exclude(breaches__kind=BreachKind.MATCH)
        .select_related("resident", "service")
    )
    return sum(
        _record_breach(
            demand, BreachKind.MATCH, EscalationLevel.TEAM_LEAD, demand.due_match_at, now, actor
        )
        for demand in late
    )


def _breach_green_channel(now: datetime, actor: User | None) -> int:
    late = (
        Demand.objects.filter(
            green_channel__responded_at__isnull=True,
            green_channel__closed_at__isnull=True,
            green_channel__due_respond_at__lte=now,
        )
        .exclude(breaches__kind=BreachKind.RESPOND)
        .select_related("resident", "service", "green_channel")
    )
    return sum(
        _record_breach(
            demand,
            BreachKind.RESPOND,
            EscalationLevel.DIRECTOR,
            demand.green_channel.due_respond_at,
            now,
            actor,
        )
        for demand in late
    )


def escalate_overdue(*, actor: User | None = None, now: datetime | None = None) -> int:
    """One sweep over every deadline. Returns how many demands it escalated (the respond
    escalations; breaches of other kinds are counted by ``sweep_deadlines``)."""
    return sweep_deadlines(actor=actor, now=now)["escalated"]


def sweep_deadlines(*, actor: User | None = None, now: datetime | None = None) -> dict[str, int]:
    now = now or clock.now()
    return {
        "escalated": _escalate_respond(now, actor),
        "respond_director": _follow_up(BreachKind.RESPOND, WAITING, now, actor),
        "match": _breach_match(now, actor),
        "match_director": _follow_up(BreachKind.MATCH, UNMATCHED, now, actor),
        "green_channel": _breach_green_channel(now, actor),
    }
