"""notify: rendering in the recipient's language, one message per event and channel however
often it is called, quiet hours, urgent messages, cancelling."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import translation

from careloop.core import audit
from careloop.core.errors import DomainError
from careloop.core.models import AuditEvent
from careloop.notifications import services
from careloop.notifications.kinds import KINDS, render
from careloop.notifications.models import Message

from .conftest import NOW, SHANGHAI, TEXT, send_text

REMINDER = {"service": "空腹血糖检测", "time": "9:00", "note": "请空腹前来。"}


def written() -> tuple[int, int]:
    return Message.objects.count(), AuditEvent.objects.count()


# ---- rendering ------------------------------------------------------------------------------


def test_kinds_render_in_english_with_their_placeholders():
    subject, body = render(KINDS["demand.reminder"], REMINDER, language="en")
    assert subject == "Appointment reminder"
    assert body == "Your 空腹血糖检测 appointment is tomorrow at 9:00. 请空腹前来。"
    subject, body = render(
        KINDS["demand.scheduled"],
        {"service": "家庭医生上门", "time": datetime(2026, 2, 10, 9, 30, tzinfo=SHANGHAI),
         "place": "幸福里3栋"},
        language="en",
    )  # fmt: skip
    assert body == "家庭医生上门 is booked for Feb. 10, 2026, 9:30 a.m. at 幸福里3栋."


def test_an_optional_placeholder_may_be_left_out():
    _, body = render(KINDS["demand.reminder"], {"service": "体检", "time": "8:00"}, language="en")
    assert body == "Your 体检 appointment is tomorrow at 8:00."


def test_messages_are_written_in_the_default_language(cast, frozen):
    [message] = services.notify(
        actor=None, kind="demand.reminder", context=REMINDER, dedupe_key="d1:reminder",
        user=cast.doctor_a,
    )  # fmt: skip
    assert message.language == "zh-hans"
    with translation.override("zh-hans"):
        expected = render(KINDS["demand.reminder"], REMINDER, language="zh-hans")
    assert (message.subject, message.body) == expected
    assert message.context == REMINDER


def test_every_kind_the_demands_need_is_registered():
    assert {
        "demand.filed", "demand.accepted", "demand.scheduled", "demand.reminder",
        "demand.completed", "demand.alternatives_offered", "demand.escalated",
        "deadline.breached", "green_channel.opened", "green_channel.volunteer_alert", "text",
    } <= set(KINDS)  # fmt: skip
    assert KINDS["green_channel.opened"].urgent and KINDS["green_channel.volunteer_alert"].urgent


def test_a_missing_placeholder_writes_nothing(cast, frozen):
    before = written()
    with pytest.raises(DomainError) as error:
        services.notify(
            actor=None, kind="demand.scheduled", context={"service": "体检"},
            dedupe_key="d1:scheduled", resident=cast.wang,
        )  # fmt: skip
    assert error.value.code == "notifications.missing_context"
    assert written() == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "demand.unknown"}, "notifications.unknown_kind"),
        ({"dedupe_key": "  "}, "notifications.invalid_key"),
        ({"dedupe_key": "x" * 151}, "notifications.invalid_key"),
        ({"at": datetime(2026, 2, 10, 9, 0)}, "notifications.naive_time"),  # noqa: DTZ001
    ],
)
def test_bad_calls_are_refused_and_write_nothing(cast, frozen, kwargs, code):
    before = written()
    call = {"actor": None, "kind": "text", "context": TEXT, "dedupe_key": "k", **kwargs}
    with pytest.raises(DomainError) as error:
        services.notify(**call, resident=cast.wang)
    assert error.value.code == code
    assert written() == before


def test_a_message_needs_exactly_one_kind_of_recipient(cast, frozen):
    with pytest.raises(DomainError) as error:
        send_text()
    assert error.value.code == "notifications.recipient"
    with pytest.raises(DomainError):
        send_text(user=cast.doctor_a, resident=cast.wang)
    assert Message.objects.count() == 0


def test_each_message_is_audited(cast, frozen):
    messages = send_text(resident=cast.wang)
    events = AuditEvent.objects.filter(action="careloop.message.created").order_by("id")
    assert [(e.object_id, e.detail["channel"]) for e in events] == [
        (m.public_id, m.channel) for m in messages
    ]


# ---- one message per event and channel --------------------------------------------------------


def test_the_same_key_returns_the_messages_already_written(cast, frozen):
    first = send_text(resident=cast.wang, key="demand:1:accepted")
    before = written()
    again = send_text(resident=cast.wang, key="demand:1:accepted")
    assert [m.pk for m in again] == [m.pk for m in first]
    assert written() == before
    assert [m.dedupe_key for m in first] == [
        f"demand:1:accepted:in_app:r{cast.wang.pk}",
        f"demand:1:accepted:sms:r{cast.wang.pk}",
    ]


def test_the_same_key_for_another_recipient_is_another_message(cast, frozen):
    send_text(user=cast.doctor_a, key="demand:1:escalated")
    [director] = send_text(user=cast.director, key="demand:1:escalated")
    assert director.user == cast.director
    assert Message.objects.count() == 2


def test_a_lost_race_returns_the_winners_messages(cast, frozen, monkeypatch):
    """Two calls both found no message and both insert: the unique key lets one row in, the
    other call gets that row back (the IntegrityError path)."""
    first = send_text(resident=cast.wang, key="race")
    monkeypatch.setattr(services, "_existing", lambda *args, **kwargs: [])
    before = written()
    again = send_text(resident=cast.wang, key="race")
    assert [m.pk for m in again] == [m.pk for m in first]
    assert written() == before


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises writers; test_a_lost_race_returns_the_winners_messages covers it",
)
@pytest.mark.django_db(transaction=True)
def test_two_connections_notify_the_same_event_once(migration_data, cast, monkeypatch):
    """Two threads, two PostgreSQL connections, the same key at the same moment."""
    real_record = audit.record
    barrier = threading.Barrier(2)

    def slow_record(**kwargs):
        if kwargs.get("action") == "careloop.message.created":
            threading.Event().wait(0.3)  # hold the transaction open so the two overlap
        return real_record(**kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    results = {}

    def call(name):
        try:
            barrier.wait()
            results[name] = [m.pk for m in send_text(resident=cast.wang, key="concurrent")]
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results["one"] == results["two"]
    assert Message.objects.filter(event_key="concurrent").count() == 2


# ---- quiet hours and urgent messages ------------------------------------------------------------


def test_quiet_hours_hold_back_texts_and_calls_but_not_the_inbox(cast, frozen):
    night = frozen(datetime(2026, 2, 9, 22, 30, tzinfo=SHANGHAI))
    morning = datetime(2026, 2, 10, 8, 0, tzinfo=SHANGHAI)
    in_app, sms = send_text(resident=cast.wang, key="night")
    assert (in_app.status, in_app.send_after) == ("sent", night)
    assert (sms.status, sms.send_after) == ("queued", morning)
    [call] = send_text(resident=cast.li, key="night")
    assert call.send_after == morning


def test_after_midnight_the_quiet_period_ends_the_same_morning(cast, frozen):
    frozen(datetime(2026, 2, 10, 1, 15, tzinfo=SHANGHAI))
    sms = send_text(resident=cast.wang)[1]
    assert sms.send_after == datetime(2026, 2, 10, 8, 0, tzinfo=SHANGHAI)


def test_quiet_hours_come_from_the_settings(cast, frozen, settings):
    settings.CARELOOP_QUIET_HOURS = "12:00-14:00"
    frozen(datetime(2026, 2, 9, 12, 30, tzinfo=SHANGHAI))
    assert send_text(resident=cast.wang, key="a")[1].send_after == datetime(
        2026, 2, 9, 14, 0, tzinfo=SHANGHAI
    )
    settings.CARELOOP_QUIET_HOURS = ""
    frozen(datetime(2026, 2, 9, 23, 0, tzinfo=SHANGHAI))
    assert send_text(resident=cast.wang, key="b")[1].send_after == datetime(
        2026, 2, 9, 23, 0, tzinfo=SHANGHAI
    )


def test_urgent_messages_ignore_quiet_hours(cast, frozen):
    night = frozen(datetime(2026, 2, 9, 23, 0, tzinfo=SHANGHAI))
    messages = services.notify(
        actor=None, kind="green_channel.opened",
        context={"resident": "王秀英", "reason": "胸痛", "place": "幸福里3栋"},
        dedupe_key="green:1", resident=cast.li, team=cast.team_a,
    )  # fmt: skip
    assert [(m.channel, m.urgent, m.send_after) for m in messages] == [("phone_call", True, night)]
    [sms] = services.notify(
        actor=None, kind="text", context=TEXT, dedupe_key="urgent-text", resident=cast.zhao,
        urgent=True,
    )[1:]  # fmt: skip
    assert (sms.urgent, sms.send_after) == (True, night)


def test_urgent_texts_are_delivered_when_the_transaction_commits(
    cast, frozen, recording, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms = services.notify(
            actor=None, kind="text", context=TEXT, dedupe_key="u", resident=cast.wang,
            urgent=True,
        )[1]  # fmt: skip
    assert len(callbacks) == 1
    assert recording.sent == [sms.public_id]
    sms.refresh_from_db()
    assert (sms.status, sms.sent_at, sms.attempts) == ("sent", NOW, 1)


def test_routine_messages_wait_for_the_sweep(cast, frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        send_text(resident=cast.wang)
    assert callbacks == []


def test_a_reminder_is_held_until_its_time(cast, frozen):
    at = NOW + timedelta(hours=4)
    in_app, sms = services.notify(
        actor=None, kind="demand.reminder", context=REMINDER, dedupe_key="d1:reminder",
        resident=cast.wang, at=at,
    )  # fmt: skip
    assert (in_app.status, in_app.send_after) == ("queued", at)
    assert (sms.status, sms.send_after) == ("queued", at)
    assert services.deliver_due() == 0
    assert services.deliver_due(now=at) == 2
    in_app.refresh_from_db()
    assert (in_app.status, in_app.sent_at) == ("sent", at)


# ---- cancelling ---------------------------------------------------------------------------------


def test_cancel_messages_not_yet_delivered(cast, frozen):
    services.notify(
        actor=None, kind="demand.reminder", context=REMINDER, dedupe_key="demand:7:reminder",
        resident=cast.wang, at=NOW + timedelta(days=1),
    )  # fmt: skip
    send_text(user=cast.doctor_a, key="demand:7:filed")  # delivered already: stays
    send_text(resident=cast.zhao, key="demand:70:reminder")  # another demand: stays
    assert services.cancel_messages(actor=cast.doctor_a, dedupe_prefix="demand:7:") == 2
    statuses = dict(Message.objects.values_list("dedupe_key", "status"))
    assert statuses[f"demand:7:reminder:sms:r{cast.wang.pk}"] == "cancelled"
    assert statuses[f"demand:7:reminder:in_app:r{cast.wang.pk}"] == "cancelled"
    assert statuses[f"demand:7:filed:in_app:u{cast.doctor_a.pk}"] == "sent"
    assert statuses[f"demand:70:reminder:sms:r{cast.zhao.pk}"] == "queued"
    assert services.cancel_messages(actor=None, dedupe_prefix="demand:7:") == 0
    assert AuditEvent.objects.filter(action="careloop.message.cancelled").count() == 1
    with pytest.raises(DomainError):
        services.cancel_messages(actor=None, dedupe_prefix="")


def test_every_kind_has_a_chinese_text():
    """Messages are written in Chinese by default: each template is in the zh-hans table."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools" / "i18n" / "zh_hans.py"
    spec = importlib.util.spec_from_file_location("zh_hans", path)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    with translation.override("en"):  # English is the msgid itself
        msgids = [
            str(text) for k in KINDS.values() if k.code != "text" for text in (k.subject, k.body)
        ]
    assert [msgid for msgid in msgids if msgid not in table.ZH] == []
