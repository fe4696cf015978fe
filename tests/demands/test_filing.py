"""Filing a demand: who may file for whom on which channel, validation, idempotent retry,
the same need filed again within minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from careloop.catalogue.models import Service
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.demands import services
from careloop.demands.models import Demand, DemandEvent

from .conftest import NOW, written

ILLNESS = "basic.common_illness"


@pytest.mark.parametrize(
    ("actor", "resident", "channel", "outcome"),
    [
        ("wang_user", "wang", "resident_web", "ok"),
        ("wang_user", "li", "resident_web", "ok"),  # a dependant
        ("wang_user", "zhao", "resident_web", 404),
        ("wang_user", "wang", "staff_phone", 403),
        ("zhao_user", "wang", "resident_web", 404),
        ("doctor_a", "wang", "home_visit", "ok"),
        ("nurse_a", "li", "walk_in", "ok"),
        ("doctor_a", "zhao", "staff_phone", 404),  # another team's resident
        ("doctor_b", "zhao", "clinician_push", "ok"),
        ("director", "zhao", "staff_phone", "ok"),
        ("west_director", "wang", "staff_phone", 404),
        ("cashier", "wang", "walk_in", 404),
        (None, "wang", "device_alert", "ok"),
        (None, "wang", "resident_web", 403),
    ],
)
def test_who_may_file(cast, frozen, actor, resident, channel, outcome):
    user = getattr(cast, actor) if actor else None
    before = written()
    call = lambda: services.file_demand(  # noqa: E731
        actor=user, resident=getattr(cast, resident), channel=channel, description="想量血压"
    )
    if outcome == "ok":
        demand = call()
        assert demand.filed_by == user and demand.status == "submitted"
        event = DemandEvent.objects.get(demand=demand)
        assert (event.action, event.from_status, event.to_status) == ("file", "", "submitted")
        assert AuditEvent.objects.filter(
            action="careloop.demand.filed", object_id=demand.public_id
        ).exists()
        return
    error = NotFoundError if outcome == 404 else ForbiddenError
    with pytest.raises(error) as exc:
        call()
    assert exc.value.status == outcome
    assert written() == before


def test_preferences_are_kept(cast, frozen):
    demand = services.file_demand(
        actor=cast.wang_user,
        resident=cast.wang,
        channel="resident_web",
        service=Service.objects.get(code="basic.common_illness"),
        modes=["home", "clinic", "home"],
        windows=[{"start": "2026-02-10T08:00:00+08:00", "end": "2026-02-10T12:00:00+08:00"}],
        provider_sex="F",
    )
    demand.refresh_from_db()
    assert demand.modes == ["home", "clinic"]
    assert demand.windows == [
        {"start": "2026-02-10T08:00:00+08:00", "end": "2026-02-10T12:00:00+08:00"}
    ]
    assert demand.provider_sex == "F" and demand.service.code == "basic.common_illness"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"description": "体检", "modes": ["teleport"]}, "modes"),
        ({"description": "体检", "windows": [{"start": "2026-02-10T08:00"}]}, "windows"),
        (
            {
                "description": "体检",
                "windows": [{"start": "2026-02-10T08:00", "end": "2026-02-10T09:00"}],
            },
            "windows",
        ),
        ({"description": "体检", "provider_sex": "X"}, "provider_sex"),
    ],
)
def test_invalid_demands_are_refused_and_write_nothing(cast, frozen, kwargs, field):
    before = written()
    with pytest.raises(DomainError) as exc:
        services.file_demand(
            actor=cast.wang_user, resident=cast.wang, channel="resident_web", **kwargs
        )
    assert exc.value.status == 400 and field in exc.value.fields
    assert written() == before


def test_a_retried_filing_returns_the_same_demand(cast, frozen):
    first = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        description="想量血压", idempotency_key="k-1",
    )  # fmt: skip
    before = written()
    again = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        description="想量血压", idempotency_key="k-1",
    )  # fmt: skip
    assert again.pk == first.pk
    assert written() == before
    assert Demand.objects.count() == 1
    retried = services.file_or_find_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web",
        description="想量血压", idempotency_key="k-1",
    )  # fmt: skip
    assert (retried.demand.pk, retried.found, retried.is_new) == (first.pk, "retry", False)


# ---- the same need filed again within minutes -----------------------------------------------


def refile(cast, actor="wang_user", channel="resident_web", service=ILLNESS, **kwargs):
    return services.file_or_find_demand(
        actor=getattr(cast, actor) if actor else None, resident=kwargs.pop("resident", cast.wang),
        channel=channel,
        service=Service.objects.get(code=service) if service else None, **kwargs,
    )  # fmt: skip


def test_a_new_demand_is_new(cast, frozen):
    filed = refile(cast, idempotency_key="page-1")
    assert (filed.found, filed.is_new) == ("", True)
    assert filed.demand.status == "submitted"


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ({}, {}),  # back and submit again: a new form key
        ({}, {"description": "咳嗽", "modes": ["home"]}),  # the service decides
        ({}, {"actor": "nurse_a", "channel": "staff_phone"}),  # then a call about it
        (
            {"actor": "doctor_a", "channel": "home_visit"},
            {"actor": "nurse_a", "channel": "walk_in"},
        ),
        (
            {"service": None, "description": "想量血压"},
            {"service": None, "description": " 想量  血压 "},
        ),
        (
            {"service": None, "description": "ＢＰ check"},
            {"service": None, "description": "bp CHECK"},
        ),
    ],
)
def test_the_same_need_filed_again_within_minutes_returns_the_open_demand(
    cast, frozen, first, again
):
    demand = refile(cast, idempotency_key="page-1", **first).demand
    frozen(NOW + timedelta(minutes=10))
    before = written()
    filed = refile(cast, idempotency_key="page-2", **again)
    assert (filed.demand.pk, filed.found, filed.is_new) == (demand.pk, "recent", False)
    assert written() == before


def test_file_demand_answers_the_demand_already_filed(cast, frozen):
    """``file_demand`` (for callers that need only the demand) does the same."""
    illness = Service.objects.get(code=ILLNESS)
    first = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", service=illness
    )
    again = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", service=illness
    )
    assert again.pk == first.pk and Demand.objects.count() == 1


@pytest.mark.parametrize(
    "again",
    [
        {"service": "basic.chronic_refill"},  # another service
        {"service": None, "description": "想量血压"},  # words, no service
        {"resident": "li"},  # another resident (a dependant)
    ],
)
def test_another_need_is_filed(cast, frozen, again):
    demand = refile(cast).demand
    if "resident" in again:
        again = {"resident": getattr(cast, again["resident"])}
    filed = refile(cast, **again)
    assert filed.is_new and filed.demand.pk != demand.pk
    assert Demand.objects.count() == 2


def test_other_words_without_a_service_are_another_need(cast, frozen):
    first = refile(cast, service=None, description="想量血压").demand
    filed = refile(cast, service=None, description="想量血糖")
    assert filed.is_new and filed.demand.pk != first.pk


def test_after_ten_minutes_the_same_need_is_a_new_demand(cast, frozen):
    first = refile(cast).demand
    frozen(NOW + timedelta(minutes=10, seconds=1))
    filed = refile(cast)
    assert filed.is_new and filed.demand.pk != first.pk
    assert Demand.objects.count() == 2


@pytest.mark.parametrize("end", ["withdraw", "complete"])
def test_a_demand_no_longer_open_does_not_block_filing_again(cast, frozen, end):
    first = refile(cast).demand
    if end == "withdraw":
        services.withdraw_demand(actor=cast.wang_user, demand=first, reason="不需要了")
    else:
        Demand.objects.filter(pk=first.pk).update(status="completed")
    filed = refile(cast)
    assert filed.is_new and filed.demand.pk != first.pk


def test_system_channels_keep_their_own_keys(cast, frozen):
    """A package falling due or a review answer is not a person filing again: two keys, two
    demands; and a demand the system suggested does not swallow the resident's own request."""
    due = [
        refile(
            cast,
            actor=None,
            channel="package_due",
            system_suggested=True,
            idempotency_key=f"due:{n}",
        )
        for n in range(2)
    ]
    assert all(f.is_new for f in due) and due[0].demand.pk != due[1].demand.pk
    mine = refile(cast)
    assert mine.is_new and Demand.objects.count() == 3


def test_confirming_a_suggested_demand(cast, frozen):
    demand = services.file_demand(
        actor=None, resident=cast.wang, channel="package_due", description="季度随访",
        system_suggested=True,
    )  # fmt: skip
    services.confirm_suggested_demand(actor=cast.wang_user, demand=demand, confirmed=True)
    before = written()
    services.confirm_suggested_demand(actor=cast.wang_user, demand=demand, confirmed=True)
    assert written() == before
    demand.refresh_from_db()
    assert demand.resident_confirmed is True and demand.status == "submitted"
    with pytest.raises(DomainError) as exc:
        services.confirm_suggested_demand(actor=cast.wang_user, demand=demand, confirmed=False)
    assert exc.value.status == 409
    with pytest.raises(NotFoundError):
        services.confirm_suggested_demand(actor=cast.zhao_user, demand=demand, confirmed=True)


def test_declining_a_suggested_demand_withdraws_it(cast, frozen):
    demand = services.file_demand(
        actor=None, resident=cast.li, channel="life_event", description="退休体检",
        system_suggested=True,
    )  # fmt: skip
    services.confirm_suggested_demand(actor=cast.wang_user, demand=demand, confirmed=False)
    demand.refresh_from_db()
    assert (demand.resident_confirmed, demand.status) == (False, "withdrawn")
    assert list(demand.events.values_list("action", flat=True)) == ["file", "decline"]


def test_a_demand_not_suggested_cannot_be_confirmed(cast, frozen):
    demand = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="体检"
    )
    with pytest.raises(DomainError) as exc:
        services.confirm_suggested_demand(actor=cast.wang_user, demand=demand, confirmed=True)
    assert exc.value.status == 409
