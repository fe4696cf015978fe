"""Ratings (one per demand, retried forms count once) and the follow-up call due 24 h after
completion, whose new needs file demands once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from careloop.catalogue.models import Service
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.demands import services
from careloop.demands.models import Demand, FollowUpCall, Rating
from careloop.demands.services.evaluation import rate_demand, record_follow_up

from .conftest import NOW


@pytest.fixture
def done(cast, frozen):
    demand = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="换药"
    )
    for move in (services.accept_demand, services.start_demand, services.complete_demand):
        move(actor=cast.doctor_a, demand=demand)
    return demand


def test_completion_creates_the_follow_up_call_for_the_family_doctor(cast, done):
    call = FollowUpCall.objects.get(demand=done)
    assert (call.assigned_to, call.due_at, call.status) == (
        cast.doctor_a, NOW + timedelta(hours=24), "due",
    )  # fmt: skip


def test_the_resident_rates_once(cast, done):
    rating = rate_demand(
        actor=cast.wang_user, demand=done, overall=5, response_speed=4, comment="很好"
    )
    assert (rating.source, rating.overall, rating.response_speed, rating.attitude) == (
        "portal", 5, 4, None,
    )  # fmt: skip
    again = rate_demand(
        actor=cast.wang_user, demand=done, overall=5, response_speed=4, comment="很好"
    )
    assert again.pk == rating.pk
    with pytest.raises(ConflictError):
        rate_demand(actor=cast.wang_user, demand=done, overall=1)
    assert Rating.objects.count() == 1


@pytest.mark.parametrize("stars", [0, 6, None, "x"])
def test_stars_are_one_to_five(cast, done, stars):
    with pytest.raises(DomainError) as error:
        rate_demand(actor=cast.wang_user, demand=done, overall=stars)
    assert "overall" in error.value.fields
    assert not Rating.objects.exists()


def test_only_completed_demands_by_people_who_see_them(cast, frozen, done):
    open_demand = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="复诊"
    )
    with pytest.raises(ConflictError):
        rate_demand(actor=cast.wang_user, demand=open_demand, overall=5)
    with pytest.raises(NotFoundError):
        rate_demand(actor=cast.zhao_user, demand=done, overall=5)
    with pytest.raises(ForbiddenError):
        rate_demand(actor=cast.wang_user, demand=done, overall=5, source="phone")
    assert rate_demand(actor=cast.nurse_a, demand=done, overall=4).source == "phone"


def test_the_follow_up_files_new_needs_once(cast, done):
    call = done.follow_up
    foot = Service.objects.get(code="maintenance.diabetic_foot_screening")
    before = Demand.objects.count()
    recorded = record_follow_up(
        actor=cast.doctor_a, call=call, reached=True, problem_solved=True,
        new_needs="脚麻", new_services=[foot],
    )  # fmt: skip
    assert (recorded.status, recorded.problem_solved, recorded.done_by) == (
        "done", True, cast.doctor_a,
    )  # fmt: skip
    new = Demand.objects.exclude(pk=done.pk).get()
    assert (new.service, new.channel, new.source_ref) == (
        foot, "staff_phone", f"follow_up:{done.public_id}",
    )  # fmt: skip
    record_follow_up(actor=cast.doctor_a, call=call, reached=True, new_services=[foot])
    assert Demand.objects.count() == before + 1


def test_unreachable_and_permissions(cast, done):
    with pytest.raises(NotFoundError):
        record_follow_up(actor=cast.doctor_b, call=done.follow_up, reached=True)
    with pytest.raises(ForbiddenError):
        record_follow_up(actor=cast.wang_user, call=done.follow_up, reached=True)
    call = record_follow_up(actor=cast.nurse_a, call=done.follow_up, reached=False)
    assert (call.status, call.problem_solved) == ("unreachable", None)


def test_rating_page_and_follow_up_pages(client, cast, done):
    client.force_login(cast.wang_user)
    url = f"/r/demands/{done.public_id}/rate/"
    assert f'href="{url}"' in client.get(f"/r/demands/{done.public_id}/").content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"overall": "5", "attitude": "4", "comment": "谢谢"})
    assert response.status_code == 302
    assert Rating.objects.get(demand=done).attitude == 4
    assert client.post(url, {"overall": "1"}).status_code == 200  # already rated: shown
    assert Rating.objects.get(demand=done).overall == 5
    assert "5 ★" in client.get(f"/r/demands/{done.public_id}/").content.decode()
    client.force_login(cast.zhao_user)
    assert client.get(url).status_code == 404
    client.force_login(cast.doctor_a)
    listing = client.get("/w/follow-ups/")
    assert listing.status_code == 200 and cast.wang.name in listing.content.decode()
    page = f"/w/follow-ups/{done.public_id}/"
    assert client.get(page).status_code == 200
    response = client.post(page, {"reached": "yes", "problem_solved": "yes", "note": "好多了"})
    assert response.status_code == 302
    assert FollowUpCall.objects.get(demand=done).status == "done"
    client.force_login(cast.doctor_b)
    assert client.get(page).status_code == 404
