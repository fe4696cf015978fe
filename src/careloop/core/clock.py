"""The one door to the current time: tests freeze it by patching ``now``."""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate(now())
