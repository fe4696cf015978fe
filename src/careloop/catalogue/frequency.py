"""Package-item frequencies and due dates: pure functions, no Django imports.

A frequency is "every ``count`` ``unit``" with unit day, week, month or year; two more units
cover items that do not recur: ``once`` (due once, on enrolment) and ``on_request`` (part of
the package, never due by itself). Month arithmetic clamps to the end of the month: one month
after 31 January is 28 (or 29) February.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

DAY, WEEK, MONTH, YEAR, ONCE, ON_REQUEST = "day", "week", "month", "year", "once", "on_request"
RECURRING_UNITS = frozenset({DAY, WEEK, MONTH, YEAR})


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_interval(start: date, count: int, unit: str) -> date:
    if unit == DAY:
        return start + timedelta(days=count)
    if unit == WEEK:
        return start + timedelta(weeks=count)
    if unit == MONTH:
        return add_months(start, count)
    if unit == YEAR:
        return add_months(start, 12 * count)
    raise ValueError(f"not a recurring unit: {unit!r}")


def next_due(
    *, count: int, unit: str, enrolled_on: date, last_delivered: date | None
) -> date | None:
    """When the item is next due, or None when it is not due any more (or never by itself).

    Never delivered: due on the enrolment day. Delivered: due one interval after the last
    delivery (a ``once`` item is then done).
    """
    if unit == ON_REQUEST:
        return None
    if unit == ONCE:
        return enrolled_on if last_delivered is None else None
    if count < 1:
        raise ValueError("a recurring frequency needs a count of at least 1")
    if last_delivered is None:
        return enrolled_on
    return add_interval(last_delivered, count, unit)
