"""Permission-scoped reads of the outbox: a person's inbox, and the phone-call tasks of the
care teams they belong to."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import NotFoundError
from careloop.core.models import User
from careloop.notifications.models import Channel, Message, MessageStatus
from careloop.residents.selectors import residents_visible_to


def inbox_for(user: User | AnonymousUser) -> QuerySet[Message]:
    """The in-app messages delivered to ``user``, newest first."""
    if not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(
        user=user, channel=Channel.IN_APP, status=MessageStatus.SENT
    ).order_by("-sent_at", "-id")


def unread_count(user: User) -> int:
    return inbox_for(user).filter(read_at=None).count()


def get_message_for(user: User, public_id: str) -> Message:
    message = inbox_for(user).filter(public_id=public_id).first()
    if message is None:
        raise NotFoundError("notifications.not_found", _("No such message."))
    return message


def _team_tasks(user: User | AnonymousUser) -> QuerySet[Message]:
    """Phone-call tasks of ``user``'s care teams (every team's for a superuser), each with
    ``resident_visible``: whether ``user`` may see the resident's record (and phone number)."""
    tasks = Message.objects.filter(channel=Channel.PHONE_CALL)
    if not user.is_authenticated:
        return tasks.none()
    if not user.is_superuser:
        tasks = tasks.filter(team__memberships__user=user)
    visible = residents_visible_to(user).filter(pk=OuterRef("resident_id"))
    return tasks.select_related("resident", "team", "done_by").annotate(
        resident_visible=Exists(visible)
    )


def phone_tasks_for(user: User) -> QuerySet[Message]:
    """Open phone-call tasks of ``user``'s care teams: urgent first, then the earliest due."""
    return (
        _team_tasks(user)
        .filter(status=MessageStatus.QUEUED)
        .order_by("-urgent", "send_after", "id")
    )


def done_phone_tasks_for(user: User) -> QuerySet[Message]:
    """Calls ``user``'s teams made, the latest first."""
    return _team_tasks(user).filter(done_at__isnull=False).order_by("-done_at", "-id")


def get_phone_task_for(user: User, public_id: str) -> Message:
    task = _team_tasks(user).filter(public_id=public_id).first()
    if task is None:
        raise NotFoundError("notifications.not_found", _("No such phone task."))
    return task
