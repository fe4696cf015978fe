"""Background jobs of analytics (thin, each safe to run twice): the nightly population
analyses of every community, the same on demand, and the daily improvement-finding sweep."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.analytics.services import DEFAULT_KINDS, find_improvements, run_analytics
from careloop.core.models import Community, User

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="2", minute="45"))
def run_nightly_analytics() -> int:
    """Describe, segment, mine rules and forecast for each community every night (a second
    run only stores a second set of results). Returns the runs stored."""
    stored = 0
    for community in Community.objects.order_by("id"):
        runs = run_analytics(actor=None, community=community)
        stored += len(runs)
        failed = {run.kind: run.error for run in runs if run.error}
        if failed:
            logger.info("analytics for %s could not run: %s", community.code, failed)
    return stored


@db_task()
def run_analytics_now(
    actor_id: int | None, community_id: int | None, kinds: list[str] | None = None
) -> list[str]:
    """The console's and the API's "run now": returns the public ids of the runs stored."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    community = Community.objects.filter(pk=community_id).first() if community_id else None
    runs = run_analytics(actor=actor, kinds=kinds or DEFAULT_KINDS, community=community)
    return [run.public_id for run in runs]


@db_periodic_task(crontab(hour="7", minute="10"))
def find_improvements_daily() -> int:
    """Record rating dimensions below threshold over the last 30 days and tell the
    directors, every morning. Returns the findings recorded."""
    found = find_improvements()
    if found:
        logger.info("improvement findings recorded: %s", [f.public_id for f in found])
    return len(found)
