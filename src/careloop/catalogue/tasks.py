"""Background jobs of the catalogue: slots are generated four weeks ahead every night."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.catalogue.services import generate_slots
from careloop.core import clock

logger = logging.getLogger(__name__)
DAYS_AHEAD = 28


@db_periodic_task(crontab(hour="1", minute="15"))
def generate_slots_ahead() -> int:
    """Create missing slots from today for 28 days (idempotent: safe to run twice)."""
    result = generate_slots(actor=None, start=clock.today(), days=DAYS_AHEAD)
    logger.info("slots generated: %s new, %s already there", result.created, result.existing)
    return result.created
