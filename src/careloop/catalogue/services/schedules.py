"""Weekly schedules, leave and slot generation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue import workdays
from careloop.catalogue.models import (
    DeliveryMode,
    ExceptionReason,
    Organisation,
    Provider,
    PublicHoliday,
    ScheduleException,
    Service,
    Slot,
    SlotStatus,
    WeeklySchedule,
)
from careloop.catalogue.permissions import (
    EDITOR_ROLES,
    can_manage_organisation,
    require_organisation_manager,
)
from careloop.core import audit, clock
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import User

MAX_GENERATION_DAYS = 92
Errors = dict[str, list[Any]]


def _add(errors: Errors, name: str, message: Any) -> None:
    errors.setdefault(name, []).append(message)


def _raise_if(errors: Errors) -> None:
    if errors:
        raise DomainError(
            "catalogue.invalid", _("Please correct the marked fields."), fields=errors
        )


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    tz = _tz()
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )


def create_weekly_schedule(
    *,
    actor: User,
    provider: Provider,
    weekday: int,
    start_time: time,
    end_time: time,
    slot_minutes: int,
    mode: str,
    valid_from: date,
    valid_to: date | None = None,
    capacity: int = 1,
    organisation: Organisation | None = None,
    location: str = "",
    services: Iterable[Service] = (),
    runs_on_holidays: bool = False,
) -> WeeklySchedule:
    """Add a recurring weekly session. ``organisation`` is the site (default: the provider's
    own). Managers of the provider's organisation or of the site may add it. ``services``
    must be among the provider's services (empty: all of them). A home visit has one place
    per slot. Overlapping the provider's other schedules is refused."""
    organisation = organisation or provider.organisation
    if not can_manage_organisation(actor, organisation):
        require_organisation_manager(actor, provider.organisation)
    services = list(services)
    errors: Errors = {}
    if weekday not in range(7):
        _add(errors, "weekday", _("Choose a weekday."))
    if end_time <= start_time:
        _add(errors, "end_time", _("The end time must be after the start time."))
    span = (end_time.hour * 60 + end_time.minute) - (start_time.hour * 60 + start_time.minute)
    if not 5 <= slot_minutes <= max(span, 5):
        _add(errors, "slot_minutes", _("A slot lasts at least 5 minutes and fits the session."))
    if mode not in DeliveryMode.values:
        _add(errors, "mode", _("Choose a delivery mode from the list."))
    if capacity < 1 or (mode == DeliveryMode.HOME and capacity != 1):
        _add(errors, "capacity", _("A home visit has one place; other slots at least one."))
    if valid_to is not None and valid_to < valid_from:
        _add(errors, "valid_to", _("The end date must not be before the start date."))
    offered = set(provider.services.values_list("pk", flat=True))
    if any(service.pk not in offered for service in services):
        _add(errors, "services", _("The provider does not offer every chosen service."))
    overlapping = WeeklySchedule.objects.filter(
        provider=provider,
        weekday=weekday,
        active=True,
        start_time__lt=end_time,
        end_time__gt=start_time,
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if overlapping.exists():
        _add(errors, "start_time", _("This overlaps another session of the same provider."))
    _raise_if(errors)
    with transaction.atomic():
        schedule = WeeklySchedule.objects.create(
            provider=provider, organisation=organisation, weekday=weekday,
            start_time=start_time, end_time=end_time, slot_minutes=slot_minutes,
            capacity=capacity, mode=mode, location=location.strip()[:120],
            valid_from=valid_from, valid_to=valid_to, runs_on_holidays=runs_on_holidays,
        )  # fmt: skip
        schedule.services.set(services)
        audit.record(actor=actor, action="careloop.catalogue.schedule_created", obj=schedule)
    return schedule


def end_weekly_schedule(*, actor: User, schedule: WeeklySchedule, last_day: date) -> int:
    """Stop a schedule after ``last_day``; its later unbooked slots close. Returns how many
    later slots still hold bookings (to be rebooked by staff)."""
    require_organisation_manager(actor, schedule.provider.organisation)
    if last_day < schedule.valid_from:
        _raise_if({"last_day": [_("The end date must not be before the start date.")]})
    after, _unused = _day_bounds(last_day + timedelta(days=1), last_day + timedelta(days=1))
    with transaction.atomic():
        WeeklySchedule.objects.filter(pk=schedule.pk).update(valid_to=last_day)
        later = Slot.objects.filter(schedule=schedule, start__gte=after, status=SlotStatus.OPEN)
        later.filter(booked_count=0).update(status=SlotStatus.CLOSED)
        still_booked = later.filter(booked_count__gt=0).count()
        audit.record(
            actor=actor,
            action="careloop.catalogue.schedule_ended",
            obj=schedule,
            detail={"last_day": last_day.isoformat(), "booked_slots_left": still_booked},
        )
    schedule.refresh_from_db()
    return still_booked


def add_schedule_exception(
    *,
    actor: User,
    provider: Provider,
    start_date: date,
    end_date: date,
    reason: str = ExceptionReason.LEAVE,
    note: str = "",
) -> tuple[ScheduleException, list[Slot]]:
    """Record leave (or training …) from ``start_date`` to ``end_date``. Open slots of those
    days without bookings close; slots that already hold bookings are returned for staff to
    rebook (they stay open so nothing is lost silently)."""
    require_organisation_manager(actor, provider.organisation)
    errors: Errors = {}
    if end_date < start_date:
        _add(errors, "end_date", _("The end date must not be before the start date."))
    if reason not in ExceptionReason.values:
        _add(errors, "reason", _("Choose a value from the list."))
    _raise_if(errors)
    begin, end = _day_bounds(start_date, end_date)
    with transaction.atomic():
        exception = ScheduleException.objects.create(
            provider=provider, start_date=start_date, end_date=end_date,
            reason=reason, note=note.strip()[:200],
        )  # fmt: skip
        days = Slot.objects.filter(
            provider=provider, start__gte=begin, start__lt=end, status=SlotStatus.OPEN
        )
        closed = days.filter(booked_count=0).update(status=SlotStatus.CLOSED)
        booked = list(days.filter(booked_count__gt=0).order_by("start"))
        audit.record(
            actor=actor,
            action="careloop.catalogue.leave_added",
            obj=provider,
            detail={
                "from": start_date.isoformat(), "to": end_date.isoformat(), "reason": reason,
                "slots_closed": closed, "booked_slots": [s.public_id for s in booked],
            },
        )  # fmt: skip
    return exception, booked


@dataclass(frozen=True)
class GenerationResult:
    created: int
    existing: int


def generate_slots(
    *, actor: User | None, provider: Provider | None = None, start: date, days: int
) -> GenerationResult:
    """Create the slots of ``days`` days from ``start`` from the weekly schedules of
    ``provider`` (or of every provider the actor manages; every provider for the system,
    ``actor=None``). Idempotent: a slot (provider, start, mode) is never created twice.
    Skips public holidays (unless the schedule runs on holidays), adjusted working days run
    the schedule of the weekday they follow, leave days are skipped, past times are skipped."""
    if not 1 <= days <= MAX_GENERATION_DAYS:
        _raise_if({"days": [_("Generate between 1 and 92 days at a time.")]})
    candidates = WeeklySchedule.objects.filter(active=True, provider__active=True)
    if provider is not None:
        if actor is not None:
            require_organisation_manager(actor, provider.organisation)
        candidates = candidates.filter(provider=provider)
    elif actor is not None and not actor.is_superuser:
        if actor.community_id is None or not actor.has_role(*EDITOR_ROLES):
            raise ForbiddenError("catalogue.forbidden", _("You may not generate slots."))
        mine = actor.community_id
        candidates = candidates.filter(
            Q(organisation__community_id=mine) | Q(provider__organisation__community_id=mine)
        )
    last = start + timedelta(days=days - 1)
    schedules = list(
        candidates.filter(valid_from__lte=last)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .prefetch_related("services", "provider__services")
    )
    holidays = {h.date: h for h in PublicHoliday.objects.filter(date__range=(start, last))}
    leave: dict[int, list[tuple[date, date]]] = {}
    for row in ScheduleException.objects.filter(
        provider_id__in={s.provider_id for s in schedules},
        start_date__lte=last,
        end_date__gte=start,
    ):
        leave.setdefault(row.provider_id, []).append((row.start_date, row.end_date))

    tz, now = _tz(), clock.now()
    wanted: dict[tuple[int, datetime, str], tuple[WeeklySchedule, datetime]] = {}
    for offset in range(days):
        day = start + timedelta(days=offset)
        holiday = holidays.get(day)
        for schedule in schedules:
            if day < schedule.valid_from or (schedule.valid_to and day > schedule.valid_to):
                continue
            if any(a <= day <= b for a, b in leave.get(schedule.provider_id, ())):
                continue
            if not workdays.schedule_runs(
                day=day,
                schedule_weekday=schedule.weekday,
                runs_on_holidays=schedule.runs_on_holidays,
                holiday_kind=holiday.kind if holiday else None,
                follows_weekday=holiday.follows_weekday if holiday else None,
            ):
                continue
            for begin, end in workdays.slot_times(
                schedule.start_time, schedule.end_time, schedule.slot_minutes
            ):
                begin_at = datetime.combine(day, begin, tzinfo=tz)
                if begin_at <= now:
                    continue
                key = (schedule.provider_id, begin_at, schedule.mode)
                wanted.setdefault(key, (schedule, datetime.combine(day, end, tzinfo=tz)))

    low, high = _day_bounds(start, last)
    existing = set(
        Slot.objects.filter(
            provider_id__in={s.provider_id for s in schedules}, start__gte=low, start__lt=high
        ).values_list("provider_id", "start", "mode")
    )
    missing = {key: value for key, value in wanted.items() if key not in existing}
    with transaction.atomic():
        Slot.objects.bulk_create(
            [
                Slot(
                    provider_id=key[0],
                    schedule=schedule,
                    organisation_id=schedule.organisation_id,
                    start=key[1],
                    end=end_at,
                    mode=key[2],
                    location=schedule.location,
                    capacity=schedule.capacity,
                )
                for key, (schedule, end_at) in missing.items()
            ],
            ignore_conflicts=True,
        )
        _attach_services(missing, low, high)
        if missing or actor is not None:
            audit.record(
                actor=actor,
                action="careloop.catalogue.slots_generated",
                object_type="catalogue.slot",
                object_id=provider.public_id if provider else "",
                detail={"from": start.isoformat(), "days": days, "created": len(missing)},
            )
    return GenerationResult(created=len(missing), existing=len(wanted) - len(missing))


def _attach_services(
    created: dict[tuple[int, datetime, str], tuple[WeeklySchedule, datetime]],
    low: datetime,
    high: datetime,
) -> None:
    if not created:
        return
    slots = Slot.objects.filter(
        provider_id__in={key[0] for key in created}, start__gte=low, start__lt=high
    ).values_list("pk", "provider_id", "start", "mode")
    pairs: list[tuple[int, int]] = []  # (slot, service)
    for pk, provider_id, begin, mode in slots:
        entry = created.get((provider_id, begin, mode))
        if entry is None:
            continue
        schedule = entry[0]
        offered = list(schedule.services.all()) or list(schedule.provider.services.all())
        pairs.extend((pk, s.pk) for s in offered)
    through = Slot.services.through
    through.objects.bulk_create(
        [through(slot_id=slot_id, service_id=service_id) for slot_id, service_id in pairs],
        ignore_conflicts=True,
    )
