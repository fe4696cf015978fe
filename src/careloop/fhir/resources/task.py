"""Task ↔ ``demands.Demand`` (one health-service need of one resident), read and search only.

- ``Task.id`` is the demand's public id; ``for`` the resident (``Patient/<id>``).
- ``status`` follows ``demands.models.FHIR_TASK_STATUS`` (one Task status per demand status);
  ``businessStatus`` carries the CareLoop status itself (system ``DEMAND_STATUS_SYSTEM``).
- ``intent`` is ``order``, except ``proposal`` for a system-suggested demand (device alert,
  package due, …) the resident has not confirmed: until then it is the system's proposal, not
  the resident's request. A declined proposal is withdrawn (``cancelled``).
- ``priority``: routine → routine, urgent → urgent, critical → stat (``FHIR_PRIORITY``).
- ``code`` is the requested service (``SERVICE_SYSTEM``, as HealthcareService.type), or only
  ``code.text`` with the resident's words when no service was chosen; ``description`` the
  resident's words.
- ``requester`` is who filed it where that is known: the resident (or the guardian who filed
  for them, by their own Patient record) as ``Patient``, a provider as ``PractitionerRole``
  (the same id as the Practitioner), other staff by name only (``display``). Demands the
  system filed (device alerts, due package services, life events, periodic reviews) have no
  requester; every Task carries its intake channel in the ``DEMAND_CHANNEL_URL`` extension
  (a Coding of ``CHANNEL_SYSTEM``).
- ``owner`` is the person who accepted it: ``PractitionerRole`` when they are a provider, else
  their name; there is none until someone accepts it (nor after a rejection).
- ``executionPeriod`` runs from ``accepted_at`` to ``completed_at``; ``authoredOn`` is when it
  was filed and ``lastModified`` (and ``meta.lastUpdated``) the time of its latest event.
- Deadlines: ``restriction.period.end`` is the match-by deadline (when it must be matched to a
  provider); the respond-by deadline (when someone must have accepted it) has no FHIR R4
  element and is the ``RESPOND_BY_URL`` extension (``valueDateTime``).
- ``statusReason`` is the reason given with the latest change (a rejection's reason — the
  demand is then back to ``requested`` —, a withdrawal's, an escalation's or a failure's).
- ``output`` refers to the ``Slot`` of the demand's booking (type ``booked-slot`` of
  ``OUTPUT_SYSTEM``) while the booking stands (booked, attended or missed), not once it was
  cancelled.

Reads and searches go through ``demands.selectors.demands_visible_to`` (a resident sees their
own and their dependants' demands, a clinician their team's residents', a director the
community's; anything else is 404). A staff read, and each search page, is one
``careloop.resident.viewed`` audit event naming the residents and demands disclosed. Demands
are filed and moved through the native services; create and update are not offered here
(405).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, Q, QuerySet
from fhir.resources.R4B.task import Task

from careloop.catalogue.models import BookingStatus
from careloop.core.models import User
from careloop.demands.models import (
    FHIR_PRIORITY,
    FHIR_TASK_STATUS,
    Channel,
    Demand,
    DemandEvent,
    DemandStatus,
)
from careloop.demands.selectors import demands_visible_to, record_reads
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.healthcareservice import (
    CODE_SYSTEM_BASE,
    SERVICE_SYSTEM,
    SPEC,
    coding,
    concept,
    reference_id,
    service_concept,
    token_code,
)
from careloop.fhir.search import date_q

TASK_STATUS_SYSTEM = "http://hl7.org/fhir/task-status"
PRIORITY_SYSTEM = "http://hl7.org/fhir/request-priority"
INTENT_SYSTEM = "http://hl7.org/fhir/task-intent"
DEMAND_STATUS_SYSTEM = CODE_SYSTEM_BASE + "demand-status"
CHANNEL_SYSTEM = CODE_SYSTEM_BASE + "demand-channel"
OUTPUT_SYSTEM = CODE_SYSTEM_BASE + "task-output"
EXTENSION_BASE = "https://careloop.example/fhir/StructureDefinition/"
DEMAND_CHANNEL_URL = EXTENSION_BASE + "demand-channel"
RESPOND_BY_URL = EXTENSION_BASE + "demand-respond-by"
BOOKED_SLOT = "booked-slot"

STATUSES = {fhir: demand for demand, fhir in FHIR_TASK_STATUS.items()}
TIERS = {fhir: tier for tier, fhir in FHIR_PRIORITY.items()}
PROPOSAL = Q(system_suggested=True) & ~Q(resident_confirmed=True)


def _related(user: User | None, name: str) -> Any:
    """``user.resident`` / ``user.provider`` (reverse one-to-one), or None."""
    if user is None:
        return None
    try:
        return getattr(user, name)
    except ObjectDoesNotExist:
        return None


def _role_reference(provider: Any) -> dict[str, Any]:
    return {"reference": f"PractitionerRole/{provider.public_id}", "display": provider.name}


def _person(user: User, *, resident_first: bool) -> dict[str, Any]:
    """A Reference to ``user``: their Patient or PractitionerRole, else their name."""
    resident, provider = _related(user, "resident"), _related(user, "provider")
    if resident is not None and (resident_first or provider is None):
        return {"reference": f"Patient/{resident.public_id}", "display": resident.name}
    if provider is not None:
        return _role_reference(provider)
    return {"display": user.name or user.get_username()}


def intent_of(demand: Demand) -> str:
    if demand.system_suggested and demand.resident_confirmed is not True:
        return "proposal"
    return "order"


def _events(demand: Demand) -> list[DemandEvent]:
    return list(demand.events.all())  # prefetched, oldest first


def last_modified(demand: Demand) -> datetime:
    events = _events(demand)
    return events[-1].at if events else demand.created_at


# ---- search parameters -------------------------------------------------------------------------


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _patient_q(value: str, modifier: str | None) -> Q:
    pid = reference_id(value, "Patient")
    return Q(resident__public_id=pid) if pid else Q(pk__in=[])


def _status_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, TASK_STATUS_SYSTEM)
    return Q(status=STATUSES[code]) if code in STATUSES else Q(pk__in=[])


def _business_status_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, DEMAND_STATUS_SYSTEM)
    return Q(status=code) if code in DemandStatus.values else Q(pk__in=[])


def _priority_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, PRIORITY_SYSTEM)
    return Q(tier=TIERS[code]) if code in TIERS else Q(pk__in=[])


def _intent_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, INTENT_SYSTEM)
    if code == "proposal":
        return PROPOSAL
    return ~PROPOSAL if code == "order" else Q(pk__in=[])


def _code_q(value: str, modifier: str | None) -> Q:
    code = token_code(value, SERVICE_SYSTEM)
    return Q(service__code=code) if code else Q(pk__in=[])


def _authored_on_q(value: str, modifier: str | None) -> Q:
    return date_q("created_at", value, datetime_field=True)


def _owner_q(value: str, modifier: str | None) -> Q:
    pid = reference_id(value, "PractitionerRole") or reference_id(value, "Practitioner")
    return Q(accepted_by__provider__public_id=pid) if pid else Q(pk__in=[])


@register
class TaskResource(ResourceHandler[Demand]):
    resource_type = "Task"
    model = Task
    documentation = (
        "A demand (one health-service need of a resident), read and search only. status: the "
        f"FHIR Task status; businessStatus: the CareLoop status ({DEMAND_STATUS_SYSTEM}); "
        f"code: the requested service ({SERVICE_SYSTEM}); priority routine, urgent or stat; "
        "intent proposal for a system-suggested demand the resident has not confirmed. "
        "restriction.period.end is the match-by deadline, the respond-by deadline the "
        f"extension {RESPOND_BY_URL}; the intake channel the extension {DEMAND_CHANNEL_URL}. "
        "output: the booked Slot. File and move demands through the native API."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Task.id", SPEC + "Resource-id"),
        SearchParam(
            "patient", "reference", _patient_q, "The resident (Patient/id).", SPEC + "Task-patient"
        ),
        SearchParam(
            "subject", "reference", _patient_q, "The resident (Patient/id).", SPEC + "Task-subject"
        ),
        SearchParam(
            "status",
            "token",
            _status_q,
            "requested, received, accepted, ready, in-progress, completed, cancelled, rejected "
            f"or failed ({TASK_STATUS_SYSTEM}).",
            SPEC + "Task-status",
        ),
        SearchParam(
            "business-status",
            "token",
            _business_status_q,
            f"The CareLoop status ({DEMAND_STATUS_SYSTEM}).",
            SPEC + "Task-business-status",
        ),
        SearchParam(
            "priority",
            "token",
            _priority_q,
            f"routine, urgent or stat ({PRIORITY_SYSTEM}).",
            SPEC + "Task-priority",
        ),
        SearchParam("intent", "token", _intent_q, "order or proposal.", SPEC + "Task-intent"),
        SearchParam(
            "code", "token", _code_q, f"The service code ({SERVICE_SYSTEM}).", SPEC + "Task-code"
        ),
        SearchParam(
            "authored-on",
            "date",
            _authored_on_q,
            "When it was filed; eq ne gt lt ge le prefixes.",
            SPEC + "Task-authored-on",
        ),
        SearchParam(
            "owner",
            "reference",
            _owner_q,
            "Who accepted it (PractitionerRole/id or Practitioner/id).",
            SPEC + "Task-owner",
        ),
    )

    # ---- reads ----------------------------------------------------------------------------

    def search(self, ctx: FhirContext) -> QuerySet[Demand]:
        """The selector's scope and ordering (newest first), with what ``to_fhir`` needs for a
        page in a fixed number of queries: the people behind requester and owner, and the
        events (for lastModified and statusReason) in one more query."""
        return (
            demands_visible_to(ctx.user)
            .select_related(
                "filed_by__resident",
                "filed_by__provider",
                "accepted_by__resident",
                "accepted_by__provider",
            )
            .prefetch_related(Prefetch("events", queryset=DemandEvent.objects.order_by("at", "id")))
        )

    def read(self, ctx: FhirContext, resource_id: str) -> Demand:
        demand = self.search(ctx).filter(public_id=resource_id).first()
        if demand is None:
            raise not_found(self.resource_type, resource_id)
        self.disclosed(ctx, [demand], "fhir.read")
        return demand

    def disclosed(self, ctx: FhirContext, objs: Sequence[Demand], purpose: str) -> None:
        """Staff reads are audited: one event per read or search page, naming the residents
        and demands on it (a page of 50 demands of 50 residents is one write, not 50); a
        resident's read of their own demands is not."""
        record_reads(ctx.user, objs, purpose=purpose)

    def last_updated(self, obj: Demand) -> datetime | None:
        return last_modified(obj)

    # ---- mapping --------------------------------------------------------------------------

    def to_fhir(self, ctx: FhirContext, obj: Demand) -> Task:
        status = DemandStatus(obj.status)
        channel = Channel(obj.channel)
        modified = last_modified(obj)
        data: dict[str, Any] = {
            "resourceType": "Task",
            "id": obj.public_id,
            "meta": {"lastUpdated": modified},
            "extension": [
                {
                    "url": DEMAND_CHANNEL_URL,
                    "valueCoding": coding(CHANNEL_SYSTEM, channel.value, str(channel.label)),
                },
                {"url": RESPOND_BY_URL, "valueDateTime": obj.due_respond_at},
            ],
            "status": FHIR_TASK_STATUS[status],
            "businessStatus": concept(DEMAND_STATUS_SYSTEM, status.value, str(status.label)),
            "intent": intent_of(obj),
            "priority": FHIR_PRIORITY[obj.tier],
            "code": (
                service_concept(obj.service)
                if obj.service is not None
                else {"text": obj.description}
            ),
            "for": {"reference": f"Patient/{obj.resident.public_id}"},
            "authoredOn": obj.created_at,
            "lastModified": modified,
            "restriction": {"period": {"end": obj.due_match_at}},
        }
        if obj.description:
            data["description"] = obj.description
        events = _events(obj)
        reason = str(events[-1].detail.get("reason") or "") if events else ""
        if reason:
            data["statusReason"] = {"text": reason}
        if obj.filed_by is not None:
            data["requester"] = _person(
                obj.filed_by, resident_first=obj.channel == Channel.RESIDENT_WEB
            )
        if obj.accepted_by is not None:
            data["owner"] = _person(obj.accepted_by, resident_first=False)
        if obj.accepted_at is not None:
            period = {"start": obj.accepted_at}
            if obj.completed_at is not None:
                period["end"] = obj.completed_at
            data["executionPeriod"] = period
        booking = obj.booking
        if booking is not None and booking.status != BookingStatus.CANCELLED:
            data["output"] = [
                {
                    "type": concept(OUTPUT_SYSTEM, BOOKED_SLOT),
                    "valueReference": {"reference": f"Slot/{booking.slot.public_id}"},
                }
            ]
        return Task.model_validate(data)
