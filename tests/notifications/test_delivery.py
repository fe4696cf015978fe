"""deliver_due: senders from the settings, retries with backoff, failure after the last
attempt, quiet hours for retries, and never a message sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from careloop.core.models import AuditEvent
from careloop.notifications import services, tasks
from careloop.notifications.models import Message
from careloop.notifications.senders import LogSender, sender_for

from .conftest import NOW, SHANGHAI, send_text


def sms_to(resident, key="event:1"):
    return send_text(resident=resident, key=key)[-1]


def state(message):
    message.refresh_from_db()
    return message.status, message.attempts, message.send_after


def test_the_default_sender_logs(cast, frozen, caplog):
    assert isinstance(sender_for("sms"), LogSender)
    sms = sms_to(cast.wang)
    with caplog.at_level("INFO", logger="careloop.notifications"):
        assert tasks.deliver_messages.call_local() == 1
    assert f"message {sms.public_id} (text, sms) delivered to the log" in caplog.text
    assert sms.body not in caplog.text  # health details stay out of the log
    assert state(sms)[:2] == ("sent", 1)


def test_senders_are_chosen_by_the_settings(cast, frozen, recording):
    sms = sms_to(cast.wang)
    assert services.deliver_due() == 1
    assert recording.sent == [sms.public_id]
    sms.refresh_from_db()
    assert (sms.status, sms.sent_at, sms.last_error) == ("sent", NOW, "")
    assert (
        AuditEvent.objects.filter(action="careloop.message.sent", object_id=sms.public_id).count()
        == 1
    )


def test_a_second_run_sends_nothing_again(cast, frozen, recording):
    sms_to(cast.wang)
    assert services.deliver_due() == 1
    assert services.deliver_due() == 0
    assert services.deliver_due(now=NOW + timedelta(hours=1)) == 0
    assert len(recording.sent) == 1


def test_of_two_workers_only_one_claims_a_message(cast, frozen):
    sms = sms_to(cast.wang)
    assert services._claim(sms.pk, 0, NOW) is True  # worker A
    assert services._claim(sms.pk, 0, NOW) is False  # worker B read the same row before
    assert state(sms) == ("queued", 1, NOW + services.CLAIM_LEASE)


def test_a_sweep_running_while_another_sends_finds_nothing(cast, frozen, recording, monkeypatch):
    sms = sms_to(cast.wang)
    second_run = []
    real_send = recording.send

    def send_while_another_sweep_runs(self, message):
        second_run.append(services.deliver_due())
        real_send(self, message)

    monkeypatch.setattr(recording, "send", send_while_another_sweep_runs)
    assert services.deliver_due() == 1
    assert second_run == [0]
    assert recording.sent == [sms.public_id]


def test_a_message_claimed_by_a_worker_that_died_is_retried_after_the_lease(
    cast, frozen, recording
):
    sms = sms_to(cast.wang)
    # A worker claimed it (attempt counted, lease taken) and died before sending.
    Message.objects.filter(pk=sms.pk).update(attempts=1, send_after=NOW + services.CLAIM_LEASE)
    assert services.deliver_due() == 0
    assert services.deliver_due(now=NOW + services.CLAIM_LEASE) == 1
    assert state(sms)[:2] == ("sent", 2)


def test_failures_are_retried_after_1_5_and_30_minutes_then_failed(cast, frozen, recording, caplog):
    recording.failures = 99
    sms = sms_to(cast.wang)
    now = NOW
    for attempt, wait in enumerate((1, 5, 30), start=1):
        assert services.deliver_due(now=now) == 0
        status, attempts, send_after = state(sms)
        assert (status, attempts, send_after) == ("queued", attempt, now + timedelta(minutes=wait))
        assert services.deliver_due(now=send_after - timedelta(seconds=1)) == 0  # not yet
        now = send_after
    assert services.deliver_due(now=now) == 0
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", 4)
    assert sms.last_error == "ConnectionError: gateway down"
    assert services.deliver_due(now=now + timedelta(days=1)) == 0
    assert recording.sent == []
    assert AuditEvent.objects.filter(action="careloop.message.failed").count() == 1
    assert "failed for good" in caplog.text


def test_a_retry_succeeds(cast, frozen, recording):
    recording.failures = 1
    sms = sms_to(cast.wang)
    assert services.deliver_due() == 0
    assert services.deliver_due(now=NOW + timedelta(minutes=1)) == 1
    assert state(sms)[:2] == ("sent", 2)
    assert recording.sent == [sms.public_id]


def test_the_number_of_attempts_is_a_setting(cast, frozen, recording, settings):
    settings.CARELOOP_NOTIFY_MAX_ATTEMPTS = 1
    recording.failures = 1
    sms = sms_to(cast.wang)
    services.deliver_due()
    assert state(sms)[:2] == ("failed", 1)


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_the_morning(cast, frozen, recording):
    evening = frozen(datetime(2026, 2, 9, 20, 45, tzinfo=SHANGHAI))
    recording.failures = 2
    sms = sms_to(cast.wang)
    services.deliver_due(now=evening)  # retry at 20:46
    services.deliver_due(now=evening + timedelta(minutes=1))  # retry at 20:51
    assert state(sms)[2] == evening + timedelta(minutes=6)
    recording.failures = 1
    services.deliver_due(now=datetime(2026, 2, 9, 20, 59, tzinfo=SHANGHAI))  # 30 min: 21:29
    assert state(sms)[2] == datetime(2026, 2, 10, 8, 0, tzinfo=SHANGHAI)


def test_a_misconfigured_sender_counts_as_a_failed_attempt(cast, frozen, settings):
    settings.CARELOOP_SMS_SENDER = "careloop.notifications.senders.HttpSmsSender"
    settings.CARELOOP_SMS_URL = ""
    sms = sms_to(cast.wang)
    assert services.deliver_due() == 0
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 1)
    assert "CARELOOP_SMS_URL" in sms.last_error


def test_phone_tasks_are_left_to_people(cast, frozen, recording):
    [call] = send_text(resident=cast.li)
    assert services.deliver_due(now=NOW + timedelta(days=2)) == 0
    assert state(call)[:2] == ("queued", 0)


def test_urgent_messages_go_first_and_the_limit_holds(cast, frozen, recording):
    routine = sms_to(cast.wang, key="routine")
    [_, urgent] = services.notify(
        actor=None, kind="text", context={"subject": "急", "body": "急"}, dedupe_key="urgent",
        resident=cast.zhao, urgent=True,
    )  # fmt: skip
    assert services.deliver_due(limit=1) == 1
    assert recording.sent == [urgent.public_id]
    assert services.deliver_due(limit=1) == 1
    assert recording.sent == [urgent.public_id, routine.public_id]


@pytest.mark.parametrize("raw", ["21:00", "9-8", "21:00-25:00"])
def test_bad_quiet_hours_fail_the_settings_check(settings, raw):
    from careloop.notifications.checks import check_notification_settings

    settings.CARELOOP_QUIET_HOURS = raw
    assert [e.id for e in check_notification_settings(None)] == ["careloop.E101"]


def test_the_settings_check_names_a_sender_without_its_gateway(settings):
    from careloop.notifications.checks import check_notification_settings

    assert check_notification_settings(None) == []
    settings.CARELOOP_WECHAT_SENDER = "careloop.notifications.senders.WeChatTemplateSender"
    settings.CARELOOP_SMS_SENDER = "careloop.notifications.senders.NoSuchSender"
    assert sorted(e.id for e in check_notification_settings(None)) == [
        "careloop.E102", "careloop.E103",
    ]  # fmt: skip
