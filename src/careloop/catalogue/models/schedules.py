"""Recurring weekly schedules, leave, the public-holiday calendar, slots and bookings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models.catalogue import DeliveryMode, Service
from careloop.catalogue.models.providers import Organisation, Provider
from careloop.core.models import new_public_id
from careloop.residents.models import Resident


class Weekday(models.IntegerChoices):
    """ISO order from 0 (``date.weekday()``)."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklySchedule(models.Model):
    """A provider works ``weekday`` from ``start_time`` to ``end_time``, cut into slots of
    ``slot_minutes`` with ``capacity`` places each (1 for a home visit, N for a class)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="schedules")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="schedules",
        verbose_name=_("site"),
        help_text=_("Where the sessions take place; a visiting specialist's host."),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"))
    capacity = models.PositiveSmallIntegerField(_("places per slot"), default=1)
    mode = models.CharField(_("delivery mode"), max_length=8, choices=DeliveryMode.choices)
    location = models.CharField(_("location"), max_length=120, blank=True)
    services = models.ManyToManyField(
        Service,
        blank=True,
        related_name="schedules",
        verbose_name=_("services offered"),
        help_text=_("Empty: every service the provider offers."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    runs_on_holidays = models.BooleanField(
        _("runs on public holidays"),
        default=False,
        help_text=_("For on-call and online services that do not stop on holidays."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("weekly schedule")
        verbose_name_plural = _("weekly schedules")
        ordering = ["provider", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="schedule_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="schedule_slot_min_5"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="schedule_capacity_min_1"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="schedule_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.provider} · {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}–{self.end_time:%H:%M} ({self.mode})"
        )


class ExceptionReason(models.TextChoices):
    LEAVE = "leave", _("Leave")
    SICK = "sick", _("Sick leave")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


class ScheduleException(models.Model):
    """The provider does not work from ``start_date`` to ``end_date`` (both inclusive)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="exceptions")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=10, choices=ExceptionReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("schedule exception")
        verbose_name_plural = _("schedule exceptions")
        ordering = ["provider", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="exception_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.start_date}–{self.end_date} ({self.reason})"


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    WORKDAY = "workday", _("Adjusted working day")


class PublicHoliday(models.Model):
    """One day of the mainland China holiday calendar: a day off (放假), or a weekend day that
    is a working day (调休上班). An adjusted working day runs the schedules of
    ``follows_weekday`` (Monday by default) instead of its own weekday's."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=HolidayKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    follows_weekday = models.PositiveSmallIntegerField(
        _("works as"), choices=Weekday.choices, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="workday") | Q(follows_weekday__isnull=True),
                name="holiday_follows_only_for_workdays",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name_zh} ({self.kind})"


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Slot(models.Model):
    """A bookable time with ``capacity`` places. "Free" (FHIR ``Slot.status=free``) means open
    with ``booked_count < capacity``; ``booked_count`` only moves through ``book_slot`` /
    ``cancel_booking`` (conditional UPDATE, never read-modify-write)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="slots")
    schedule = models.ForeignKey(
        WeeklySchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="slots", verbose_name=_("site")
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="slots", verbose_name=_("services")
    )
    start = models.DateTimeField(_("starts at"))
    end = models.DateTimeField(_("ends at"))
    mode = models.CharField(_("delivery mode"), max_length=8, choices=DeliveryMode.choices)
    location = models.CharField(_("location"), max_length=120, blank=True)
    capacity = models.PositiveSmallIntegerField(_("places"))
    booked_count = models.PositiveSmallIntegerField(_("booked"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=SlotStatus.choices, default=SlotStatus.OPEN
    )

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["start", "provider_id"]
        indexes = [models.Index(fields=["start", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "start", "mode"], name="slot_provider_start_mode_unique"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
            models.CheckConstraint(
                condition=Q(booked_count__lte=F("capacity")), name="slot_not_overbooked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.start:%Y-%m-%d %H:%M} ({self.booked_count}/{self.capacity})"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked_count, 0)

    @property
    def is_free(self) -> bool:
        return self.status == SlotStatus.OPEN and self.booked_count < self.capacity


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not come")


class Booking(models.Model):
    """A resident's place in a slot. At most one live booking per (slot, resident); a retried
    request with the same ``idempotency_key`` from the same actor returns the same booking."""

    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="bookings")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("booked at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "resident"],
                condition=Q(status="booked"),
                name="one_live_booking_per_slot_and_resident",
            ),
            models.UniqueConstraint(
                fields=["booked_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="booking_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} @ {self.slot}"
