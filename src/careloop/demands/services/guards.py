"""One-use tokens for the workbench actions that have no idempotency key of their own ("match
again", "re-plan now"): a double click, or the same form sent again, acts once.

The claim is a row with a unique key, written in its own transaction, so it holds across every
web process (a cache in process memory would not). A token claimed again before its guard
expires is refused; expired guards are deleted by the next claim."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction

from careloop.core import clock
from careloop.demands.models import ActionGuard

ONCE_TTL = timedelta(minutes=10)
KEY_LENGTH = 64  # ActionGuard.key


def claim_once(*, kind: str, token: str, ttl: timedelta = ONCE_TTL) -> bool:
    """True the first time ``token`` is claimed for ``kind`` within ``ttl``, False after."""
    now = clock.now()
    key = f"{kind}:{token}"[:KEY_LENGTH]
    with transaction.atomic():
        ActionGuard.objects.filter(expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                ActionGuard.objects.create(key=key, expires_at=now + ttl)
        except IntegrityError:
            return False
    return True
