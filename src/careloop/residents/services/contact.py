"""How a resident wants to be reached (002 §4.2 "human touch"): the preferred channel, whether
they have a smartphone, a note for staff ("耳背，请打电话") and the best time to call. The
notifications outbox chooses its channels from these fields."""

from __future__ import annotations

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careloop.core import audit
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.residents.models import ContactChannel, Resident, TimeOfDay
from careloop.residents.selectors import residents_visible_to
from careloop.residents.services.people import EDITOR_ROLES, FieldErrors

CONTACT_FIELDS = ("contact_channel", "has_smartphone", "contact_note", "preferred_time_of_day")
CONTACT_NOTE_LENGTH = 120
# Channels that only work on a smartphone.
SMARTPHONE_CHANNELS = frozenset({ContactChannel.APP, ContactChannel.WECHAT})


def _require_contact_editor(actor: User, resident: Resident) -> None:
    """Staff who may edit residents and see this one; the resident or a guardian for
    themselves. Outside the actor's scope is "not found"."""
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise NotFoundError("residents.not_found", _("No such resident."))
    if actor.is_superuser or actor.has_role(*EDITOR_ROLES) or actor.has_role(Role.RESIDENT):
        return
    raise ForbiddenError("residents.forbidden", _("You may not change this record."))


def _channel_problem(resident: Resident, channel: str, *, has_smartphone: bool) -> Promise | None:
    """Why ``resident`` cannot be reached on ``channel``, or None."""
    if channel in SMARTPHONE_CHANNELS and not has_smartphone:
        return _("The app and WeChat need a smartphone.")
    if channel == ContactChannel.APP and resident.user_id is None:
        return _("There is no portal account for this resident: choose another way.")
    if channel == ContactChannel.SMS and not resident.phone:
        return _("Text messages need a mobile number on the record.")
    return None


def update_contact_preferences(
    *,
    actor: User,
    resident: Resident,
    contact_channel: str | None = None,
    has_smartphone: bool | None = None,
    contact_note: str | None = None,
    preferred_time_of_day: str | None = None,
) -> Resident:
    """Change some of the resident's contact preferences (``None`` leaves a field as it is).
    Refuses, with field errors, a channel the resident cannot receive: the app needs a portal
    account and a smartphone, WeChat a smartphone, text messages a mobile number."""
    _require_contact_editor(actor, resident)
    wanted = {name: getattr(resident, name) for name in CONTACT_FIELDS}
    if contact_channel is not None:
        wanted["contact_channel"] = str(contact_channel)
    if has_smartphone is not None:
        wanted["has_smartphone"] = bool(has_smartphone)
    if contact_note is not None:
        wanted["contact_note"] = " ".join(str(contact_note).split())
    if preferred_time_of_day is not None:
        wanted["preferred_time_of_day"] = str(preferred_time_of_day)
    errors = FieldErrors({})
    channel = wanted["contact_channel"]
    # A channel is checked when it (or the smartphone) changes, so that a note can be added to
    # a record whose channel was set before its mobile number was removed.
    channel_moved = (
        channel != resident.contact_channel or wanted["has_smartphone"] != resident.has_smartphone
    )
    if channel not in ContactChannel.values:
        errors.add("contact_channel", _("Choose a way to contact the resident from the list."))
    elif channel_moved:
        problem = _channel_problem(resident, channel, has_smartphone=wanted["has_smartphone"])
        if problem:
            errors.add("contact_channel", problem)
    if len(wanted["contact_note"]) > CONTACT_NOTE_LENGTH:
        errors.add("contact_note", _("A contact note has at most 120 characters."))
    if wanted["preferred_time_of_day"] not in TimeOfDay.values:
        errors.add("preferred_time_of_day", _("Choose a time of day from the list."))
    if errors.errors:
        raise DomainError(
            "residents.invalid", _("Please correct the marked fields."), fields=errors.errors
        )
    changed = [name for name in CONTACT_FIELDS if getattr(resident, name) != wanted[name]]
    if not changed:
        return resident
    with transaction.atomic():
        for name in changed:
            setattr(resident, name, wanted[name])
        resident.save(update_fields=[*changed, "updated_at"])
        audit.record(
            actor=actor,
            action="careloop.resident.contact_updated",
            obj=resident,
            detail={"fields": changed},
        )
    return resident
