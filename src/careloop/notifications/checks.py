"""Settings checks of the outbox: a wrong quiet-hours value or sender path fails at start-up
(``careloop check``), not at the first message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from careloop.notifications import quiet
from careloop.notifications.senders import SENDER_SETTINGS


@register()
def check_notification_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    try:
        quiet.parse(settings.CARELOOP_QUIET_HOURS)
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="careloop.E101"))
    for name in SENDER_SETTINGS.values():
        path = getattr(settings, name)
        try:
            sender = import_string(path)
        except ImportError:
            errors.append(Error(f"{name} names no importable class: {path!r}", id="careloop.E102"))
            continue
        url_setting = getattr(sender, "url_setting", "")
        if url_setting and not getattr(settings, url_setting, ""):
            errors.append(
                Error(f"{name} is {path} but {url_setting} is not set", id="careloop.E103")
            )
    return errors
