"""Every write to the outbox. Each function is keyword-only with ``actor`` first (``None`` is
the system: sweeps, other services), atomic, and audited in the same transaction.

``notify`` writes the messages of one event in the caller's transaction; ``deliver_due`` (the
sweep, every minute) hands them to the senders. Messages are never sent twice: ``notify``
finds an event's messages again by its ``dedupe_key`` (a unique column settles concurrent
calls), and the sweep claims each message with a conditional UPDATE before sending it.

Which channels reach a resident follows their contact preferences (``channels_for``):

- ``in_app`` when they have a portal account (the inbox of the resident portal);
- a ``phone_call`` task for their care team when they prefer a call, or have no smartphone and
  did not choose text messages;
- ``wechat`` when they chose WeChat; ``sms`` when they chose text messages, or the app without
  having an account; a phone call when a text message cannot reach them (no mobile number).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.notifications import quiet
from careloop.notifications.kinds import get_kind, render
from careloop.notifications.models import Channel, Message, MessageStatus
from careloop.notifications.senders import Sender, sender_for
from careloop.residents.models import CareTeam, CareTeamMember, ContactChannel, Resident

logger = logging.getLogger("careloop.notifications")

MAX_KEY_LENGTH = 150
MAX_OUTCOME_LENGTH = 500
# Wait after the 1st, 2nd, 3rd failed attempt (and the last one for any later attempt).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
# A claimed message is another worker's again after this long (its worker died mid-send).
CLAIM_LEASE = timedelta(minutes=5)
# Quiet hours hold these back; the inbox is read when the resident chooses to.
QUIET_CHANNELS = frozenset({Channel.SMS, Channel.WECHAT, Channel.PHONE_CALL})
# The people who deliver these are the senders; phone calls are made by staff.
SENT_BY_SWEEP = (Channel.IN_APP, Channel.SMS, Channel.WECHAT)


@dataclass(frozen=True)
class Recipient:
    """One message to plan: a channel and whom it is for."""

    channel: str
    user: User | None = None
    resident: Resident | None = None
    team: CareTeam | None = None

    @property
    def tag(self) -> str:
        if self.resident is not None:
            return f"r{self.resident.pk}"
        assert self.user is not None
        return f"u{self.user.pk}"


# ---- choosing channels --------------------------------------------------------------------


def phone_team_of(resident: Resident) -> CareTeam | None:
    """The team that calls the resident: the team of their contract in force."""
    contract = resident.active_contract
    return contract.team if contract is not None else None


def channels_for(resident: Resident, *, team: CareTeam | None) -> list[str]:
    """The channels that reach ``resident`` (see the module docstring); ``team`` is the team
    that would make a phone call (None: nobody can)."""
    channels = [Channel.IN_APP] if resident.user_id else []
    preferred = resident.contact_channel
    wants_call = preferred == ContactChannel.PHONE or (
        not resident.has_smartphone and preferred != ContactChannel.SMS
    )
    if wants_call and team is not None:
        channels.append(Channel.PHONE_CALL)
    elif preferred == ContactChannel.WECHAT and resident.has_smartphone:
        channels.append(Channel.WECHAT)
    elif preferred == ContactChannel.APP and resident.user_id:
        pass  # the inbox is what they asked for
    elif resident.phone:
        channels.append(Channel.SMS)
    elif team is not None:
        channels.append(Channel.PHONE_CALL)
    return [str(channel) for channel in channels]


def _recipients(
    *, user: User | None, resident: Resident | None, team: CareTeam | None
) -> list[Recipient]:
    if user is not None and (resident is not None or team is not None):
        raise DomainError(
            "notifications.recipient", _("Send a message to a user, a resident or a team.")
        )
    if user is not None:
        return [Recipient(Channel.IN_APP, user=user)]
    if resident is not None:
        caller = team or phone_team_of(resident)
        return [
            Recipient(
                channel,
                user=resident.user if channel == Channel.IN_APP else None,
                resident=resident,
                team=caller if channel == Channel.PHONE_CALL else None,
            )
            for channel in channels_for(resident, team=caller)
        ]
    if team is not None:
        members = User.objects.filter(care_team_memberships__team=team, is_active=True).order_by(
            "id"
        )
        return [Recipient(Channel.IN_APP, user=member, team=team) for member in members]
    raise DomainError(
        "notifications.recipient", _("Send a message to a user, a resident or a team.")
    )


def _existing(
    key: str, *, user: User | None, resident: Resident | None, team: CareTeam | None
) -> list[Message]:
    """The messages an earlier ``notify`` with the same key wrote for the same recipient."""
    messages = Message.objects.filter(event_key=key)
    if resident is not None:
        messages = messages.filter(resident=resident)
    elif user is not None:
        messages = messages.filter(user=user, resident=None)
    else:
        messages = messages.filter(team=team, resident=None)
    return list(messages.order_by("id"))


# ---- notify -------------------------------------------------------------------------------


def _clean_key(dedupe_key: str) -> str:
    key = (dedupe_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "notifications.invalid_key",
            _("A message needs a key of 1 to 150 characters that names its event."),
        )
    return key


def language_of(user: User | None) -> str:
    """The language a person reads: their own choice where the account keeps one, else the
    site's default (zh-hans)."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def send_time(*, channel: str, urgent: bool, due: datetime) -> datetime:
    """When a message due at ``due`` may go out: non-urgent text messages, WeChat messages and
    calls wait for the end of quiet hours."""
    if urgent or channel not in QUIET_CHANNELS:
        return due
    return quiet.quiet_until(due) or due


def notify(
    *,
    actor: User | None,
    kind: str,
    context: dict[str, Any],
    dedupe_key: str,
    user: User | None = None,
    resident: Resident | None = None,
    team: CareTeam | None = None,
    urgent: bool = False,
    at: datetime | None = None,
) -> list[Message]:
    """Queue the messages of one event: to a staff ``user`` (in-app), to a ``resident`` (on
    the channels of their contact preferences; ``team`` then names the team that calls, the
    team of their contract by default), or to every member of a ``team`` (in-app).

    ``kind`` is a code of ``kinds.KINDS``; ``context`` fills its placeholders (strings,
    numbers, dates and times: it is stored with the messages as JSON). ``at`` delays
    the messages (a reminder); quiet hours delay non-urgent ones further. The same
    ``dedupe_key`` for the same recipient again returns the messages already written and
    writes nothing. Urgent messages are handed to the senders as soon as the caller's
    transaction commits."""
    spec = get_kind(kind)
    key = _clean_key(dedupe_key)
    if at is not None and timezone.is_naive(at):
        raise DomainError("notifications.naive_time", _("A send time needs a time zone."))
    recipients = _recipients(user=user, resident=resident, team=team)
    existing = _existing(key, user=user, resident=resident, team=team)
    if existing:
        return existing
    urgent = urgent or spec.urgent
    now = clock.now()
    due = at or now
    rendered: dict[str, tuple[str, str]] = {}
    for recipient in recipients:  # every text first: a missing placeholder writes nothing
        language = language_of(recipient.user)
        if language not in rendered:
            rendered[language] = render(spec, context, language=language)
    messages: list[Message] = []
    created: list[Message] = []
    with transaction.atomic():
        for recipient in recipients:
            language = language_of(recipient.user)
            subject, body = rendered[language]
            send_after = send_time(channel=recipient.channel, urgent=urgent, due=due)
            visible_now = recipient.channel == Channel.IN_APP and send_after <= now
            message = Message(
                user=recipient.user,
                resident=recipient.resident,
                team=recipient.team,
                channel=recipient.channel,
                kind=spec.code,
                subject=subject,
                body=body,
                language=language,
                context=context,
                urgent=urgent,
                event_key=key,
                dedupe_key=f"{key}:{recipient.channel}:{recipient.tag}",
                status=MessageStatus.SENT if visible_now else MessageStatus.QUEUED,
                send_after=send_after,
                created_at=now,
                sent_at=now if visible_now else None,
            )
            stored, is_new = _insert(message)
            messages.append(stored)
            if is_new:
                created.append(stored)
                audit.record(
                    actor=actor,
                    action="careloop.message.created",
                    obj=stored,
                    detail={"kind": spec.code, "channel": stored.channel, "urgent": urgent},
                )
        pressing = [
            m.pk
            for m in created
            if m.urgent and m.status == MessageStatus.QUEUED and m.channel in SENT_BY_SWEEP
        ]
        if pressing:
            transaction.on_commit(partial(_deliver_soon, pressing))
    return messages


def _insert(message: Message) -> tuple[Message, bool]:
    """Save ``message``, or return the row a concurrent call saved under its key."""
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        stored = Message.objects.filter(dedupe_key=message.dedupe_key).first()
        if stored is None:
            raise
        return stored, False
    return message, True


def _deliver_soon(message_ids: list[int]) -> None:
    from careloop.notifications.tasks import deliver_messages_now  # tasks import services

    deliver_messages_now(message_ids)


# ---- delivery -----------------------------------------------------------------------------


def deliver_due(
    *, now: datetime | None = None, limit: int = 500, ids: list[int] | None = None
) -> int:
    """Hand queued messages due by ``now`` to their senders (urgent first, then oldest);
    ``ids`` limits the run to those messages. Returns how many were delivered.

    Each message is claimed with a conditional UPDATE (same status and attempt count, still
    due) that counts the attempt and moves ``send_after`` a lease ahead, so two workers never
    send the same message, and one that died mid-send is retried after the lease. A failure
    is retried after 1, 5 and 30 minutes; after ``CARELOOP_NOTIFY_MAX_ATTEMPTS`` attempts the
    message is failed. Phone-call tasks are not the sweep's: a person completes them."""
    now = now or clock.now()
    due = Message.objects.filter(
        status=MessageStatus.QUEUED, send_after__lte=now, channel__in=SENT_BY_SWEEP
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    candidates = list(
        due.order_by("-urgent", "send_after", "id").values_list("pk", "attempts")[:limit]
    )
    senders: dict[str, Sender] = {}
    delivered = 0
    for pk, attempts in candidates:
        if not _claim(pk, attempts, now):
            continue  # another worker has it
        message = Message.objects.select_related("resident", "user").get(pk=pk)
        try:
            if message.channel != Channel.IN_APP:  # an in-app message is delivered by storing it
                if message.channel not in senders:
                    senders[message.channel] = sender_for(message.channel)
                senders[message.channel].send(message)
        except Exception as error:  # any failure of a sender is a failed attempt
            _attempt_failed(message, error, now)
        else:
            _sent(message, now)
            delivered += 1
    return delivered


def _claim(pk: int, attempts: int, now: datetime) -> bool:
    """Take message ``pk`` as read with ``attempts``: one UPDATE that only matches while it is
    still queued, due and untouched, so of two workers exactly one gets it."""
    claimed = Message.objects.filter(
        pk=pk, status=MessageStatus.QUEUED, attempts=attempts, send_after__lte=now
    ).update(attempts=attempts + 1, send_after=now + CLAIM_LEASE)
    return claimed == 1


def _sent(message: Message, now: datetime) -> None:
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, sent_at=now, last_error=""
        )
        audit.record(
            actor=None,
            action="careloop.message.sent",
            obj=message,
            detail={"channel": message.channel, "attempts": message.attempts},
        )


def _attempt_failed(message: Message, error: Exception, now: datetime) -> None:
    reason = f"{type(error).__name__}: {error}"[:500]
    if message.attempts >= settings.CARELOOP_NOTIFY_MAX_ATTEMPTS:
        logger.error("message %s failed for good: %s", message.public_id, reason)
        with transaction.atomic():
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.FAILED, last_error=reason
            )
            audit.record(
                actor=None,
                action="careloop.message.failed",
                obj=message,
                detail={"channel": message.channel, "attempts": message.attempts},
            )
        return
    wait = BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    retry_at = send_time(channel=message.channel, urgent=message.urgent, due=now + wait)
    logger.warning(
        "message %s attempt %s failed, retry at %s: %s",
        message.public_id, message.attempts, retry_at.isoformat(), reason,
    )  # fmt: skip
    Message.objects.filter(pk=message.pk).update(send_after=retry_at, last_error=reason)


# ---- the recipient and the care team ------------------------------------------------------


def mark_read(*, actor: User, message: Message) -> Message:
    """The recipient has read an in-app message (again: nothing changes)."""
    if message.user_id != actor.pk or message.channel != Channel.IN_APP:
        raise NotFoundError("notifications.not_found", _("No such message."))
    if message.read_at is not None:
        return message
    now = clock.now()
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, read_at=None).update(read_at=now)
        if updated:
            audit.record(actor=actor, action="careloop.message.read", obj=message)
    message.refresh_from_db(fields=["read_at"])
    return message


def _may_call_for(actor: User, team_id: int | None) -> bool:
    if actor.is_superuser:
        return True
    return (
        team_id is not None
        and CareTeamMember.objects.filter(team_id=team_id, user_id=actor.pk).exists()
    )


def complete_phone_task(*, actor: User, message: Message, outcome: str) -> Message:
    """A member of the task's care team made the call and writes what came of it. Done once:
    a repeated completion returns the task as it is."""
    if message.channel != Channel.PHONE_CALL:
        raise NotFoundError("notifications.not_found", _("No such phone task."))
    if not _may_call_for(actor, message.team_id):
        raise ForbiddenError(
            "notifications.forbidden", _("Only the resident's care team may complete this call.")
        )
    outcome = " ".join((outcome or "").split())
    if not outcome or len(outcome) > MAX_OUTCOME_LENGTH:
        problem = (
            _("Write what came of the call.")
            if not outcome
            else _("An outcome has at most 500 characters.")
        )
        raise DomainError(
            "notifications.invalid",
            _("Please correct the marked fields."),
            fields={"outcome": [problem]},
        )
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.done_at is not None:
            return locked
        if locked.status != MessageStatus.QUEUED:
            raise ConflictError(
                "notifications.not_open", _("This phone task was cancelled or has failed.")
            )
        now = clock.now()
        locked.status = MessageStatus.SENT
        locked.sent_at = locked.done_at = now
        locked.done_by = actor
        locked.outcome = outcome
        locked.save(update_fields=["status", "sent_at", "done_at", "done_by", "outcome"])
        audit.record(
            actor=actor,
            action="careloop.phone_task.done",
            obj=locked,
            detail={"resident": locked.resident.public_id if locked.resident else ""},
        )
    return locked


def cancel_messages(*, actor: User | None, dedupe_prefix: str) -> int:
    """Cancel the messages not yet delivered of events whose key starts with
    ``dedupe_prefix`` (the reminders of a withdrawn demand: ``"demand:<id>:"``). Called by
    other services after their own permission checks. Returns how many were cancelled."""
    prefix = (dedupe_prefix or "").strip()
    if len(prefix) < 3:
        raise DomainError("notifications.invalid_key", _("Name the messages to cancel."))
    with transaction.atomic():
        cancelled = Message.objects.filter(
            event_key__startswith=prefix, status=MessageStatus.QUEUED
        ).update(status=MessageStatus.CANCELLED)
        if cancelled:
            audit.record(
                actor=actor,
                action="careloop.message.cancelled",
                object_type="notifications.message",
                object_id=prefix[:64],
                detail={"prefix": prefix, "count": cancelled},
            )
    return cancelled
