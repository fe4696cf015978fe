"""Permission-scoped reads of demands: every read of a demand goes through here, and staff
reads are written to the audit trail (``record_reads``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from careloop.core import audit
from careloop.core.errors import NotFoundError
from careloop.core.models import User
from careloop.demands.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Demand,
    DemandTier,
    FollowUpCall,
)
from careloop.residents.selectors import residents_visible_to

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

TIER_ORDER = {DemandTier.CRITICAL: 0, DemandTier.URGENT: 1, DemandTier.ROUTINE: 2}


def demands_visible_to(user: User) -> QuerySet[Demand]:
    """Demands of the residents ``user`` sees: a resident's own and their dependants', the
    care team's residents' for a clinician, the community's for directors."""
    return Demand.objects.select_related(
        "resident", "service", "filed_by", "accepted_by", "booking__slot"
    ).filter(resident__in=residents_visible_to(user).values("pk"))


def get_demand_for(user: User, public_id: str) -> Demand:
    demand = demands_visible_to(user).filter(public_id=public_id).first()
    if demand is None:
        raise NotFoundError("demands.not_found", _("No such demand."))
    return demand


def record_reads(user: User, demands: Iterable[Demand], *, purpose: str) -> None:
    """Audit that ``user`` read ``demands`` (a detail page, or one page of a list) as a read
    of the residents' records is audited: one ``careloop.resident.viewed`` event for the lot,
    naming the residents and the demands; the object is the resident when there is one.
    A resident reading their own demands is not recorded (a guardian reading a dependant's
    is). Needs ``demand.resident`` loaded, as ``demands_visible_to`` does."""
    seen = [demand for demand in demands if demand.resident.user_id != user.pk]
    if not seen:
        return
    residents = sorted({demand.resident.public_id for demand in seen})
    audit.record(
        actor=user,
        action="careloop.resident.viewed",
        object_type="residents.resident",
        object_id=residents[0] if len(residents) == 1 else "",
        detail={
            "purpose": purpose,
            "residents": residents,
            "demands": [demand.public_id for demand in seen],
        },
    )


class QueueAnnotations(TypedDict):
    tier_rank: int
    due_at: datetime


def clinician_queue(user: User) -> QuerySet[WithAnnotations[Demand, QueueAnnotations]]:
    """Open demands ``user`` sees, critical first, then urgent, then routine; within a tier
    by the next deadline (respond-by while nobody accepted it, match-by after)."""
    return (
        demands_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .annotate(
            tier_rank=Case(
                *[When(tier=tier, then=Value(rank)) for tier, rank in TIER_ORDER.items()],
                default=Value(9),
                output_field=IntegerField(),
            ),
            due_at=Case(
                When(status__in=WAITING_STATUSES, then=F("due_respond_at")),
                default=F("due_match_at"),
            ),
        )
        .order_by("tier_rank", "due_at", "id")
    )


def follow_ups_for(user: User) -> QuerySet[FollowUpCall]:
    """Follow-up calls of the demands ``user`` sees, the earliest due first."""
    return (
        FollowUpCall.objects.filter(demand__in=demands_visible_to(user).values("pk"))
        .select_related("demand__resident", "demand__service", "assigned_to", "done_by")
        .order_by("due_at", "id")
    )
