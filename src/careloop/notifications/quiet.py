"""Quiet hours: no text message, WeChat message or phone call between, by default, 21:00 and
08:00 local time (``CARELOOP_QUIET_HOURS``, in ``TIME_ZONE``, Asia/Shanghai unless set). A
non-urgent message due then waits until the quiet period ends; urgent ones go at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def parse(raw: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` → (21:00, 08:00); an empty value, or the same start and end, turns
    quiet hours off (None). Anything else is a configuration error."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        start_text, end_text = raw.split("-")
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"CARELOOP_QUIET_HOURS must look like 21:00-08:00 (or be empty), not {raw!r}"
        ) from None
    return None if start == end else (start, end)


def quiet_until(at: datetime, raw: str | None = None) -> datetime | None:
    """The end of the quiet period that ``at`` falls in, or None when ``at`` is not quiet."""
    hours = parse(settings.CARELOOP_QUIET_HOURS if raw is None else raw)
    if hours is None:
        return None
    start, end = hours
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    now = local.time()
    if start < end:  # within one day, e.g. 12:00-14:00
        quiet, ends_tomorrow = start <= now < end, False
    else:  # across midnight, e.g. 21:00-08:00
        quiet, ends_tomorrow = now >= start or now < end, now >= start
    if not quiet:
        return None
    day = local.date() + timedelta(days=1 if ends_tomorrow else 0)
    return datetime.combine(day, end, tzinfo=local.tzinfo)
