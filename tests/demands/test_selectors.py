"""Who sees which demands, and the clinician's queue order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.core.errors import NotFoundError
from careloop.demands import selectors, services

from .conftest import NOW


@pytest.fixture
def demands(cast, frozen):
    def file(resident, description, minutes=0):
        frozen(NOW + timedelta(minutes=minutes))
        return services.file_demand(
            actor=cast.director, resident=resident, channel="staff_phone", description=description
        )

    return {
        "wang_routine": file(cast.wang, "想量血压"),
        "li_urgent": file(cast.li, "高烧", 1),
        "wang_critical": file(cast.wang, "胸痛", 2),
        "wang_routine_later": file(cast.wang, "想复查", 3),
        "zhao": file(cast.zhao, "想体检", 4),
        "chen": services.file_demand(
            actor=cast.west_director, resident=cast.chen, channel="walk_in", description="体检"
        ),
    }


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("wang_user", {"wang_routine", "li_urgent", "wang_critical", "wang_routine_later"}),
        ("zhao_user", {"zhao"}),
        ("doctor_a", {"wang_routine", "li_urgent", "wang_critical", "wang_routine_later"}),
        ("doctor_b", {"zhao"}),
        ("director", {"wang_routine", "li_urgent", "wang_critical", "wang_routine_later", "zhao"}),
        ("west_director", {"chen"}),
        ("cashier", set()),
    ],
)
def test_demands_visible_to(cast, demands, user, expected):
    seen = set(selectors.demands_visible_to(getattr(cast, user)).values_list("pk", flat=True))
    assert seen == {demands[name].pk for name in expected}


def test_outside_the_scope_is_404(cast, demands):
    assert selectors.get_demand_for(cast.doctor_a, demands["li_urgent"].public_id)
    with pytest.raises(NotFoundError):
        selectors.get_demand_for(cast.doctor_b, demands["li_urgent"].public_id)


def test_queue_is_ordered_by_tier_then_deadline(cast, demands):
    services.withdraw_demand(actor=cast.wang_user, demand=demands["wang_routine_later"])
    list(selectors.clinician_queue(cast.doctor_a))  # the user's roles are cached after this
    with CaptureQueriesContext(connection) as queries:
        queue = list(selectors.clinician_queue(cast.doctor_a))
        names = [(d.resident.name, d.service) for d in queue]
    assert [d.pk for d in queue] == [
        demands[n].pk for n in ("wang_critical", "li_urgent", "wang_routine")
    ]
    assert names[0] == ("王秀英", None)
    assert len(queries) == 1
