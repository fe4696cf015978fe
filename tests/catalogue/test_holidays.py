from collections import Counter
from datetime import date

import pytest

from careloop.catalogue import workdays
from careloop.catalogue.models import HolidayKind, PublicHoliday


def kind(day: date) -> str | None:
    row = PublicHoliday.objects.filter(date=day).first()
    return row.kind if row else None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 1), "holiday"),
        (date(2025, 1, 26), "workday"),  # Sunday before the Spring Festival
        (date(2025, 1, 28), "holiday"),  # New Year's Eve
        (date(2025, 2, 4), "holiday"),
        (date(2025, 2, 5), None),
        (date(2025, 2, 8), "workday"),
        (date(2025, 4, 27), "workday"),
        (date(2025, 5, 5), "holiday"),
        (date(2025, 5, 31), "holiday"),
        (date(2025, 9, 28), "workday"),
        (date(2025, 10, 8), "holiday"),
        (date(2025, 10, 11), "workday"),
        (date(2026, 1, 3), "holiday"),
        (date(2026, 1, 4), "workday"),
        (date(2026, 2, 14), "workday"),
        (date(2026, 2, 15), "holiday"),
        (date(2026, 2, 23), "holiday"),
        (date(2026, 2, 28), "workday"),
        (date(2026, 4, 6), "holiday"),
        (date(2026, 5, 9), "workday"),
        (date(2026, 6, 19), "holiday"),
        (date(2026, 9, 20), "workday"),
        (date(2026, 9, 27), "holiday"),
        (date(2026, 10, 7), "holiday"),
        (date(2026, 10, 8), None),
        (date(2026, 10, 10), "workday"),
    ],
)
def test_shipped_calendar(db, day, expected):
    assert kind(day) == expected


def test_calendar_totals_and_adjusted_days_fall_on_weekends(db):
    per_year = Counter((d.date.year, d.kind) for d in PublicHoliday.objects.all())
    assert per_year == {
        (2025, "holiday"): 28, (2025, "workday"): 5, (2026, "holiday"): 33, (2026, "workday"): 6,
    }  # fmt: skip
    for row in PublicHoliday.objects.filter(kind=HolidayKind.WORKDAY):
        assert row.date.weekday() >= 5 and row.follows_weekday == 0 and row.source


def test_schedule_runs_rules():
    saturday, monday = date(2026, 2, 14), date(2026, 2, 16)
    runs = workdays.schedule_runs
    assert runs(day=monday, schedule_weekday=0, runs_on_holidays=False, holiday_kind=None)
    assert not runs(day=monday, schedule_weekday=0, runs_on_holidays=False, holiday_kind="holiday")
    assert runs(day=monday, schedule_weekday=0, runs_on_holidays=True, holiday_kind="holiday")
    # adjusted working Saturday: Monday's schedule runs, Saturday's does not
    assert runs(day=saturday, schedule_weekday=0, runs_on_holidays=False, holiday_kind="workday")
    assert not runs(
        day=saturday, schedule_weekday=5, runs_on_holidays=False, holiday_kind="workday"
    )
    assert runs(day=saturday, schedule_weekday=4, runs_on_holidays=False, holiday_kind="workday",
                follows_weekday=4)  # fmt: skip


def test_slot_times_drop_a_remainder():
    from datetime import time

    assert workdays.slot_times(time(8, 0), time(9, 10), 30) == [
        (time(8, 0), time(8, 30)), (time(8, 30), time(9, 0)),
    ]  # fmt: skip
