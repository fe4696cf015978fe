"""Every write to demands. Import the functions from here (``from careloop.demands import
services``); each module holds one area:

- ``filing``: ``file_demand`` on every channel (``file_or_find_demand`` also says whether
  the demand was there already), device-alert demands in bulk, the resident's
  confirmation of a system-suggested demand
- ``transitions``: the transition table and the lifecycle moves (accept … fail)
- ``offers``: online matching of one demand, and the resident's answer to its offers
- ``green``: the emergency green channel of critical demands
- ``deadlines``: the sweep that escalates and records breaches
- ``intake``: package services falling due, and demands from review questionnaires
- ``evaluation``: ratings and the follow-up call after completion
- ``replan``: the batch optimiser over unconfirmed demands, and the day-before reminders
- ``notices``: what each step tells whom, through the notifications outbox
- ``guards``: one-use tokens of the workbench actions without an idempotency key
"""

from careloop.demands.services.deadlines import escalate_overdue, sweep_deadlines
from careloop.demands.services.evaluation import rate_demand, record_follow_up
from careloop.demands.services.filing import (
    FOUND_RECENT,
    FOUND_RETRY,
    FiledDemand,
    confirm_suggested_demand,
    file_alert_demands,
    file_demand,
    file_or_find_demand,
)
from careloop.demands.services.green import open_green_channel, record_green_step
from careloop.demands.services.guards import claim_once
from careloop.demands.services.intake import file_demands_from_answers, file_package_due_demands
from careloop.demands.services.offers import (
    accept_offer,
    decline_offer,
    match_demand,
)
from careloop.demands.services.replan import ReplanResult, replan_unconfirmed, send_reminders
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
    "FOUND_RECENT",
    "FOUND_RETRY",
    "TRANSITIONS",
    "FiledDemand",
    "ReplanResult",
    "Transition",
    "accept_demand",
    "accept_offer",
    "claim_once",
    "complete_demand",
    "confirm_suggested_demand",
    "decline_offer",
    "escalate_demand",
    "escalate_overdue",
    "fail_demand",
    "file_alert_demands",
    "file_demand",
    "file_demands_from_answers",
    "file_or_find_demand",
    "file_package_due_demands",
    "match_demand",
    "open_green_channel",
    "rate_demand",
    "record_follow_up",
    "record_green_step",
    "reject_demand",
    "replan_unconfirmed",
    "schedule_demand",
    "send_reminders",
    "start_demand",
    "sweep_deadlines",
    "withdraw_demand",
]
