"""Which channels reach a resident follows their contact preferences."""

from __future__ import annotations

import pytest

from careloop.notifications.models import Channel, MessageStatus
from careloop.residents.models import Resident

from .conftest import NOW, send_text


def prefer(resident: Resident, **fields) -> Resident:
    """Set preferences directly: the service's own checks are tested elsewhere."""
    Resident.objects.filter(pk=resident.pk).update(**fields)
    return Resident.objects.get(pk=resident.pk)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, [Channel.IN_APP, Channel.SMS]),  # the default: text messages
        ({"contact_channel": "app"}, [Channel.IN_APP]),
        ({"contact_channel": "wechat"}, [Channel.IN_APP, Channel.WECHAT]),
        ({"contact_channel": "phone"}, [Channel.IN_APP, Channel.PHONE_CALL]),
        (
            {"has_smartphone": False, "contact_channel": "phone"},
            [Channel.IN_APP, Channel.PHONE_CALL],
        ),
        # A feature phone still reads text messages, if that is what they chose.
        ({"has_smartphone": False, "contact_channel": "sms"}, [Channel.IN_APP, Channel.SMS]),
        # WeChat without a smartphone cannot work: the team calls.
        (
            {"has_smartphone": False, "contact_channel": "wechat"},
            [Channel.IN_APP, Channel.PHONE_CALL],
        ),
        # Text messages without a mobile number: the team calls.
        ({"phone": "", "phone_hash": ""}, [Channel.IN_APP, Channel.PHONE_CALL]),
    ],
)
def test_channels_follow_the_preferences(cast, frozen, fields, expected):
    wang = prefer(cast.wang, **fields)
    messages = send_text(resident=wang)
    assert [m.channel for m in messages] == expected
    in_app = messages[0]
    assert (in_app.user, in_app.resident, in_app.status, in_app.sent_at) == (
        cast.wang_user, wang, MessageStatus.SENT, NOW,
    )  # fmt: skip
    for message in messages[1:]:
        assert (message.user, message.resident, message.status) == (None, wang, "queued")


def test_a_phone_task_goes_to_the_team_of_the_contract(cast, frozen):
    wang = prefer(cast.wang, contact_channel="phone", contact_note="耳背，请打电话")
    call = send_text(resident=wang)[1]
    assert (call.channel, call.team, call.send_after) == (Channel.PHONE_CALL, cast.team_a, NOW)
    assert call.dedupe_key == f"event:1:phone_call:r{wang.pk}"


def test_resident_without_account_or_phone_gets_a_call(cast, frozen):
    """李小明 (a child) has no portal account and no mobile number."""
    [call] = send_text(resident=cast.li)
    assert (call.channel, call.team, call.user) == (Channel.PHONE_CALL, cast.team_a, None)


def test_without_a_team_a_call_falls_back_to_a_text_message(cast, frozen):
    """陈静 has no contract: nobody could make the call."""
    chen = prefer(cast.chen, contact_channel="phone")
    assert [m.channel for m in send_text(resident=chen)] == [Channel.IN_APP, Channel.SMS]


def test_the_caller_may_name_the_calling_team(cast, frozen):
    li = send_text(resident=cast.li, team=cast.team_b)[0]
    assert li.team == cast.team_b


def test_staff_get_one_in_app_message(cast, frozen):
    [message] = send_text(user=cast.doctor_a)
    assert (message.channel, message.user, message.resident, message.status) == (
        Channel.IN_APP, cast.doctor_a, None, MessageStatus.SENT,
    )  # fmt: skip


def test_a_team_message_reaches_every_member(cast, frozen):
    messages = send_text(team=cast.team_a)
    assert sorted(m.user.username for m in messages) == ["doctor_a", "nurse_a"]
    assert {(m.channel, m.team_id) for m in messages} == {(Channel.IN_APP, cast.team_a.pk)}
