"""Background jobs of demands (thin, each safe to run twice): the deadline sweep, the batch
re-plan and the day-before reminders."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.demands.services import replan_unconfirmed, send_reminders, sweep_deadlines

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def sweep_overdue_demands() -> dict[str, int]:
    """Escalate demands past their respond-by or match-by time (every minute: urgent
    demands have a 30-minute deadline, green-channel cases a 5-minute one)."""
    found = sweep_deadlines(actor=None)
    if any(found.values()):
        logger.info("demand deadlines breached: %s", found)
    return found


@db_periodic_task(crontab(minute="15"))
def replan_demands() -> int:
    """Re-plan unconfirmed demands against free slots every hour."""
    return replan_unconfirmed(actor=None).changed


@db_task()
def replan_demands_now(actor_id: int | None = None) -> int:
    """The console's "re-plan now" button."""
    from careloop.core.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return replan_unconfirmed(actor=actor).changed


@db_periodic_task(crontab(minute="5"))
def remind_residents() -> int:
    """Day-before reminders of scheduled services."""
    return send_reminders()


# Huey discovers modules named ``tasks`` only: the intake jobs register from here.
from careloop.demands import tasks_intake  # noqa: E402,F401
