"""The deadline sweep's service: escalate demands past their respond-by time."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from careloop.core import audit, clock
from careloop.core.models import User
from careloop.demands.models import Demand, DemandEvent
from careloop.demands.services.common import (
    S,
)

# ---- deadlines ------------------------------------------------------------------------------


def escalate_overdue(*, actor: User | None = None, now: datetime | None = None) -> int:
    """Escalate submitted demands past ``due_respond_at`` (nobody accepted them in time).
    Each row is claimed with a conditional UPDATE (``status=submitted``), so two sweeps at
    once, or one run twice, escalate a demand exactly once. Returns how many it escalated."""
    now = now or clock.now()
    candidates = list(
        Demand.objects.filter(status=S.SUBMITTED, due_respond_at__lte=now).values_list(
            "pk", "public_id", "due_respond_at", "tier"
        )
    )
    escalated = 0
    for pk, public_id, due, tier in candidates:
        with transaction.atomic():
            claimed = Demand.objects.filter(pk=pk, status=S.SUBMITTED).update(
                status=S.ESCALATED, escalated_at=now
            )
            if not claimed:
                continue
            detail = {"breach": "respond", "due": due.isoformat(), "tier": tier}
            DemandEvent.objects.create(
                demand_id=pk, at=now, actor=actor, from_status=S.SUBMITTED,
                to_status=S.ESCALATED, action="escalate", detail=detail,
            )  # fmt: skip
            audit.record(
                actor=actor,
                action="careloop.demand.escalated",
                object_type="demands.demand",
                object_id=public_id,
                detail={"from": S.SUBMITTED, "to": S.ESCALATED, **detail},
            )
        escalated += 1
    return escalated
