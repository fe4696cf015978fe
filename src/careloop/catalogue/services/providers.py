"""Writes to the provider network: organisations, providers, ratings (agreements and
visiting specialists: ``referrals``)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import (
    Language,
    Organisation,
    OrganisationKind,
    Provider,
    ProviderKind,
    ProviderSex,
    Service,
    Skill,
)
from careloop.catalogue.models.catalogue import code_validator
from careloop.catalogue.permissions import EDITOR_ROLES, require_organisation_manager
from careloop.core import audit
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import Community, User

PROVIDER_EDITABLE = frozenset(
    {
        "name", "title", "kind", "sex", "active", "radius_km", "base_latitude",
        "base_longitude", "skills", "services", "languages", "user",
    }
)  # fmt: skip

Errors = dict[str, list[Any]]


def _add(errors: Errors, name: str, message: Any) -> None:
    errors.setdefault(name, []).append(message)


def _raise_if(errors: Errors) -> None:
    if errors:
        raise DomainError(
            "catalogue.invalid", _("Please correct the marked fields."), fields=errors
        )


def _by_codes(model: Any, codes: Iterable[str], name: str, errors: Errors) -> list[Any]:
    wanted = set(codes)
    rows = list(model.objects.filter(code__in=wanted))
    if len(rows) != len(wanted):
        _add(errors, name, _("Unknown code in the list."))
    return rows


def _coordinate(value: Any, limit: int, name: str, errors: Errors) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        _add(errors, name, _("Enter a number."))
        return None
    if not -limit <= number <= limit:
        _add(errors, name, _("Enter a number between -%(limit)s and %(limit)s.") % {"limit": limit})
    return number


def create_organisation(
    *,
    actor: User,
    code: str,
    name_zh: str,
    kind: str,
    community: Community | None = None,
    name_en: str = "",
    address: str = "",
    phone: str = "",
    latitude: Any = None,
    longitude: Any = None,
) -> Organisation:
    """Add an organisation managed by ``community``'s staff (a superuser may add one
    without a community, e.g. a city hospital)."""
    if not actor.is_superuser and not (
        actor.has_role(*EDITOR_ROLES)
        and community is not None
        and community.pk == actor.community_id
    ):
        raise ForbiddenError("catalogue.forbidden", _("You may not add organisations here."))
    errors: Errors = {}
    code = (code or "").strip()
    try:
        code_validator(code)
    except ValidationError as exc:
        errors.setdefault("code", []).extend(exc.messages)
    if kind not in OrganisationKind.values:
        _add(errors, "kind", _("Choose a value from the list."))
    if not (name_zh or "").strip():
        _add(errors, "name_zh", _("Enter the Chinese name."))
    lat = _coordinate(latitude, 90, "latitude", errors)
    lon = _coordinate(longitude, 180, "longitude", errors)
    _raise_if(errors)
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                code=code, name_zh=name_zh.strip(), name_en=name_en.strip(), kind=kind,
                community=community, address=address.strip(), phone=phone.strip(),
                latitude=lat, longitude=lon,
            )  # fmt: skip
            audit.record(
                actor=actor, action="careloop.catalogue.organisation_created", obj=organisation
            )
    except IntegrityError:
        raise ConflictError(
            "catalogue.duplicate_code",
            _("An organisation with this code already exists."),
            fields={"code": [_("An organisation with this code already exists.")]},
        ) from None
    return organisation


ORGANISATION_EDITABLE = frozenset(
    {"name_zh", "name_en", "kind", "address", "phone", "latitude", "longitude", "active"}
)
ORGANISATION_LIMITS = {"name_zh": 100, "name_en": 120, "address": 200, "phone": 30}


def _clean_organisation(data: dict[str, Any], errors: Errors) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, limit in ORGANISATION_LIMITS.items():
        if name in data:
            cleaned[name] = str(data[name] or "").strip()
            if len(cleaned[name]) > limit:
                _add(errors, name, _("Enter at most %(limit)s characters.") % {"limit": limit})
    if "name_zh" in cleaned and not cleaned["name_zh"]:
        _add(errors, "name_zh", _("Enter the Chinese name."))
    if "kind" in data:
        if data["kind"] not in OrganisationKind.values:
            _add(errors, "kind", _("Choose a value from the list."))
        cleaned["kind"] = data["kind"]
    for name, limit in (("latitude", 90), ("longitude", 180)):
        if name in data:
            cleaned[name] = _coordinate(data[name], limit, name, errors)
    if "active" in data:
        cleaned["active"] = bool(data["active"])
    return cleaned


def update_organisation(
    *, actor: User, organisation: Organisation, changes: dict[str, Any]
) -> Organisation:
    """Change some fields of an organisation (its ``code`` and community never change)."""
    require_organisation_manager(actor, organisation)
    errors: Errors = {}
    for name in changes:
        if name not in ORGANISATION_EDITABLE:
            _add(errors, name, _("This field cannot be changed here."))
    cleaned = _clean_organisation(
        {k: v for k, v in changes.items() if k in ORGANISATION_EDITABLE}, errors
    )
    _raise_if(errors)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        for name, value in cleaned.items():
            setattr(organisation, name, value)
        organisation.save()
        audit.record(
            actor=actor,
            action="careloop.catalogue.organisation_updated",
            obj=organisation,
            detail={"fields": sorted(changes)},
        )
    return organisation


def _clean_provider(data: dict[str, Any], errors: Errors) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in data:
        cleaned["name"] = str(data["name"] or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 50:
            _add(errors, "name", _("Enter a name of at most 50 characters."))
    if "title" in data:
        cleaned["title"] = str(data["title"] or "").strip()[:60]
    for name, choices in (("kind", ProviderKind), ("sex", ProviderSex)):
        if name in data:
            if data[name] not in choices.values:
                _add(errors, name, _("Choose a value from the list."))
            cleaned[name] = data[name]
    if "active" in data:
        cleaned["active"] = bool(data["active"])
    if "radius_km" in data:
        try:
            radius = Decimal(str(data["radius_km"])).quantize(Decimal("0.1"))
        except ArithmeticError:
            radius = Decimal(-1)
        if not Decimal(0) <= radius <= Decimal(100):
            _add(errors, "radius_km", _("Enter a radius between 0 and 100 km."))
        cleaned["radius_km"] = radius
    if "base_latitude" in data:
        cleaned["base_latitude"] = _coordinate(data["base_latitude"], 90, "base_latitude", errors)
    if "base_longitude" in data:
        cleaned["base_longitude"] = _coordinate(
            data["base_longitude"], 180, "base_longitude", errors
        )
    for name, model in (("skills", Skill), ("services", Service), ("languages", Language)):
        if name in data:
            cleaned[name] = _by_codes(model, data[name] or [], name, errors)
    if "user" in data:
        cleaned["user"] = data["user"]
    return cleaned


def _save_provider(provider: Provider, cleaned: dict[str, Any]) -> None:
    relations = {k: cleaned.pop(k) for k in ("skills", "services", "languages") if k in cleaned}
    for name, value in cleaned.items():
        setattr(provider, name, value)
    provider.save()
    for name, rows in relations.items():
        getattr(provider, name).set(rows)


def create_provider(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    kind: str,
    sex: str,
    **fields: Any,
) -> Provider:
    """Add a person to ``organisation``. ``fields``: title, user, radius_km, base_latitude,
    base_longitude, active, and ``skills`` / ``services`` / ``languages`` as lists of codes."""
    require_organisation_manager(actor, organisation)
    errors: Errors = {}
    for unknown in sorted(set(fields) - PROVIDER_EDITABLE):
        _add(errors, unknown, _("This field cannot be changed here."))
    cleaned = _clean_provider({**fields, "name": name, "kind": kind, "sex": sex}, errors)
    _raise_if(errors)
    try:
        with transaction.atomic():
            provider = Provider(organisation=organisation)
            _save_provider(provider, cleaned)
            audit.record(actor=actor, action="careloop.catalogue.provider_created", obj=provider)
    except IntegrityError:
        raise ConflictError(
            "catalogue.provider_user_taken", _("This login already belongs to another provider.")
        ) from None
    return provider


def update_provider(*, actor: User, provider: Provider, changes: dict[str, Any]) -> Provider:
    require_organisation_manager(actor, provider.organisation)
    errors: Errors = {}
    for name in changes:
        if name not in PROVIDER_EDITABLE:
            _add(errors, name, _("This field cannot be changed here."))
    cleaned = _clean_provider({k: v for k, v in changes.items() if k in PROVIDER_EDITABLE}, errors)
    _raise_if(errors)
    try:
        with transaction.atomic():
            _save_provider(provider, cleaned)
            audit.record(
                actor=actor,
                action="careloop.catalogue.provider_updated",
                obj=provider,
                detail={"fields": sorted(changes)},
            )
    except IntegrityError:
        raise ConflictError(
            "catalogue.provider_user_taken", _("This login already belongs to another provider.")
        ) from None
    return provider


def record_provider_rating(*, actor: User | None, provider: Provider, stars: int) -> Provider:
    """Fold one rating (1–5 stars) into the provider's average (called by evaluation)."""
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError("catalogue.invalid_rating", _("A rating is 1 to 5 stars."))
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        total = locked.rating_avg * locked.rating_count + stars
        locked.rating_count += 1
        locked.rating_avg = (total / locked.rating_count).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        locked.save(update_fields=["rating_avg", "rating_count"])
        audit.record(
            actor=actor,
            action="careloop.catalogue.provider_rated",
            obj=locked,
            detail={"stars": stars},
        )
    return locked
