"""Background jobs of the system intake channels (thin, each safe to run twice): package
services falling due, and the quarterly needs review of key groups.

Huey's Django consumer imports only modules named ``tasks``: ``demands.tasks`` imports this
module so these periodic tasks are registered."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.demands.services.intake import file_package_due_demands
from careloop.residents.services.events import invite_periodic_reviews

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="6", minute="20"))
def file_due_package_services() -> int:
    """Every morning: a demand for each package service due within the week (one per
    resident, service and due date, however often it runs)."""
    filed = file_package_due_demands()
    if filed:
        logger.info("package-due demands filed: %s", filed)
    return filed


@db_periodic_task(crontab(hour="6", minute="40"))
def invite_quarterly_reviews() -> int:
    """Every morning: invite key-group residents not yet invited this quarter (the first run
    of a quarter invites them all; later runs catch those who joined a group since)."""
    invited = invite_periodic_reviews()
    if invited:
        logger.info("quarterly needs reviews sent: %s", invited)
    return invited
