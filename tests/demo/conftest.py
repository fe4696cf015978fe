"""Demo tests run on a frozen clock: Monday 21 September 2026, 07:00 Shanghai time, so that
the four weeks of slots span the Mid-Autumn Festival (25–27 September), National Day (1–7
October) and the adjusted working day of Saturday 10 October, and so that two loads in one
test generate the same slots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from careloop.core import clock

# In UTC, as ``timezone.now()`` gives it (the audit hash covers the stored timestamp).
NOW = datetime(2026, 9, 20, 23, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW
