"""The services a resident is due for through their packages (the demand issue turns them into
demands). ``compute_due`` is the rule, on plain rows; ``due_services`` feeds it from the DB."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careloop.catalogue import frequency
from careloop.catalogue.eligibility import ResidentFacts, is_eligible
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    EnrolmentStatus,
    PackageItem,
    Service,
)
from careloop.core import clock
from careloop.residents.models import Resident


@dataclass(frozen=True)
class DueService:
    service: Service
    due_date: date
    enrolment: Enrolment
    item: PackageItem

    def is_overdue(self, on: date) -> bool:
        return self.due_date < on


def compute_due(
    rows: list[tuple[Enrolment, PackageItem, date | None]],
    *,
    facts: ResidentFacts,
    on: date,
    horizon_days: int = 0,
) -> list[DueService]:
    """Pure: from (enrolment, item, last delivered) rows, the services due by ``on`` (plus
    ``horizon_days`` ahead), one per service (earliest due wins), services the resident is
    not eligible for left out, ordered by due date then service order."""
    limit = date.fromordinal(on.toordinal() + horizon_days)
    best: dict[int, DueService] = {}
    for enrolment, item, last in rows:
        if not item.service.active or not is_eligible(item.service, facts):
            continue
        due = frequency.next_due(
            count=item.interval_count,
            unit=item.interval_unit,
            enrolled_on=enrolment.enrolled_on,
            last_delivered=last,
        )
        if due is None or due > limit:
            continue
        current = best.get(item.service_id)
        if current is None or due < current.due_date:
            best[item.service_id] = DueService(item.service, due, enrolment, item)
    return sorted(best.values(), key=lambda d: (d.due_date, d.service.sort_order, d.service.code))


def due_services(
    resident: Resident, *, on: date | None = None, horizon_days: int = 0
) -> list[DueService]:
    """Services ``resident`` is due for through their active packages on ``on`` (today):
    overdue and due-today items, plus ``horizon_days`` ahead. Reads only; callers scope the
    resident first (a scoped selector)."""
    on = on or clock.today()
    enrolments = list(
        Enrolment.objects.filter(resident=resident, status=EnrolmentStatus.ACTIVE).select_related(
            "package"
        )
    )
    if not enrolments:
        return []
    states = {
        (s.enrolment_id, s.item_id): s.last_delivered_on
        for s in EnrolmentItemState.objects.filter(enrolment__in=enrolments)
    }
    items = (
        PackageItem.objects.filter(package__in={e.package_id for e in enrolments})
        .select_related("service")
        .prefetch_related("service__required_tags")
    )
    by_package: dict[int, list[PackageItem]] = {}
    for item in items:
        by_package.setdefault(item.package_id, []).append(item)
    rows = [
        (enrolment, item, states.get((enrolment.pk, item.pk)))
        for enrolment in enrolments
        for item in by_package.get(enrolment.package_id, [])
    ]
    facts = resident_facts(resident, on=on)
    return compute_due(rows, facts=facts, on=on, horizon_days=horizon_days)
