"""Which weekly schedule applies on a given day: pure rules, no Django imports.

- A public holiday (放假) runs only schedules marked ``runs_on_holidays`` (on their own
  weekday).
- An adjusted working day (调休上班, usually a Saturday or Sunday) runs the schedules of the
  weekday it ``follows`` — Monday unless the holiday row says otherwise — *instead of* its own
  weekday's schedules (a Saturday class does not run on a 调休 Saturday).
- Any other day runs the schedules of its own weekday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

HOLIDAY, WORKDAY = "holiday", "workday"
DEFAULT_FOLLOWS = 0  # Monday


def schedule_runs(
    *,
    day: date,
    schedule_weekday: int,
    runs_on_holidays: bool,
    holiday_kind: str | None,
    follows_weekday: int | None = None,
) -> bool:
    if holiday_kind == HOLIDAY:
        return runs_on_holidays and schedule_weekday == day.weekday()
    if holiday_kind == WORKDAY:
        target = DEFAULT_FOLLOWS if follows_weekday is None else follows_weekday
        return schedule_weekday == target
    return schedule_weekday == day.weekday()


def slot_times(start: time, end: time, minutes: int) -> list[tuple[time, time]]:
    """Cut ``start``–``end`` into whole slots of ``minutes`` (a remainder is dropped)."""
    if minutes <= 0:
        raise ValueError("slot length must be positive")
    base = datetime(2000, 1, 3)  # noqa: DTZ001 (naive wall-clock arithmetic only)
    cursor = timedelta(hours=start.hour, minutes=start.minute)
    stop = timedelta(hours=end.hour, minutes=end.minute)
    step = timedelta(minutes=minutes)
    out = []
    while cursor + step <= stop:
        begin = (base + cursor).time()
        out.append((begin, (base + cursor + step).time()))
        cursor += step
    return out
