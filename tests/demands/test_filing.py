"""Filing a demand: who may file for whom on which channel, validation, idempotent retry."""

from __future__ import annotations

import pytest

from careloop.catalogue.models import Service
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.demands import services
from careloop.demands.models import Demand, DemandEvent

from .conftest import written


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
