"""The outbox on top of the fixed cast, with the clock frozen at Monday 9 February 2026,
10:00 Shanghai time (outside quiet hours), and senders that record what they were given."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from careloop.core import clock
from careloop.notifications import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 9, 10, 0, tzinfo=SHANGHAI)
TEXT = {"subject": "通知", "body": "明天社区义诊。"}


@pytest.fixture
def frozen(monkeypatch):
    """Freeze ``clock.now``; call the fixture's result with a datetime to move time."""
    state = {"now": NOW}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def move(to: datetime) -> datetime:
        state["now"] = to
        return to

    return move


class RecordingSender:
    """Collects the messages it was given; fails while ``failures`` is above zero."""

    sent: list[str] = []
    failures = 0

    def send(self, message) -> None:
        if RecordingSender.failures > 0:
            RecordingSender.failures -= 1
            raise ConnectionError("gateway down")
        RecordingSender.sent.append(message.public_id)


@pytest.fixture
def recording(settings):
    settings.CARELOOP_SMS_SENDER = "tests.notifications.conftest.RecordingSender"
    settings.CARELOOP_WECHAT_SENDER = "tests.notifications.conftest.RecordingSender"
    RecordingSender.sent = []
    RecordingSender.failures = 0
    return RecordingSender


def send_text(*, key: str = "event:1", **recipient):
    """``notify`` a plain text message (kind "text") to ``user=``, ``resident=`` or ``team=``."""
    return services.notify(actor=None, kind="text", context=TEXT, dedupe_key=key, **recipient)
