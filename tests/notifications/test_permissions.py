"""Only the recipient reads a message; only the resident's care team completes a call."""

from __future__ import annotations

import pytest
from django.utils import translation

from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.notifications import selectors, services
from careloop.notifications.models import Message

from .conftest import NOW, send_text


def test_the_recipient_marks_a_message_read_once(cast, frozen):
    in_app = send_text(resident=cast.wang)[0]
    assert selectors.unread_count(cast.wang_user) == 1
    read = services.mark_read(actor=cast.wang_user, message=in_app)
    assert read.read_at == NOW
    services.mark_read(actor=cast.wang_user, message=in_app)  # again: nothing changes
    assert selectors.unread_count(cast.wang_user) == 0
    assert AuditEvent.objects.filter(action="careloop.message.read").count() == 1


@pytest.mark.parametrize("who", ["zhao_user", "doctor_a", "admin"])
def test_nobody_else_marks_it_read(cast, frozen, who):
    in_app = send_text(resident=cast.wang)[0]
    with pytest.raises(NotFoundError):
        services.mark_read(actor=getattr(cast, who), message=in_app)
    assert Message.objects.get(pk=in_app.pk).read_at is None
    with pytest.raises(NotFoundError):
        selectors.get_message_for(getattr(cast, who), in_app.public_id)


def test_a_text_message_cannot_be_marked_read(cast, frozen):
    sms = send_text(resident=cast.wang)[1]
    with pytest.raises(NotFoundError):
        services.mark_read(actor=cast.wang_user, message=sms)


@pytest.fixture
def call(cast, frozen):
    """A phone task for 李小明 (team A: doctor_a, nurse_a)."""
    return send_text(resident=cast.li)[0]


@pytest.mark.parametrize("who", ["doctor_a", "nurse_a", "admin"])
def test_the_care_team_completes_a_call(cast, call, who):
    actor = getattr(cast, who)
    done = services.complete_phone_task(
        actor=actor, message=call, outcome="  已联系家属，明早9点到  "
    )
    assert (done.status, done.done_by, done.done_at, done.sent_at) == ("sent", actor, NOW, NOW)
    assert done.outcome == "已联系家属，明早9点到"
    event = AuditEvent.objects.get(action="careloop.phone_task.done")
    assert (event.object_id, event.detail) == (call.public_id, {"resident": cast.li.public_id})


def test_completing_twice_keeps_the_first_outcome(cast, call):
    services.complete_phone_task(actor=cast.doctor_a, message=call, outcome="已接通")
    again = services.complete_phone_task(actor=cast.nurse_a, message=call, outcome="再次")
    assert (again.done_by, again.outcome) == (cast.doctor_a, "已接通")
    assert AuditEvent.objects.filter(action="careloop.phone_task.done").count() == 1


@pytest.mark.parametrize("who", ["doctor_b", "director", "cashier", "wang_user", "west_director"])
def test_other_teams_and_roles_may_not_complete_a_call(cast, call, who):
    actor = getattr(cast, who)
    with pytest.raises(ForbiddenError) as error:
        services.complete_phone_task(actor=actor, message=call, outcome="已接通")
    assert error.value.code == "notifications.forbidden"
    with pytest.raises(NotFoundError):
        selectors.get_phone_task_for(actor, call.public_id)
    assert Message.objects.get(pk=call.pk).status == "queued"


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("  ", "Write what came of the call."),
        ("长" * 501, "An outcome has at most 500 characters."),
    ],
)
def test_an_outcome_is_required_and_short(cast, call, outcome, expected):
    with pytest.raises(DomainError) as error:
        services.complete_phone_task(actor=cast.doctor_a, message=call, outcome=outcome)
    assert error.value.code == "notifications.invalid"
    with translation.override("en"):
        assert [str(m) for m in error.value.fields["outcome"]] == [expected]
    assert Message.objects.get(pk=call.pk).status == "queued"


def test_a_cancelled_call_cannot_be_completed(cast, call):
    services.cancel_messages(actor=None, dedupe_prefix="event:1")
    with pytest.raises(ConflictError):
        services.complete_phone_task(actor=cast.doctor_a, message=call, outcome="已接通")


def test_an_inbox_message_is_not_a_phone_task(cast, frozen):
    in_app = send_text(resident=cast.wang)[0]
    with pytest.raises(NotFoundError):
        services.complete_phone_task(actor=cast.doctor_a, message=in_app, outcome="已接通")


def test_phone_tasks_of_my_teams_urgent_first(cast, frozen):
    routine = send_text(resident=cast.li, key="routine")[0]
    urgent = services.notify(
        actor=None, kind="text", context={"subject": "急", "body": "急"}, dedupe_key="urgent",
        resident=cast.li, urgent=True,
    )[0]  # fmt: skip
    send_text(resident=cast.zhao, key="zhao", team=cast.team_b)  # in-app and a text: no call
    assert list(selectors.phone_tasks_for(cast.nurse_a)) == [urgent, routine]
    assert list(selectors.phone_tasks_for(cast.doctor_b)) == []
    assert list(selectors.phone_tasks_for(cast.wang_user)) == []
    services.complete_phone_task(actor=cast.nurse_a, message=urgent, outcome="已接通")
    assert list(selectors.phone_tasks_for(cast.doctor_a)) == [routine]
    assert list(selectors.done_phone_tasks_for(cast.doctor_a)) == [urgent]
