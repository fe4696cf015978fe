"""Deploy checks: mistakes that ``careloop check --deploy`` must catch."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_production_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.USING_DEV_KEYS:
        errors.append(
            Error(
                "CareLoop is using the generated development keys.",
                hint="Set CARELOOP_SECRET_KEY and CARELOOP_FIELD_KEY in the environment.",
                id="careloop.E001",
            )
        )
    if not settings.HTTPS:
        errors.append(
            Error(
                "CARELOOP_HTTPS is off: cookies are not marked secure and HSTS is off.",
                hint="Serve CareLoop over HTTPS and set CARELOOP_HTTPS=1.",
                id="careloop.E002",
            )
        )
    return errors
