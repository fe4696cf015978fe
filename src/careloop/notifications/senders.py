"""Senders deliver one message on one channel. Which class serves a channel is a setting
(a dotted path): ``CARELOOP_SMS_SENDER`` and ``CARELOOP_WECHAT_SENDER``.

A sender's ``send(message)`` returns when the message was handed over and raises when it was
not; the delivery sweep then retries with backoff. The default ``LogSender`` only logs: the
message is already stored in the outbox, which is all an embedded installation needs.
``HttpSmsSender`` and ``WeChatTemplateSender`` post JSON to a gateway of the centre's SMS
provider or WeChat service account (``CARELOOP_SMS_URL`` / ``CARELOOP_WECHAT_URL``); the
gateway maps a resident's id to their WeChat openid.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

from careloop.notifications.models import Channel, Message

logger = logging.getLogger("careloop.notifications")


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class LogSender:
    """Logs the message (without its body, which may be about someone's health)."""

    def send(self, message: Message) -> None:
        logger.info(
            "message %s (%s, %s) delivered to the log", message.public_id, message.kind,
            message.channel,
        )  # fmt: skip


class HttpJsonSender:
    """POSTs a JSON document to ``url`` and counts any 2xx answer as delivered."""

    url_setting = ""
    token_setting = ""

    def __init__(self) -> None:
        self.url = getattr(settings, self.url_setting, "")
        if urlsplit(self.url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured(f"{self.url_setting} must be an http(s) URL")
        self.token = getattr(settings, self.token_setting, "")
        self.timeout = settings.CARELOOP_NOTIFY_TIMEOUT

    def payload(self, message: Message) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, message: Message) -> None:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(  # noqa: S310  (scheme checked in __init__)
            self.url,
            data=json.dumps(
                self.payload(message), ensure_ascii=False, cls=DjangoJSONEncoder
            ).encode(),
            headers=headers,
            method="POST",
        )
        # urlopen raises HTTPError for 4xx/5xx and URLError/TimeoutError when unreachable.
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            response.read()


class HttpSmsSender(HttpJsonSender):
    url_setting = "CARELOOP_SMS_URL"
    token_setting = "CARELOOP_SMS_TOKEN"  # noqa: S105  (the name of a setting)

    def payload(self, message: Message) -> dict[str, Any]:
        phone = message.resident.phone if message.resident is not None else ""
        if not phone:
            raise ValueError("the resident has no mobile number")
        separator = "：" if message.language.startswith("zh") else ": "
        return {
            "id": message.public_id,
            "to": phone,
            "kind": message.kind,
            "text": f"{message.subject}{separator}{message.body}"
            if message.subject
            else message.body,
            "urgent": message.urgent,
        }


class WeChatTemplateSender(HttpJsonSender):
    url_setting = "CARELOOP_WECHAT_URL"
    token_setting = "CARELOOP_WECHAT_TOKEN"  # noqa: S105  (the name of a setting)

    def payload(self, message: Message) -> dict[str, Any]:
        return {
            "id": message.public_id,
            "resident": message.resident.public_id if message.resident is not None else "",
            "template": message.kind,
            "data": {"subject": message.subject, "body": message.body, **message.context},
            "urgent": message.urgent,
        }


SENDER_SETTINGS = {Channel.SMS: "CARELOOP_SMS_SENDER", Channel.WECHAT: "CARELOOP_WECHAT_SENDER"}


def sender_for(channel: str) -> Sender:
    """A new sender for ``channel`` as the settings say."""
    sender: Sender = import_string(getattr(settings, SENDER_SETTINGS[Channel(channel)]))()
    return sender
