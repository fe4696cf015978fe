"""Demands on top of the fixed cast, with the clock frozen at Monday 9 February 2026, 08:00
Shanghai time (the catalogue's ``frozen`` fixture)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from careloop.core import clock
from careloop.core.models import AuditEvent
from careloop.demands.models import Demand, DemandEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 9, 8, 0, tzinfo=SHANGHAI)


@pytest.fixture
def frozen(monkeypatch):
    """Freeze ``clock.now``; call the fixture's result with a datetime to move time."""
    state = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def move(to: datetime) -> datetime:
        state["now"] = to
        return to

    return move


def written() -> tuple[int, int, int]:
    return Demand.objects.count(), DemandEvent.objects.count(), AuditEvent.objects.count()
