"""The system intake channels: demands the system suggests, which the resident is asked to
confirm (the identification-accuracy KPI counts the answers).

- ``package_due``: ``file_package_due_demands`` turns the due services of active package
  enrolments into demands, once per (resident, service, due date); run daily.
- ``life_event`` / ``periodic_review``: ``file_demands_from_answers`` turns the needs a
  resident names in the needs-review questionnaire (sent after a life event or by the
  quarterly review, ``residents.services.events``) into demands, confirmed at once since the
  resident said so themself.

Every demand goes through ``file_demand`` with an idempotency key, so running either twice
files nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from careloop.catalogue.due import DueService, compute_due
from careloop.catalogue.eligibility import EligibilityRules, ResidentFacts, age_on, is_eligible
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    EnrolmentStatus,
    PackageItem,
    Service,
)
from careloop.core import clock
from careloop.core.errors import DomainError
from careloop.core.models import User
from careloop.demands.models import OPEN_STATUSES, Channel, Demand
from careloop.demands.services.filing import confirm_suggested_demand, file_demand
from careloop.residents.models import (
    QuestionnaireResponse,
    Resident,
    ReviewInvitation,
    ReviewReason,
)

logger = logging.getLogger(__name__)

# Services due within this many days are filed now: a week ahead leaves time to match and
# schedule them before the due date. Overdue and due-today services are filed too.
DUE_HORIZON_DAYS = 7
# Residents read per batch (each batch: six queries, then one ``file_demand`` per demand).
BATCH = 200


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _open_services(resident_ids: list[int]) -> set[tuple[int, int]]:
    """(resident id, service id) of every open demand of these residents."""
    return set(
        Demand.objects.filter(
            resident_id__in=resident_ids, status__in=OPEN_STATUSES, service__isnull=False
        ).values_list("resident_id", "service_id")
    )


# ---- package_due ----------------------------------------------------------------------------


def due_key(due: DueService) -> str:
    """``due:<enrolment>:<service id>:<YYYYMMDD>``: one demand per service and due date of an
    enrolment (the service's id, not its code, keeps the key within 64 characters)."""
    return f"due:{due.enrolment.public_id}:{due.service.pk}:{due.due_date:%Y%m%d}"


def file_package_due_demands(*, today: date | None = None) -> int:
    """File a system-suggested demand for every service that an active enrolment makes due
    by ``today`` (today) plus ``DUE_HORIZON_DAYS``; return how many were filed. A resident
    with an open demand for the service is skipped, as is a due date already filed (a
    declined suggestion is not suggested again until the service is delivered and due anew).
    Reads in batches of residents; a demand that cannot be filed is logged and skipped."""
    today = today or clock.today()
    resident_ids = (
        Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE)
        .order_by()
        .values_list("resident_id", flat=True)
        .distinct()
    )
    items: dict[int, list[PackageItem]] = {}
    for item in (
        PackageItem.objects.filter(package__enrolments__status=EnrolmentStatus.ACTIVE)
        .distinct()
        .select_related("service")
        .prefetch_related("service__required_tags")
    ):
        items.setdefault(item.package_id, []).append(item)
    filed = 0
    for chunk in _chunks(resident_ids):
        filed += _file_due(chunk, items, today)
    return filed


def _file_due(resident_ids: list[int], items: dict[int, list[PackageItem]], today: date) -> int:
    residents = {
        r.pk: r
        for r in Resident.objects.filter(pk__in=resident_ids).prefetch_related("profile_tags")
    }
    enrolments = list(
        Enrolment.objects.filter(
            resident_id__in=resident_ids, status=EnrolmentStatus.ACTIVE
        ).select_related("package")
    )
    states = {
        (enrolment_id, item_id): last
        for enrolment_id, item_id, last in EnrolmentItemState.objects.filter(
            enrolment__resident_id__in=resident_ids, enrolment__status=EnrolmentStatus.ACTIVE
        ).values_list("enrolment_id", "item_id", "last_delivered_on")
    }
    rows: dict[int, list[tuple[Enrolment, PackageItem, date | None]]] = {}
    for enrolment in enrolments:
        for item in items.get(enrolment.package_id, []):
            rows.setdefault(enrolment.resident_id, []).append(
                (enrolment, item, states.get((enrolment.pk, item.pk)))
            )
    due: list[DueService] = []
    for resident_id, resident_rows in rows.items():
        facts = resident_facts(residents[resident_id], on=today)
        due += compute_due(resident_rows, facts=facts, on=today, horizon_days=DUE_HORIZON_DAYS)
    if not due:
        return 0
    busy = _open_services(resident_ids)
    filed_keys = set(
        Demand.objects.filter(
            resident_id__in=resident_ids, idempotency_key__in=[due_key(d) for d in due]
        ).values_list("idempotency_key", flat=True)
    )
    filed = 0
    for due_service in due:
        resident = residents[due_service.enrolment.resident_id]
        key = due_key(due_service)
        if key in filed_keys or (resident.pk, due_service.service.pk) in busy:
            continue
        try:
            file_demand(
                actor=None,
                resident=resident,
                channel=Channel.PACKAGE_DUE,
                service=due_service.service,
                system_suggested=True,
                source_ref=f"due:{due_service.service.code}:{due_service.due_date.isoformat()}",
                idempotency_key=key,
            )
        except DomainError:
            logger.exception("package-due demand not filed: %s", key)
            continue
        busy.add((resident.pk, due_service.service.pk))
        filed += 1
    return filed


# ---- life_event / periodic_review -----------------------------------------------------------


def _fits(service: Service, resident: Resident, on: date) -> bool:
    """The service's age and sex rules (its tag rules are not asked: the resident's own
    answer is the evidence of the need, e.g. blood pressure checks before any diagnosis)."""
    rules = EligibilityRules(min_age=service.min_age, max_age=service.max_age, sex=service.sex)
    return is_eligible(rules, ResidentFacts(age=age_on(resident.birth_date, on), sex=resident.sex))


def file_demands_from_answers(
    response: QuestionnaireResponse, *, actor: User | None = None
) -> list[Demand]:
    """File one demand per need named in ``response``: a yes to an item mapped to a catalogue
    service (``"service"`` in the questionnaire's data), and the text of a ``"describe"``
    item. The channel is ``life_event`` when the response answers a life-event invitation,
    else ``periodic_review``. Each demand is system-suggested and at once confirmed by the
    person who answered (``actor``, else the response's author). Skipped: services the
    resident already has an open demand for, services whose age or sex rules leave the
    resident out, unknown or inactive services. Safe to call twice."""
    resident = response.resident
    items = response.questionnaire.schema.get("items", [])
    wanted: list[tuple[str, str, str]] = []  # (linkId, service code, description)
    for item in items:
        value = response.answers.get(item["linkId"])
        if item.get("service") and value is True:
            wanted.append((item["linkId"], item["service"], ""))
        elif item.get("describe") and isinstance(value, str) and value.strip():
            wanted.append((item["linkId"], "", value.strip()))
    if not wanted:
        return []
    reasons = set(
        ReviewInvitation.objects.filter(response=response).values_list("reason", flat=True)
    )
    channel = Channel.LIFE_EVENT if ReviewReason.LIFE_EVENT in reasons else Channel.PERIODIC_REVIEW
    services = {
        s.code: s for s in Service.objects.filter(code__in={code for _, code, _ in wanted if code})
    }
    busy = {service_id for _, service_id in _open_services([resident.pk])}
    confirmer = actor or response.answered_by
    today = clock.today()
    demands: list[Demand] = []
    for link_id, code, description in wanted:
        service = services.get(code) if code else None
        if code and (service is None or not service.active):
            logger.warning("needs review %s: no active service %s", response.public_id, code)
            continue
        if service is not None and (service.pk in busy or not _fits(service, resident, today)):
            continue
        demand = file_demand(
            actor=None,
            resident=resident,
            channel=channel,
            service=service,
            description=description,
            system_suggested=True,
            source_ref=f"review:{response.public_id}",
            idempotency_key=f"review:{response.public_id}:{link_id}"[:64],
        )
        if confirmer is not None:
            demand = confirm_suggested_demand(actor=confirmer, demand=demand, confirmed=True)
        if service is not None:
            busy.add(service.pk)
        demands.append(demand)
    return demands
