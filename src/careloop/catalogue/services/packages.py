"""Package enrolment, deliveries and the services a resident is due for."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.eligibility import is_eligible
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    EnrolmentStatus,
    Package,
    Service,
)
from careloop.catalogue.permissions import require_resident_in_scope
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import User
from careloop.core.roles import CARE_TEAM_ROLES, COMMUNITY_ROLES
from careloop.residents.models import Resident


def _require_staff(actor: User, resident: Resident) -> None:
    require_resident_in_scope(actor, resident)
    if not (actor.is_superuser or actor.has_role(*CARE_TEAM_ROLES, *COMMUNITY_ROLES)):
        raise ForbiddenError(
            "catalogue.forbidden", _("Only the care team can change package enrolments.")
        )


def enrol_resident(
    *,
    actor: User,
    resident: Resident,
    package: Package,
    enrolled_on: date | None = None,
    check_eligibility: bool = True,
) -> Enrolment:
    """Enrol ``resident`` in ``package`` (care team or community staff). One active
    enrolment per package; each item starts as never delivered, so recurring and ``once``
    items are due on the enrolment day."""
    _require_staff(actor, resident)
    enrolled_on = enrolled_on or clock.today()
    if not package.active:
        raise DomainError("catalogue.package_inactive", _("This package is not offered any more."))
    if check_eligibility and not is_eligible(package, resident_facts(resident, on=enrolled_on)):
        raise DomainError(
            "catalogue.not_eligible", _("The resident is not eligible for this package.")
        )
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                resident=resident, package=package, enrolled_on=enrolled_on, enrolled_by=actor
            )
            EnrolmentItemState.objects.bulk_create(
                EnrolmentItemState(enrolment=enrolment, item=item) for item in package.items.all()
            )
            audit.record(
                actor=actor,
                action="careloop.catalogue.enrolled",
                obj=resident,
                detail={"package": package.code, "enrolment": enrolment.public_id},
            )
    except IntegrityError:
        raise ConflictError(
            "catalogue.already_enrolled", _("The resident is already enrolled in this package.")
        ) from None
    return enrolment


def end_enrolment(
    *, actor: User, enrolment: Enrolment, ended_on: date | None = None, reason: str = ""
) -> Enrolment:
    _require_staff(actor, enrolment.resident)
    ended_on = ended_on or clock.today()
    if ended_on < enrolment.enrolled_on:
        raise DomainError(
            "catalogue.invalid",
            _("Please correct the marked fields."),
            fields={"ended_on": [_("An enrolment cannot end before it starts.")]},
        )
    with transaction.atomic():
        updated = Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.ACTIVE).update(
            status=EnrolmentStatus.ENDED, ended_on=ended_on, end_reason=reason.strip()[:200]
        )
        if not updated:
            raise ConflictError("catalogue.enrolment_ended", _("This enrolment has already ended."))
        audit.record(
            actor=actor,
            action="careloop.catalogue.enrolment_ended",
            obj=enrolment.resident,
            detail={"package": enrolment.package.code, "enrolment": enrolment.public_id},
        )
    enrolment.refresh_from_db()
    return enrolment


def record_delivery(
    *, actor: User, resident: Resident, service: Service, delivered_on: date | None = None
) -> int:
    """Note that ``service`` was delivered to ``resident``: every active enrolment item of
    that service moves on (a later date never goes back). Returns the items updated."""
    _require_staff(actor, resident)
    delivered_on = delivered_on or clock.today()
    if delivered_on > clock.today():
        raise DomainError(
            "catalogue.invalid",
            _("Please correct the marked fields."),
            fields={"delivered_on": [_("A delivery cannot be in the future.")]},
        )
    with transaction.atomic():
        states = list(
            EnrolmentItemState.objects.select_for_update().filter(
                enrolment__resident=resident,
                enrolment__status=EnrolmentStatus.ACTIVE,
                item__service=service,
            )
        )
        for state in states:
            state.delivered_count += 1
            if state.last_delivered_on is None or delivered_on > state.last_delivered_on:
                state.last_delivered_on = delivered_on
            state.save(update_fields=["delivered_count", "last_delivered_on"])
        audit.record(
            actor=actor,
            action="careloop.catalogue.delivery_recorded",
            obj=resident,
            detail={"service": service.code, "on": delivered_on.isoformat(), "items": len(states)},
        )
    return len(states)
