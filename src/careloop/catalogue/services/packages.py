"""Editing packages and their items; package enrolment, deliveries and the services a
resident is due for."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.catalogue import frequency
from careloop.catalogue.eligibility import is_eligible
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import (
    Enrolment,
    EnrolmentItemState,
    EnrolmentStatus,
    FrequencyUnit,
    LifeGroup,
    Package,
    PackageItem,
    Service,
)
from careloop.catalogue.models.catalogue import code_validator
from careloop.catalogue.permissions import require_catalogue_editor, require_resident_in_scope
from careloop.catalogue.services.catalogue import SERVICE_TEXT_FIELDS, _clean_service
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


# ---- editing packages ---------------------------------------------------------------------

PACKAGE_EDITABLE = frozenset(
    {
        *SERVICE_TEXT_FIELDS, "group", "min_age", "max_age", "sex", "required_tags", "active",
    }
)  # fmt: skip
MAX_INTERVAL = 999

PackageItemRow = tuple[str, int | None, str]


def _clean_package(data: dict[str, Any], errors: dict[str, list[Any]]) -> dict[str, Any]:
    """The service rules for the fields a package shares with a service, plus its group."""
    cleaned = _clean_service({k: v for k, v in data.items() if k != "group"}, errors)
    if "group" in data:
        if data["group"] not in LifeGroup.values:
            errors.setdefault("group", []).append(_("Choose a value from the list."))
        cleaned["group"] = data["group"]
    return cleaned


def _save_package(package: Package, cleaned: dict[str, Any], errors: dict[str, list[Any]]) -> None:
    tags = cleaned.pop("required_tags", None)
    for name, value in cleaned.items():
        setattr(package, name, value)
    if (
        package.min_age is not None
        and package.max_age is not None
        and package.min_age > package.max_age
    ):
        errors.setdefault("max_age", []).append(
            _("The maximum age must not be below the minimum age.")
        )
    if errors:
        raise DomainError(
            "catalogue.invalid", _("Please correct the marked fields."), fields=errors
        )
    package.save()
    if tags is not None:
        package.required_tags.set(tags)


def create_package(*, actor: User, code: str, name_zh: str, group: str, **fields: Any) -> Package:
    """Add a local package (without items: see ``set_package_items``). ``fields`` may hold
    any other editable field (see ``PACKAGE_EDITABLE``); tags are a list of codes."""
    require_catalogue_editor(actor)
    errors: dict[str, list[Any]] = {}
    unknown = set(fields) - PACKAGE_EDITABLE
    for name in sorted(unknown):
        errors.setdefault(name, []).append(_("This field cannot be changed here."))
    code = (code or "").strip()
    try:
        code_validator(code)
    except ValidationError as exc:
        errors.setdefault("code", []).extend(exc.messages)
    if Package.objects.filter(code=code).exists():
        errors.setdefault("code", []).append(_("A package with this code already exists."))
    data = {
        **{k: v for k, v in fields.items() if k not in unknown},
        "name_zh": name_zh,
        "group": group,
    }
    cleaned = _clean_package(data, errors)
    with transaction.atomic():
        package = Package(code=code)
        _save_package(package, cleaned, errors)
        audit.record(
            actor=actor,
            action="careloop.catalogue.package_created",
            obj=package,
            object_id=package.code,
        )
    return package


def update_package(*, actor: User, package: Package, changes: dict[str, Any]) -> Package:
    """Change some fields of a package (its ``code`` never changes)."""
    require_catalogue_editor(actor)
    errors: dict[str, list[Any]] = {}
    for name in changes:
        if name not in PACKAGE_EDITABLE:
            errors.setdefault(name, []).append(_("This field cannot be changed here."))
    cleaned = _clean_package({k: v for k, v in changes.items() if k in PACKAGE_EDITABLE}, errors)
    with transaction.atomic():
        package = Package.objects.select_for_update().get(pk=package.pk)
        _save_package(package, cleaned, errors)
        audit.record(
            actor=actor,
            action="careloop.catalogue.package_updated",
            obj=package,
            object_id=package.code,
            detail={"fields": sorted(changes)},
        )
    return package


def _clean_items(
    items: list[PackageItemRow], errors: dict[str, list[Any]]
) -> list[tuple[Service, int, str]]:
    """Rows ``(service code, every N, unit)``; errors are keyed ``items.<row>.<field>``."""
    codes = {code for code, _count, _unit in items}
    by_code = {s.code: s for s in Service.objects.filter(code__in=codes)}
    cleaned: list[tuple[Service, int, str]] = []
    seen: set[str] = set()
    for index, (code, count, unit) in enumerate(items):
        row = f"items.{index}."
        service = by_code.get(code)
        if service is None:
            errors.setdefault(row + "service", []).append(_("Unknown code in the list."))
        elif code in seen:
            errors.setdefault(row + "service", []).append(
                _("This service is already in the package.")
            )
        seen.add(code)
        if unit not in FrequencyUnit.values:
            errors.setdefault(row + "interval_unit", []).append(_("Choose a value from the list."))
        if unit not in frequency.RECURRING_UNITS:
            count = 1  # "once" and "on request" do not recur
        elif (
            not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_INTERVAL
        ):
            errors.setdefault(row + "interval_count", []).append(
                _("Enter a whole number between 1 and %(limit)s.") % {"limit": MAX_INTERVAL}
            )
        if service is not None:
            cleaned.append((service, count, unit))  # type: ignore[arg-type]
    return cleaned


def set_package_items(*, actor: User, package: Package, items: list[PackageItemRow]) -> Package:
    """Replace the items of ``package`` by ``items``, in that order. An item whose service
    stays keeps its row, note and enrolment states (deliveries); a new item starts as never
    delivered for every active enrolment; a dropped item goes with its states."""
    require_catalogue_editor(actor)
    errors: dict[str, list[Any]] = {}
    rows = _clean_items(list(items), errors)
    if errors:
        raise DomainError(
            "catalogue.invalid", _("Please correct the marked fields."), fields=errors
        )
    with transaction.atomic():
        package = Package.objects.select_for_update().get(pk=package.pk)
        existing = {item.service_id: item for item in package.items.select_related("service")}
        wanted = {service.pk for service, _count, _unit in rows}
        removed = [item for pk, item in existing.items() if pk not in wanted]
        PackageItem.objects.filter(pk__in=[item.pk for item in removed]).delete()
        added: list[PackageItem] = []
        changed: list[str] = []
        for order, (service, count, unit) in enumerate(rows):
            item = existing.get(service.pk)
            if item is None:
                item = PackageItem.objects.create(
                    package=package, service=service, interval_count=count,
                    interval_unit=unit, sort_order=order,
                )  # fmt: skip
                added.append(item)
                continue
            if (item.interval_count, item.interval_unit) != (count, unit):
                changed.append(service.code)
            if (item.interval_count, item.interval_unit, item.sort_order) != (count, unit, order):
                item.interval_count, item.interval_unit, item.sort_order = count, unit, order
                item.save(update_fields=["interval_count", "interval_unit", "sort_order"])
        if added:
            enrolments = Enrolment.objects.filter(package=package, status=EnrolmentStatus.ACTIVE)
            EnrolmentItemState.objects.bulk_create(
                EnrolmentItemState(enrolment=enrolment, item=item)
                for enrolment in enrolments
                for item in added
            )
        if added or removed or changed:
            audit.record(
                actor=actor,
                action="careloop.catalogue.package_items_set",
                obj=package,
                object_id=package.code,
                detail={
                    "added": [item.service.code for item in added],
                    "removed": [item.service.code for item in removed],
                    "changed": changed,
                },
            )
    return package
