"""The outbox: one row per message on one channel to one recipient.

A message is written in the transaction of the change it tells about (``services.notify``) and
delivered later by the sweep (``services.deliver_due``), so a rolled-back change sends nothing
and a slow SMS gateway never holds a web request. ``dedupe_key`` is unique: a retried or
concurrent ``notify`` for the same event finds the row instead of adding a second one.

Channels: ``in_app`` is the resident portal's (or the workbench user's) inbox; ``sms`` and
``wechat`` go out through the pluggable senders; ``phone_call`` is a task for the resident's
care team to call an elder who has no smartphone or prefers a call: it stays queued until a
member of the team records the outcome.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.core.models import new_public_id
from careloop.residents.models import CareTeam, Resident


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app message")
    SMS = "sms", _("Text message")
    WECHAT = "wechat", _("WeChat")
    PHONE_CALL = "phone_call", _("Phone call")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Message(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    # Recipient: a user (staff, or a resident's portal account), and/or a resident (who may
    # have no account). A phone-call task is assigned to ``team``.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="messages", verbose_name=_("recipient"),
    )  # fmt: skip
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="messages",
        verbose_name=_("resident"),
    )  # fmt: skip
    team = models.ForeignKey(
        CareTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages",
        verbose_name=_("care team"),
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=60)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    language = models.CharField(_("language"), max_length=10)
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    urgent = models.BooleanField(_("urgent"), default=False)
    # ``event_key`` is the caller's key for the event ("demand:<id>:accepted");
    # ``dedupe_key`` adds the channel and the recipient and is unique.
    event_key = models.CharField(max_length=150, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    send_after = models.DateTimeField(_("send after"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Phone-call tasks: who called, when, and what came of it.
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("called by"),
    )  # fmt: skip
    done_at = models.DateTimeField(_("called at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery sweep: queued messages due now.
            models.Index(fields=["status", "send_after"], name="message_due"),
            models.Index(fields=["user", "channel", "-created_at"], name="message_inbox"),
            models.Index(fields=["team", "channel", "status"], name="message_phone_tasks"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(dedupe_key=""), name="message_dedupe_key_set"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(resident__isnull=False),
                name="message_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.channel} · {self.status}"

    @property
    def is_phone_task(self) -> bool:
        return self.channel == Channel.PHONE_CALL

    @property
    def unread(self) -> bool:
        return self.read_at is None
