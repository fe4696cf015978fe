"""Background jobs of the residents app: a nightly refresh of derived profile tags, for the
tags that change with the calendar alone (age groups, pregnancy, postpartum)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.residents.models import Resident
from careloop.residents.services.tags import refresh_tags

logger = logging.getLogger(__name__)
BATCH = 500


@db_periodic_task(crontab(hour="3", minute="10"))
def refresh_all_tags() -> int:
    """Recompute every resident's tags; safe to run twice. Returns the residents visited."""
    last_id, count = 0, 0
    while True:
        batch = list(Resident.objects.filter(id__gt=last_id).order_by("id")[:BATCH])
        if not batch:
            break
        for resident in batch:
            refresh_tags(resident)
        last_id, count = batch[-1].id, count + len(batch)
    logger.info("profile tags refreshed for %s residents", count)
    return count
