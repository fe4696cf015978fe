"""Concurrent transitions on PostgreSQL (two threads, two connections): never a second
booking, never a second message, a workbench action's token claimed once. SQLite serialises
writers, so the sequential retries in test_offers.py, test_transitions.py and test_guards.py
cover it there."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking, Service, Slot
from careloop.core import audit
from careloop.core.errors import DomainError
from careloop.demands import services
from careloop.demands.models import ActionGuard, DeadlineBreach
from careloop.demands.services.guards import ONCE_TTL
from careloop.notifications.models import Message
from tests.catalogue.conftest import net  # noqa: F401 (fixture)

from .conftest import NOW

pytestmark = [
    pytest.mark.skipif(connection.vendor == "sqlite", reason="two writers at once need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def race(monkeypatch, slow_action: str, *calls) -> list:
    """Run ``calls`` in threads that start together; the audit write of ``slow_action``
    waits a little so the transactions overlap."""
    real = audit.record
    barrier = threading.Barrier(len(calls))

    def slow(**kwargs):
        if kwargs.get("action") == slow_action:
            threading.Event().wait(0.3)
        return real(**kwargs)

    monkeypatch.setattr(audit, "record", slow)
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except DomainError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return results


@pytest.fixture
def demand(cast, frozen, net):  # noqa: F811
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=3)
    demand = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        service=Service.objects.get(code="basic.common_illness"), modes=["clinic"],
    )  # fmt: skip
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    return demand


def test_two_schedules_at_once_book_one_place(cast, demand, monkeypatch):
    first, second = Slot.objects.filter(status="open").order_by("start")[:2]
    results = race(
        monkeypatch,
        "careloop.demand.scheduled",
        lambda: services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=first),
        lambda: services.schedule_demand(actor=cast.nurse_a, demand=demand, slot=second),
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "Demand"]
    assert Booking.objects.filter(resident=cast.wang).count() == 1
    channels = list(
        Message.objects.filter(kind="demand.scheduled").values_list("channel", flat=True)
    )
    assert channels and len(channels) == len(set(channels))  # one message per channel


def test_the_same_retry_twice_at_once_acts_once(cast, demand, monkeypatch):
    results = race(
        monkeypatch,
        "careloop.demand.offer_accepted",
        lambda: services.accept_offer(actor=cast.wang_user, demand=demand, number=1,
                                      idempotency_key="tap"),
        lambda: services.accept_offer(actor=cast.wang_user, demand=demand, number=1,
                                      idempotency_key="tap"),
    )  # fmt: skip
    assert not [r for r in results if isinstance(r, Exception)]
    assert Booking.objects.filter(resident=cast.wang).count() == 1
    assert demand.events.filter(action="schedule").count() == 1
    assert Message.objects.filter(kind="demand.scheduled").exclude(channel="in_app").count() <= 1


def test_two_sweeps_at_once_record_and_notify_once(cast, frozen, monkeypatch):
    demand = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="想量血压"
    )
    later = NOW + timedelta(hours=25)
    race(
        monkeypatch,
        "careloop.demand.escalated",
        lambda: services.sweep_deadlines(now=later),
        lambda: services.sweep_deadlines(now=later),
    )
    assert DeadlineBreach.objects.filter(demand=demand).count() == 1
    assert Message.objects.filter(kind="demand.escalated", user=cast.doctor_a).count() == 1
    assert demand.events.filter(action="escalate").count() == 1


@pytest.mark.parametrize("expired", [False, True], ids=["new", "expired"])
def test_the_same_token_claimed_in_four_processes_at_once_acts_once(
    cast, frozen, monkeypatch, expired
):
    token = "0123456789abcdef0123456789abcdef"
    if expired:
        ActionGuard.objects.create(key=f"match:{token}", expires_at=NOW - ONCE_TTL)
    claim = lambda: services.claim_once(kind="match", token=token)  # noqa: E731
    results = race(monkeypatch, "", claim, claim, claim, claim)
    assert sorted(results) == [False, False, False, True]
    assert ActionGuard.objects.get().expires_at == NOW + ONCE_TTL
