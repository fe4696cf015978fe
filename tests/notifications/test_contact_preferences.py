"""residents.services.update_contact_preferences: who may change how a resident is reached,
and the channels that cannot reach them (translated field errors, nothing written)."""

from __future__ import annotations

import pytest
from django.utils import translation

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.residents.models import Resident
from careloop.residents.services import update_contact_preferences


def audits() -> int:
    return AuditEvent.objects.filter(action="careloop.resident.contact_updated").count()


def fresh(resident: Resident) -> Resident:
    return Resident.objects.get(pk=resident.pk)


def test_staff_of_the_team_set_the_preferences(cast):
    update_contact_preferences(
        actor=cast.doctor_a, resident=cast.wang, contact_channel="phone", has_smartphone=False,
        contact_note="  耳背，\n请打电话  ", preferred_time_of_day="morning",
    )  # fmt: skip
    wang = fresh(cast.wang)
    assert (wang.contact_channel, wang.has_smartphone, wang.contact_note) == (
        "phone", False, "耳背， 请打电话",
    )  # fmt: skip
    assert wang.preferred_time_of_day == "morning"
    event = AuditEvent.objects.get(action="careloop.resident.contact_updated")
    assert (event.actor_username, event.object_id) == ("doctor_a", cast.wang.public_id)
    assert event.detail == {
        "fields": ["contact_channel", "has_smartphone", "contact_note", "preferred_time_of_day"]
    }


def test_a_resident_sets_their_own_and_a_guardian_their_dependants(cast):
    update_contact_preferences(actor=cast.wang_user, resident=cast.wang, contact_channel="app")
    update_contact_preferences(actor=cast.wang_user, resident=cast.li, contact_channel="phone")
    assert (fresh(cast.wang).contact_channel, fresh(cast.li).contact_channel) == ("app", "phone")


def test_nothing_changed_writes_nothing(cast):
    update_contact_preferences(actor=cast.doctor_a, resident=cast.wang, contact_channel="sms")
    assert audits() == 0


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("doctor_b", NotFoundError),  # another team's resident
        ("zhao_user", NotFoundError),  # another resident
        ("west_director", NotFoundError),  # another community
        ("auditor", ForbiddenError),  # reads only
    ],
)
def test_others_may_not(cast, who, error):
    with pytest.raises(error):
        update_contact_preferences(
            actor=getattr(cast, who), resident=cast.wang, contact_channel="phone"
        )
    assert fresh(cast.wang).contact_channel == "sms"
    assert audits() == 0


@pytest.mark.parametrize(
    ("resident", "changes", "field", "message"),
    [
        ("wang", {"contact_channel": "wechat", "has_smartphone": False}, "contact_channel",
         "The app and WeChat need a smartphone."),
        ("wang", {"has_smartphone": False, "contact_channel": "app"}, "contact_channel",
         "The app and WeChat need a smartphone."),
        ("li", {"contact_channel": "app"}, "contact_channel",
         "There is no portal account for this resident: choose another way."),
        ("li", {"contact_channel": "phone"}, None, None),
        ("wang", {"contact_channel": "fax"}, "contact_channel",
         "Choose a way to contact the resident from the list."),
        ("wang", {"contact_note": "请" * 121}, "contact_note",
         "A contact note has at most 120 characters."),
        ("wang", {"preferred_time_of_day": "midnight"}, "preferred_time_of_day",
         "Choose a time of day from the list."),
    ],
)  # fmt: skip
def test_channels_that_cannot_reach_the_resident_are_refused(
    cast, resident, changes, field, message
):
    target = getattr(cast, resident)
    if field is None:  # the control case: allowed
        update_contact_preferences(actor=cast.doctor_a, resident=target, **changes)
        return
    before = (fresh(target).contact_channel, fresh(target).has_smartphone)
    with pytest.raises(DomainError) as error:
        update_contact_preferences(actor=cast.doctor_a, resident=target, **changes)
    assert error.value.code == "residents.invalid"
    with translation.override("en"):
        assert {k: [str(m) for m in v] for k, v in error.value.fields.items()} == {field: [message]}
    assert (fresh(target).contact_channel, fresh(target).has_smartphone) == before
    assert audits() == 0


def test_text_messages_need_a_mobile_number(cast):
    update_contact_preferences(actor=cast.doctor_a, resident=cast.li, contact_channel="phone")
    with pytest.raises(DomainError) as error:
        update_contact_preferences(actor=cast.doctor_a, resident=cast.li, contact_channel="sms")
    with translation.override("en"):
        assert str(error.value.fields["contact_channel"][0]) == (
            "Text messages need a mobile number on the record."
        )


def test_a_note_can_be_added_whatever_channel_was_set_before(cast):
    """李小明's channel is the default (text messages) though he has no mobile number."""
    update_contact_preferences(actor=cast.doctor_a, resident=cast.li, contact_note="请联系监护人")
    assert fresh(cast.li).contact_note == "请联系监护人"
