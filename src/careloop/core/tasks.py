"""Background jobs of the core: a nightly check of the audit trail."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.core.audit import verify_chain

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(hour="2", minute="30"))
def verify_audit_trail() -> bool:
    """Walk the hash chain every night; a break is logged as an error for the operators."""
    checked, broken = verify_chain()
    if broken is not None:
        logger.error("audit trail broken at event %s: %s", broken.event_id, broken.reason)
        return False
    logger.info("audit trail intact: %s events", checked)
    return True
