"""Background jobs of demands: the deadline sweep (thin; safe to run twice)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.demands.services import escalate_overdue

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def sweep_overdue_demands() -> int:
    """Escalate demands nobody accepted by their respond-by time (every minute: urgent
    demands have a 30-minute deadline)."""
    escalated = escalate_overdue(actor=None)
    if escalated:
        logger.info("demands escalated past their respond-by time: %s", escalated)
    return escalated
