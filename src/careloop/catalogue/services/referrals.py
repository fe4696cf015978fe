"""Writes to the medical alliance (医联体): referral agreements between organisations and the
sessions visiting specialists hold at a host (专家下沉坐诊).

Both are managed by the editors of the managing side: an agreement by those of its
``organisation`` (the centre that signs it), a specialist session by those of its ``host``.
An agreement is never deleted: it ends (``valid_to``). A session is cancelled: its weekly
schedule stops and its later free slots close; booked ones stay for staff to rebook.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import (
    DeliveryMode,
    Organisation,
    Provider,
    ReferralAgreement,
    ReferralKind,
    Slot,
    SlotStatus,
    SpecialistSession,
    WeeklySchedule,
)
from careloop.catalogue.permissions import require_organisation_manager
from careloop.catalogue.services.schedules import create_weekly_schedule
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError
from careloop.core.models import User

Errors = dict[str, list[Any]]
NOTE_LIMIT = 200
SPECIALTY_LIMIT = 60
LOCATION_LIMIT = 120


def _add(errors: Errors, name: str, message: Any) -> None:
    errors.setdefault(name, []).append(message)


def _raise_if(errors: Errors) -> None:
    if errors:
        raise DomainError(
            "catalogue.invalid", _("Please correct the marked fields."), fields=errors
        )


def _text(data: dict[str, Any], name: str, limit: int, errors: Errors) -> str:
    value = str(data.get(name) or "").strip()
    if len(value) > limit:
        _add(errors, name, _("Enter at most %(limit)s characters.") % {"limit": limit})
    return value


# ---- referral agreements ------------------------------------------------------------------

AGREEMENT_EDITABLE = frozenset({"partner", "kind", "valid_from", "valid_to", "note"})


def _check_agreement(
    organisation: Organisation,
    data: dict[str, Any],
    errors: Errors,
) -> None:
    """Field rules of an agreement; ``data`` holds every field (the merged row on edit)."""
    partner = data["partner"]
    if not isinstance(partner, Organisation):
        _add(errors, "partner", _("Choose an organisation from the list."))
    elif partner.pk == organisation.pk:
        _add(errors, "partner", _("An organisation cannot make an agreement with itself."))
    if data["kind"] not in ReferralKind.values:
        _add(errors, "kind", _("Choose a value from the list."))
    valid_from, valid_to = data["valid_from"], data["valid_to"]
    if not isinstance(valid_from, date):
        _add(errors, "valid_from", _("Enter a valid date."))
    if valid_to is not None and not isinstance(valid_to, date):
        _add(errors, "valid_to", _("Enter a valid date."))
    elif isinstance(valid_from, date) and valid_to is not None and valid_to < valid_from:
        _add(errors, "valid_to", _("The end date must not be before the start date."))
    if len(str(data["note"] or "")) > NOTE_LIMIT:
        _add(errors, "note", _("Enter at most %(limit)s characters.") % {"limit": NOTE_LIMIT})


def _overlapping_agreement(
    organisation: Organisation, data: dict[str, Any], exclude: int | None
) -> bool:
    """Another agreement of the same kind between the same two organisations (either way
    round) whose validity overlaps."""
    partner = data["partner"]
    same_pair = Q(organisation=organisation, partner=partner) | Q(
        organisation=partner, partner=organisation
    )
    rows = ReferralAgreement.objects.filter(same_pair, kind=data["kind"]).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=data["valid_from"])
    )
    if data["valid_to"] is not None:
        rows = rows.filter(valid_from__lte=data["valid_to"])
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.exists()


def _overlap_error() -> ConflictError:
    message = _("An agreement of this kind with this partner already covers these dates.")
    return ConflictError("catalogue.agreement_overlaps", message, fields={"valid_from": [message]})


def create_referral_agreement(
    *,
    actor: User,
    organisation: Organisation,
    partner: Organisation,
    kind: str,
    valid_from: date,
    valid_to: date | None = None,
    note: str = "",
) -> ReferralAgreement:
    """Sign an agreement (two-way referral, specialist alliance, remote consultation, service
    contract) between ``organisation`` (managed by the actor) and ``partner``. An agreement
    of the same kind between the same two organisations must not overlap in time (409)."""
    require_organisation_manager(actor, organisation)
    errors: Errors = {}
    data = {"partner": partner, "kind": kind, "valid_from": valid_from, "valid_to": valid_to}
    data["note"] = str(note or "").strip()
    _check_agreement(organisation, data, errors)
    _raise_if(errors)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        if _overlapping_agreement(organisation, data, None):
            raise _overlap_error()
        agreement = ReferralAgreement.objects.create(organisation=organisation, **data)
        audit.record(
            actor=actor,
            action="careloop.catalogue.agreement_created",
            obj=agreement,
            detail={"organisation": organisation.code, "partner": partner.code, "kind": kind},
        )
    return agreement


def update_referral_agreement(
    *, actor: User, agreement: ReferralAgreement, changes: dict[str, Any]
) -> ReferralAgreement:
    """Change the fields in ``changes`` (partner, kind, valid_from, valid_to, note); the
    signing organisation never changes."""
    organisation = agreement.organisation
    require_organisation_manager(actor, organisation)
    errors: Errors = {}
    for name in changes:
        if name not in AGREEMENT_EDITABLE:
            _add(errors, name, _("This field cannot be changed here."))
    data = {name: getattr(agreement, name) for name in AGREEMENT_EDITABLE}
    data.update({k: v for k, v in changes.items() if k in AGREEMENT_EDITABLE})
    data["note"] = str(data["note"] or "").strip()
    _check_agreement(organisation, data, errors)
    _raise_if(errors)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        locked = ReferralAgreement.objects.select_for_update().get(pk=agreement.pk)
        if _overlapping_agreement(organisation, data, locked.pk):
            raise _overlap_error()
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(
            actor=actor,
            action="careloop.catalogue.agreement_updated",
            obj=locked,
            detail={"fields": sorted(changes)},
        )
    return locked


def end_referral_agreement(
    *, actor: User, agreement: ReferralAgreement, last_day: date | None = None
) -> ReferralAgreement:
    """End the agreement after ``last_day`` (default today). An agreement that already ends
    on that day or earlier is a conflict (409)."""
    require_organisation_manager(actor, agreement.organisation)
    last_day = last_day or clock.today()
    if last_day < agreement.valid_from:
        _raise_if({"last_day": [_("The end date must not be before the start date.")]})
    with transaction.atomic():
        locked = ReferralAgreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.valid_to is not None and locked.valid_to <= last_day:
            raise ConflictError(
                "catalogue.agreement_ended",
                _("This agreement already ends on that day or earlier."),
            )
        locked.valid_to = last_day
        locked.save(update_fields=["valid_to"])
        audit.record(
            actor=actor,
            action="careloop.catalogue.agreement_ended",
            obj=locked,
            detail={"last_day": last_day.isoformat()},
        )
    return locked


# ---- specialist sessions ------------------------------------------------------------------

SESSION_FIELDS = frozenset({"specialty_zh", "specialty_en"})
SCHEDULE_TIMING = frozenset({"weekday", "start_time", "end_time", "slot_minutes", "capacity"})
SCHEDULE_EDITABLE = SCHEDULE_TIMING | {"location", "valid_from", "valid_to", "runs_on_holidays"}
SESSION_EDITABLE = SESSION_FIELDS | SCHEDULE_EDITABLE


def _check_specialty(data: dict[str, Any], errors: Errors) -> dict[str, str]:
    cleaned = {}
    for name in SESSION_FIELDS & set(data):
        cleaned[name] = _text(data, name, SPECIALTY_LIMIT, errors)
    if "specialty_zh" in cleaned and not cleaned["specialty_zh"]:
        _add(errors, "specialty_zh", _("Enter the specialty."))
    return cleaned


def create_specialist_session(
    *,
    actor: User,
    host: Organisation,
    provider: Provider,
    specialty_zh: str,
    specialty_en: str = "",
    **schedule: Any,
) -> SpecialistSession:
    """A visiting specialist's recurring session at ``host`` ("cardiologist every Wednesday
    afternoon"): a weekly schedule at the host plus the session record. ``schedule`` takes
    the arguments of ``create_weekly_schedule`` (mode defaults to clinic), which refuses a
    session overlapping another of the same specialist. Managed by the host's staff (the
    visitor may belong to a partner hospital)."""
    require_organisation_manager(actor, host)
    schedule.setdefault("mode", DeliveryMode.CLINIC)
    errors: Errors = {}
    names = {"specialty_zh": specialty_zh, "specialty_en": specialty_en}
    specialty = _check_specialty(names, errors)
    if not provider.active:
        _add(errors, "provider", _("This provider is not active."))
    _raise_if(errors)
    with transaction.atomic():
        weekly = create_weekly_schedule(
            actor=actor, provider=provider, organisation=host, **schedule
        )
        session = SpecialistSession.objects.create(
            host=host, provider=provider, schedule=weekly, **specialty
        )
        audit.record(
            actor=actor,
            action="careloop.catalogue.specialist_session_created",
            obj=session,
            detail={"host": host.code, "provider": provider.public_id},
        )
    return session


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(slot: Slot) -> tuple[date, time, time]:
    start = slot.start.astimezone(_tz())
    return start.date(), start.time(), slot.end.astimezone(_tz()).time()


def _check_schedule(data: dict[str, Any], errors: Errors) -> None:
    """The rules of ``create_weekly_schedule`` for the merged row of an edited session."""
    if data["weekday"] not in range(7):
        _add(errors, "weekday", _("Choose a weekday."))
    start, end = data["start_time"], data["end_time"]
    if not isinstance(start, time) or not isinstance(end, time) or end <= start:
        _add(errors, "end_time", _("The end time must be after the start time."))
        span = 0
    else:
        span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    minutes = data["slot_minutes"]
    if not isinstance(minutes, int) or not 5 <= minutes <= max(span, 5):
        _add(errors, "slot_minutes", _("A slot lasts at least 5 minutes and fits the session."))
    capacity = data["capacity"]
    if not isinstance(capacity, int) or capacity < 1 or capacity > 500:
        _add(errors, "capacity", _("A home visit has one place; other slots at least one."))
    if len(str(data["location"] or "")) > LOCATION_LIMIT:
        message = _("Enter at most %(limit)s characters.") % {"limit": LOCATION_LIMIT}
        _add(errors, "location", message)
    valid_from, valid_to = data["valid_from"], data["valid_to"]
    if not isinstance(valid_from, date):
        _add(errors, "valid_from", _("Enter a valid date."))
    elif valid_to is not None and valid_to < valid_from:
        _add(errors, "valid_to", _("The end date must not be before the start date."))


def _overlaps_other_session(schedule: WeeklySchedule, data: dict[str, Any]) -> bool:
    rows = WeeklySchedule.objects.filter(
        provider_id=schedule.provider_id,
        weekday=data["weekday"],
        active=True,
        start_time__lt=data["end_time"],
        end_time__gt=data["start_time"],
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=data["valid_from"]))
    if data["valid_to"] is not None:
        rows = rows.filter(valid_from__lte=data["valid_to"])
    return rows.exclude(pk=schedule.pk).exists()


def update_specialist_session(
    *, actor: User, session: SpecialistSession, changes: dict[str, Any]
) -> SpecialistSession:
    """Change the specialty or the session's timing (weekday, times, slot length, places,
    location, validity). Later slots without bookings are dropped so the next generation
    follows the new timing; a change that would strand a booked later slot (other times, or
    outside the new dates) is a conflict (409): end the session and add a new one instead."""
    require_organisation_manager(actor, session.host)
    if not session.schedule.active:
        raise ConflictError(
            "catalogue.session_cancelled", _("This session is cancelled and cannot be changed.")
        )
    errors: Errors = {}
    for name in changes:
        if name not in SESSION_EDITABLE:
            _add(errors, name, _("This field cannot be changed here."))
    specialty = _check_specialty(changes, errors)
    schedule = session.schedule
    data = {name: getattr(schedule, name) for name in SCHEDULE_EDITABLE}
    data.update({k: v for k, v in changes.items() if k in SCHEDULE_EDITABLE})
    data["location"] = str(data["location"] or "").strip()
    data["runs_on_holidays"] = bool(data["runs_on_holidays"])
    _check_schedule(data, errors)
    if schedule.mode == DeliveryMode.HOME and data["capacity"] != 1:
        _add(errors, "capacity", _("A home visit has one place; other slots at least one."))
    if not errors and _overlaps_other_session(schedule, data):
        _add(errors, "start_time", _("This overlaps another session of the same provider."))
    _raise_if(errors)
    timing_changed = any(data[name] != getattr(schedule, name) for name in SCHEDULE_TIMING)
    with transaction.atomic():
        locked = WeeklySchedule.objects.select_for_update().get(pk=schedule.pk)
        later = Slot.objects.filter(schedule=locked, start__gte=clock.now())
        for slot in later.filter(booked_count__gt=0):
            day, begin, end = _local(slot)
            outside = day < data["valid_from"] or (
                data["valid_to"] is not None and day > data["valid_to"]
            )
            if outside or (
                timing_changed
                and (
                    day.weekday() != data["weekday"]
                    or not data["start_time"] <= begin < end <= data["end_time"]
                    or slot.capacity != data["capacity"]
                    or (data["slot_minutes"] != locked.slot_minutes)
                )
            ):
                raise ConflictError(
                    "catalogue.session_booked",
                    _("Later sessions are already booked; end this session and add a new one."),
                )
        dropped = 0
        if any(data[name] != getattr(locked, name) for name in SCHEDULE_EDITABLE):
            deleted = later.filter(booked_count=0, bookings__isnull=True).delete()[1]
            dropped = deleted.get(Slot._meta.label, 0)
            later.filter(booked_count=0, status=SlotStatus.OPEN).update(status=SlotStatus.CLOSED)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save()
        for name, value in specialty.items():
            setattr(session, name, value)
        session.schedule = locked
        session.save()
        audit.record(
            actor=actor,
            action="careloop.catalogue.specialist_session_updated",
            obj=session,
            detail={"fields": sorted(changes), "slots_dropped": dropped},
        )
    return session


def cancel_specialist_session(*, actor: User, session: SpecialistSession) -> int:
    """Stop the session: its weekly schedule turns inactive and its later free slots close.
    Returns how many later slots still hold bookings (for staff to rebook). Cancelling twice
    is a conflict (409)."""
    require_organisation_manager(actor, session.host)
    with transaction.atomic():
        schedule = WeeklySchedule.objects.select_for_update().get(pk=session.schedule_id)
        if not schedule.active:
            raise ConflictError(
                "catalogue.session_cancelled", _("This session is already cancelled.")
            )
        schedule.active = False
        schedule.save(update_fields=["active"])
        later = Slot.objects.filter(schedule=schedule, start__gte=clock.now())
        later.filter(booked_count=0, status=SlotStatus.OPEN).update(status=SlotStatus.CLOSED)
        still_booked = later.filter(booked_count__gt=0, status=SlotStatus.OPEN).count()
        audit.record(
            actor=actor,
            action="careloop.catalogue.specialist_session_cancelled",
            obj=session,
            detail={"booked_slots_left": still_booked},
        )
    session.schedule = schedule
    return still_booked
