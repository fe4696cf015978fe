"""Background jobs of the outbox (thin; safe to run twice): the delivery sweep every minute,
and an immediate delivery of urgent messages once the transaction that wrote them commits."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.notifications.services import deliver_due

logger = logging.getLogger("careloop.notifications")


@db_periodic_task(crontab(minute="*"))
def deliver_messages() -> int:
    """Send the queued messages that are due (retries and the end of quiet hours included)."""
    delivered = deliver_due()
    if delivered:
        logger.info("messages delivered: %s", delivered)
    return delivered


@db_task()
def deliver_messages_now(message_ids: list[int]) -> int:
    """Send these urgent messages without waiting for the next sweep."""
    return deliver_due(ids=message_ids)
