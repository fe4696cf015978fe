"""Writes to the catalogue: loading shipped data, creating and editing services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from careloop.catalogue import reference
from careloop.catalogue.models import (
    Category,
    DeliveryMode,
    EligibilitySex,
    Service,
    ServiceMode,
    Skill,
    Tag,
    Tier,
)
from careloop.catalogue.models.catalogue import code_validator
from careloop.catalogue.permissions import require_catalogue_editor
from careloop.core import audit
from careloop.core.errors import DomainError
from careloop.core.models import User

SERVICE_TEXT_FIELDS = ("name_zh", "name_en", "description_zh", "description_en")
SERVICE_EDITABLE = frozenset(
    {
        *SERVICE_TEXT_FIELDS, "tier", "category", "duration_minutes", "price_fen",
        "insurance_covered_fen", "is_public_health_basic", "min_age", "max_age", "sex",
        "active", "sort_order", "modes", "required_skills", "required_tags",
    }
)  # fmt: skip


def _get_model(name: str) -> Any:
    from django.apps import apps

    return apps.get_model("catalogue", name)


def load_catalogue(
    *, actor: User | None, version: str = reference.CURRENT_VERSION, update_existing: bool = False
) -> reference.LoadResult:
    """Load a shipped catalogue version. Idempotent: a second run creates nothing. With
    ``update_existing`` shipped values overwrite local edits of the same codes."""
    if actor is not None:
        require_catalogue_editor(actor)
    try:
        data = reference.read_catalogue(version)
    except FileNotFoundError:
        raise DomainError(
            "catalogue.unknown_version",
            _("There is no shipped catalogue %(version)s.") % {"version": version},
        ) from None
    with transaction.atomic():
        result = reference.apply_catalogue(_get_model, data, update_existing=update_existing)
        if result.created or result.updated:
            audit.record(
                actor=actor,
                action="careloop.catalogue.loaded",
                object_type="catalogue.service",
                object_id=version,
                detail={"created": result.created, "updated": result.updated},
            )
    return result


def load_holidays(*, actor: User | None) -> int:
    """Add the shipped holiday days missing from the table (idempotent)."""
    if actor is not None:
        require_catalogue_editor(actor)
    with transaction.atomic():
        created = reference.apply_holidays(_get_model, reference.read_holidays())
        if created:
            audit.record(
                actor=actor,
                action="careloop.catalogue.holidays_loaded",
                object_type="catalogue.publicholiday",
                detail={"created": created},
            )
    return created


def _clean_service(data: dict[str, Any], errors: dict[str, list[Any]]) -> dict[str, Any]:
    def add(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(message)

    cleaned: dict[str, Any] = {}
    for name in SERVICE_TEXT_FIELDS:
        if name in data:
            cleaned[name] = str(data[name] or "").strip()
    if "name_zh" in cleaned and not cleaned["name_zh"]:
        add("name_zh", _("Enter the Chinese name."))
    for name, choices in (("tier", Tier), ("category", Category), ("sex", EligibilitySex)):
        if name in data:
            if data[name] not in choices.values:
                add(name, _("Choose a value from the list."))
            cleaned[name] = data[name]
    for name in ("duration_minutes", "price_fen", "insurance_covered_fen", "sort_order"):
        if name in data:
            value = data[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                add(name, _("Enter a whole number, zero or more."))
            cleaned[name] = value
    for name in ("min_age", "max_age"):
        if name in data:
            value = data[name]
            if value is not None and (not isinstance(value, int) or not 0 <= value <= 150):
                add(name, _("Enter an age between 0 and 150, or leave it empty."))
            cleaned[name] = value
    for name in ("is_public_health_basic", "active"):
        if name in data:
            cleaned[name] = bool(data[name])
    if "modes" in data:
        modes = list(dict.fromkeys(data["modes"] or []))
        if not modes or any(mode not in DeliveryMode.values for mode in modes):
            add("modes", _("Choose at least one delivery mode from the list."))
        cleaned["modes"] = modes
    for name, model in (("required_skills", Skill), ("required_tags", Tag)):
        if name in data:
            codes = set(data[name] or [])
            rows = list(model.objects.filter(code__in=codes))
            if len(rows) != len(codes):
                add(name, _("Unknown code in the list."))
            cleaned[name] = rows
    return cleaned


def _check_ranges(service: Service, errors: dict[str, list[Any]]) -> None:
    if service.insurance_covered_fen > service.price_fen:
        errors.setdefault("insurance_covered_fen", []).append(
            _("Insurance cannot cover more than the price.")
        )
    if (
        service.min_age is not None
        and service.max_age is not None
        and service.min_age > service.max_age
    ):
        errors.setdefault("max_age", []).append(
            _("The maximum age must not be below the minimum age.")
        )
    if not service.duration_minutes:
        errors.setdefault("duration_minutes", []).append(_("Enter the typical duration."))


def _save_service(service: Service, cleaned: dict[str, Any], errors: dict[str, list[Any]]) -> None:
    relations = {
        k: cleaned.pop(k) for k in ("modes", "required_skills", "required_tags") if k in cleaned
    }
    for name, value in cleaned.items():
        setattr(service, name, value)
    _check_ranges(service, errors)
    if errors:
        raise DomainError(
            "catalogue.invalid", _("Please correct the marked fields."), fields=errors
        )
    service.save()
    if "modes" in relations:
        ServiceMode.objects.filter(service=service).exclude(mode__in=relations["modes"]).delete()
        for mode in relations["modes"]:
            ServiceMode.objects.get_or_create(service=service, mode=mode)
    if "required_skills" in relations:
        service.required_skills.set(relations["required_skills"])
    if "required_tags" in relations:
        service.required_tags.set(relations["required_tags"])


def create_service(
    *,
    actor: User,
    code: str,
    name_zh: str,
    tier: str,
    category: str,
    modes: Iterable[str],
    duration_minutes: int,
    **fields: Any,
) -> Service:
    """Add a local service. ``fields`` may hold any other editable field (see
    ``SERVICE_EDITABLE``); skills and tags are lists of codes."""
    require_catalogue_editor(actor)
    errors: dict[str, list[Any]] = {}
    unknown = set(fields) - SERVICE_EDITABLE
    for name in sorted(unknown):
        errors.setdefault(name, []).append(_("This field cannot be changed here."))
    code = (code or "").strip()
    try:
        code_validator(code)
    except ValidationError as exc:
        errors.setdefault("code", []).extend(exc.messages)
    if Service.objects.filter(code=code).exists():
        errors.setdefault("code", []).append(_("A service with this code already exists."))
    data = {
        **{k: v for k, v in fields.items() if k not in unknown},
        "name_zh": name_zh, "tier": tier, "category": category, "modes": list(modes),
        "duration_minutes": duration_minutes,
    }  # fmt: skip
    cleaned = _clean_service(data, errors)
    with transaction.atomic():
        service = Service(code=code)
        _save_service(service, cleaned, errors)
        audit.record(
            actor=actor,
            action="careloop.catalogue.service_created",
            obj=service,
            object_id=service.code,
        )
    return service


def update_service(*, actor: User, service: Service, changes: dict[str, Any]) -> Service:
    """Change some fields of a service (its ``code`` never changes)."""
    require_catalogue_editor(actor)
    errors: dict[str, list[Any]] = {}
    for name in changes:
        if name not in SERVICE_EDITABLE:
            errors.setdefault(name, []).append(_("This field cannot be changed here."))
    cleaned = _clean_service({k: v for k, v in changes.items() if k in SERVICE_EDITABLE}, errors)
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        _save_service(service, cleaned, errors)
        audit.record(
            actor=actor,
            action="careloop.catalogue.service_updated",
            obj=service,
            object_id=service.code,
            detail={"fields": sorted(changes)},
        )
    return service
