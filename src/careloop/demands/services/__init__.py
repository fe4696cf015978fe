"""Every write to demands. Import the functions from here (``from careloop.demands import
services``); each module holds one area:

- ``filing``: ``file_demand`` on every channel, device-alert demands in bulk, the resident's
  confirmation of a system-suggested demand
- ``transitions``: the transition table and the lifecycle moves (accept … fail)
- ``deadlines``: the sweep's ``escalate_overdue``
"""

from careloop.demands.services.deadlines import escalate_overdue
from careloop.demands.services.filing import (
    confirm_suggested_demand,
    file_alert_demands,
    file_demand,
)
from careloop.demands.services.transitions import (
    AUDIT_ACTIONS,
    TRANSITIONS,
    Transition,
    accept_demand,
    complete_demand,
    escalate_demand,
    fail_demand,
    reject_demand,
    schedule_demand,
    start_demand,
    withdraw_demand,
)

__all__ = [
    "AUDIT_ACTIONS",
    "TRANSITIONS",
    "Transition",
    "accept_demand",
    "complete_demand",
    "confirm_suggested_demand",
    "escalate_demand",
    "escalate_overdue",
    "fail_demand",
    "file_alert_demands",
    "file_demand",
    "reject_demand",
    "schedule_demand",
    "start_demand",
    "withdraw_demand",
]
