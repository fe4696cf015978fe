"""API schemas for demands. Output carries public ids and codes, never a database key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from careloop.core.schemas import IsoDateTime
from careloop.demands.models import Demand, DemandEvent, DemandOffer

ACTIONS = ("accept", "schedule", "start", "complete", "withdraw", "reject", "escalate", "fail")


class WindowIn(Schema):
    model_config = ConfigDict(extra="forbid")

    start: IsoDateTime
    end: IsoDateTime


class DemandIn(Schema):
    """A resident files for themself (or a dependant, with ``resident_id``); staff add
    ``resident_id`` and ``channel`` (staff_phone, home_visit, walk_in, clinician_push)."""

    model_config = ConfigDict(extra="forbid")

    service_code: str | None = Field(default=None, max_length=60)
    description: str = Field(default="", max_length=500)
    modes: list[str] = Field(default_factory=list, max_length=4)
    windows: list[WindowIn] = Field(default_factory=list, max_length=14)
    provider_sex: Literal["F", "M"] | None = None
    resident_id: str | None = Field(default=None, max_length=32)
    channel: str | None = Field(default=None, max_length=20)


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: Literal[ACTIONS]  # type: ignore[valid-type]
    reason: str = Field(default="", max_length=200)
    slot_id: str | None = Field(default=None, max_length=32, description="for schedule")
    booking_id: str | None = Field(default=None, max_length=32, description="for schedule")


class EventOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    actor: str | None
    detail: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: DemandEvent) -> str | None:
        return obj.actor.public_id if obj.actor is not None else None


class OfferOut(Schema):
    number: int
    kind: str
    status: str
    relaxed: list[str]
    slot: str
    start: datetime
    end: datetime
    mode: str
    provider: str
    site: str

    @staticmethod
    def resolve_slot(obj: DemandOffer) -> str:
        return obj.slot.public_id

    @staticmethod
    def resolve_start(obj: DemandOffer) -> datetime:
        return timezone.localtime(obj.slot.start)

    @staticmethod
    def resolve_end(obj: DemandOffer) -> datetime:
        return timezone.localtime(obj.slot.end)

    @staticmethod
    def resolve_mode(obj: DemandOffer) -> str:
        return obj.slot.mode

    @staticmethod
    def resolve_provider(obj: DemandOffer) -> str:
        return obj.slot.provider.name

    @staticmethod
    def resolve_site(obj: DemandOffer) -> str:
        return obj.slot.organisation.name_zh


class AssignmentOut(Schema):
    booking: str
    slot: str
    start: datetime
    end: datetime
    mode: str
    provider: str
    site: str


class DemandOut(Schema):
    id: str
    resident_id: str
    service_code: str | None
    description: str
    channel: str
    status: str
    tier: str
    quadrant: str
    fhir_status: str
    system_suggested: bool
    resident_confirmed: bool | None
    modes: list[str]
    windows: list[dict[str, str]]
    provider_sex: str | None
    created_at: datetime
    due_respond_at: datetime
    due_match_at: datetime
    overdue: bool
    accepted_at: datetime | None
    accepted_by: str | None
    scheduled_at: datetime | None
    completed_at: datetime | None
    reject_reason: str
    assignment: AssignmentOut | None

    @staticmethod
    def resolve_id(obj: Demand) -> str:
        return obj.public_id

    @staticmethod
    def resolve_resident_id(obj: Demand) -> str:
        return obj.resident.public_id

    @staticmethod
    def resolve_service_code(obj: Demand) -> str | None:
        return obj.service.code if obj.service is not None else None

    @staticmethod
    def resolve_provider_sex(obj: Demand) -> str | None:
        return obj.provider_sex or None

    @staticmethod
    def resolve_overdue(obj: Demand, context: Any) -> bool:
        now = (context or {}).get("now") or timezone.now()
        if obj.status in ("submitted", "escalated"):
            return obj.due_respond_at <= now
        if obj.status == "accepted":
            return obj.due_match_at <= now
        return False

    @staticmethod
    def resolve_accepted_by(obj: Demand) -> str | None:
        return (
            obj.accepted_by.name or obj.accepted_by.username
            if obj.accepted_by is not None
            else None
        )

    @staticmethod
    def resolve_assignment(obj: Demand) -> dict[str, Any] | None:
        booking = obj.booking if obj.booking_id else None
        if booking is None or booking.status != "booked":
            return None
        slot = booking.slot
        return {
            "booking": booking.public_id,
            "slot": slot.public_id,
            "start": timezone.localtime(slot.start),
            "end": timezone.localtime(slot.end),
            "mode": slot.mode,
            "provider": slot.provider.name,
            "site": slot.organisation.name_zh,
        }


class DemandDetailOut(DemandOut):
    alternatives: list[OfferOut]
    history: list[EventOut]

    @staticmethod
    def resolve_alternatives(obj: Demand) -> list[DemandOffer]:
        return list(obj.offers.select_related("slot__provider", "slot__organisation"))

    @staticmethod
    def resolve_history(obj: Demand) -> list[DemandEvent]:
        return list(obj.events.select_related("actor"))
