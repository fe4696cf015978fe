"""Staff pages for demands: the workbench queue, one demand with its history and actions,
filing on a resident's behalf, the green channel, and the console's breaches and re-plan.
Clock frozen at Monday 9 February 2026, 08:00 Shanghai time."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking, Service, Slot
from careloop.core.models import AuditEvent
from careloop.core.roles import Role
from careloop.demands import services
from careloop.demands.models import (
    ActionGuard,
    DeadlineBreach,
    Demand,
    DemandEvent,
    DemandOffer,
    GreenChannelCase,
)
from careloop.residents.models import Resident
from tests.catalogue.conftest import net  # noqa: F401 (fixture)
from tests.conftest import make_user
from tests.observations.test_pages import assert_no_inline_script_or_style

from .conftest import NOW, SHANGHAI, written

QUEUE = "/w/demands/"
GREEN = "/w/green/"
CONSOLE = "/console/demands/"
TOKEN = "0123456789abcdef0123456789abcdef"


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def page_url(demand) -> str:
    return f"/w/demands/{demand.public_id}/"


def act_url(demand, action: str) -> str:
    return f"/w/demands/{demand.public_id}/actions/{action}/"


def file_url(resident) -> str:
    return f"/w/residents/{resident.public_id}/demands/new/"


def green_url(demand, step: str) -> str:
    return f"/w/green/{demand.public_id}/{step}/"


def post(client, demand, action: str, token: str = TOKEN, **data):
    fields = {f"{action}-token": token, **{f"{action}-{k}": v for k, v in data.items()}}
    return client.post(act_url(demand, action), fields)


def file(actor, resident, description="想量血压", **kwargs) -> Demand:
    return services.file_demand(
        actor=actor, resident=resident, channel=kwargs.pop("channel", "staff_phone"),
        description=description, **kwargs,
    )  # fmt: skip


def shown_actions(html: str) -> set[str]:
    return set(re.findall(r'/actions/([a-z]+)/"', html))


def count_changes() -> tuple[int, int, int, int]:
    return (*written(), Booking.objects.count())


@pytest.fixture
def demand(cast, frozen) -> Demand:
    return file(cast.nurse_a, cast.wang)


@pytest.fixture
def slots(cast, net):  # noqa: F811
    """Monday's clinic of the east centre's family doctor: 08:30 … 12:00, one place each."""
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=3)
    return list(Slot.objects.filter(provider=net.doctor).order_by("start"))


@pytest.fixture
def served(cast, slots) -> Demand:
    """A demand for a service the doctor's clinic offers: matched at once (offers)."""
    return file(
        cast.nurse_a, cast.wang, "", service=Service.objects.get(code="basic.common_illness")
    )


# ---- who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("doctor_a", 200),
        ("nurse_a", 200),
        ("director", 200),
        ("admin", 200),
        ("cashier", 403),
        ("wang_user", 403),
    ],
)
def test_workbench_pages_by_role(client, cast, demand, persona, status):
    client.force_login(getattr(cast, persona))
    for url in (QUEUE, GREEN, page_url(demand), file_url(cast.wang)):
        assert client.get(url).status_code == status, url


@pytest.mark.parametrize("persona", ["doctor_b", "west_director"])
def test_another_teams_staff_get_404_on_a_demand(client, cast, demand, persona):
    client.force_login(getattr(cast, persona))
    before = count_changes()
    assert client.get(page_url(demand)).status_code == 404
    assert post(client, demand, "accept").status_code == 404
    assert client.get(file_url(cast.wang)).status_code == 404
    filing = {"token": TOKEN, "channel": "staff_phone", "description": "想量血压"}
    assert client.post(file_url(cast.wang), filing).status_code == 404
    assert count_changes() == before
    assert demand.public_id not in client.get(QUEUE).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, demand):
    for url in (QUEUE, GREEN, page_url(demand), CONSOLE):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("director", 200),
        ("quality_manager", 200),
        ("admin", 200),
        ("auditor", 403),
        ("doctor_a", 403),
        ("wang_user", 403),
    ],
)
def test_console_page_by_role(client, cast, demand, persona, status):
    if persona == "quality_manager":
        user = make_user("qm", Role.QUALITY_MANAGER, community=cast.east)
    else:
        user = getattr(cast, persona)
    client.force_login(user)
    assert client.get(CONSOLE).status_code == status
    response = client.post("/console/demands/replan/", {"token": TOKEN})
    assert response.status_code == (302 if status == 200 else 403)


# ---- the queue -----------------------------------------------------------------------------


def test_queue_lists_my_teams_open_demands_critical_first(client, cast, demand):
    english(client)
    Resident.objects.filter(pk=cast.li.pk).update(contact_note="耳背，请打电话")
    routine_li = file(cast.doctor_a, cast.li, "复诊开药")
    critical = file(cast.nurse_a, cast.li, "突发胸痛")
    zhao = file(cast.doctor_b, cast.zhao, "想量血压")
    done = file(cast.doctor_a, cast.wang, "换药")
    services.withdraw_demand(actor=cast.doctor_a, demand=done)
    client.force_login(cast.doctor_a)
    response = client.get(QUEUE)
    html = response.content.decode()
    rows = re.findall(r'data-demand="(\w+)"', html)
    assert rows == [critical.public_id, demand.public_id, routine_li.public_id]
    assert zhao.public_id not in html and done.public_id not in html
    assert "耳背，请打电话" in html
    assert "Critical" in html and "tag-failure tier-badge" in html
    assert "Phone call to staff" in html and "Urgent and important" in html
    assert 'href="/w/demands/"' in html and 'aria-current="page"' in html
    assert_no_inline_script_or_style(response)


def test_queue_filters(client, cast, demand, frozen):
    other = file(cast.nurse_a, cast.li, "复诊开药")
    critical = file(cast.nurse_a, cast.li, "突发胸痛")
    services.accept_demand(actor=cast.doctor_a, demand=other)
    client.force_login(cast.doctor_a)

    def rows(query: str) -> list[str]:
        return re.findall(r'data-demand="(\w+)"', client.get(QUEUE + query).content.decode())

    assert rows("?status=accepted") == [other.public_id]
    assert rows("?tier=critical") == [critical.public_id]
    assert rows("?mine=on") == [other.public_id]
    assert rows("?overdue=on") == []
    # Critical demands are due at once; at 09:00 the next day the routine one nobody accepted
    # is late too (the accepted one has three working days to be matched).
    frozen(datetime(2026, 2, 10, 9, 0, tzinfo=SHANGHAI))
    html = client.get(QUEUE + "?overdue=on").content.decode()
    assert re.findall(r'data-demand="(\w+)"', html) == [critical.public_id, demand.public_id]
    assert "is-overdue" in html and "due-overdue" in html
    assert rows("?tier=bogus") == rows("")  # a bad filter is ignored


def test_queue_paginates(client, cast, frozen):
    for i in range(27):
        file(cast.nurse_a, cast.wang, f"需求 {i}")
    client.force_login(cast.doctor_a)
    html = client.get(QUEUE).content.decode()
    assert len(re.findall(r'data-demand="', html)) == 25
    assert 'rel="next"' in html
    assert len(re.findall(r'data-demand="', client.get(QUEUE + "?page=2").content.decode())) == 2


def test_queue_query_count_does_not_grow_with_demands(client, cast, frozen):
    client.force_login(cast.doctor_a)
    file(cast.nurse_a, cast.wang, "想量血压")
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for i in range(6):
        demand = file(cast.nurse_a, cast.li if i % 2 else cast.wang, f"需求 {i}")
        if i % 3 == 0:
            services.accept_demand(actor=cast.doctor_a, demand=demand)
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUE)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# ---- one demand ----------------------------------------------------------------------------


def test_demand_page_shows_history_deadlines_and_only_legal_actions(client, cast, demand):
    english(client)
    Resident.objects.filter(pk=cast.wang.pk).update(contact_note="耳背，请打电话")
    client.force_login(cast.doctor_a)
    response = client.get(page_url(demand))
    html = response.content.decode()
    assert response.status_code == 200
    assert "想量血压" in html and "耳背，请打电话" in html
    assert "Filed" in html and "Nurse_A" in html  # the history: what and who
    assert shown_actions(html) == {"accept", "reject", "escalate", "withdraw"}
    assert "Accept" in html and "Send back" in html and "Start service" not in html
    assert_no_inline_script_or_style(response)

    services.accept_demand(actor=cast.doctor_a, demand=demand)
    html = client.get(page_url(demand)).content.decode()
    assert shown_actions(html) == {
        "schedule", "start", "reject", "escalate", "fail", "withdraw",
    }  # fmt: skip
    assert "Accepted" in html and "Doctor_A" in html


def test_opening_a_demand_page_is_audited(client, cast, demand):
    client.force_login(cast.doctor_a)
    before = AuditEvent.objects.count()
    assert client.get(page_url(demand)).status_code == 200
    event = AuditEvent.objects.get(action="careloop.resident.viewed")
    assert (event.actor_id, event.object_type, event.object_id) == (
        cast.doctor_a.pk, "residents.resident", cast.wang.public_id,
    )  # fmt: skip
    assert event.detail == {
        "purpose": "demands.workbench",
        "residents": [cast.wang.public_id],
        "demands": [demand.public_id],
    }
    assert AuditEvent.objects.count() == before + 1
    # A demand outside the caller's scope is 404 and nothing is recorded.
    client.force_login(cast.doctor_b)
    assert client.get(page_url(demand)).status_code == 404
    assert AuditEvent.objects.count() == before + 1


def test_demand_page_lists_offers_and_schedules_an_offered_time(client, cast, served, slots):
    english(client)
    offers = list(DemandOffer.objects.filter(demand=served).order_by("number"))
    assert offers, "the clinic's slots should be offered"
    client.force_login(cast.doctor_a)
    html = client.get(page_url(served)).content.decode()
    assert "Offered times" in html and "王医生" in html
    assert shown_actions(html) >= {"accept", "match"}
    services.accept_demand(actor=cast.doctor_a, demand=served)
    html = client.get(page_url(served)).content.decode()
    assert f'value="offer-{offers[0].number}"' in html
    assert f'value="slot-{slots[-1].public_id}"' in html  # free slots of the service too
    before = Booking.objects.count()
    response = post(client, served, "schedule", choice=f"offer-{offers[0].number}")
    assert response.status_code == 302
    served.refresh_from_db()
    assert served.status == "scheduled" and served.booking.slot == offers[0].slot
    assert Booking.objects.count() == before + 1
    offers[0].refresh_from_db()
    assert offers[0].status == "accepted"
    html = client.get(page_url(served)).content.decode()
    assert "The demand is scheduled." in html
    assert shown_actions(html) == {"start", "fail", "withdraw"}


def test_schedule_choices_show_times_as_chinese_readers_expect(client, cast, demand, slots):
    client.force_login(cast.doctor_a)
    assert post(client, demand, "accept").status_code == 302
    html = client.get(page_url(demand)).content.decode()
    start = timezone.localtime(slots[2].start)
    label = f"{start.year}年{start.month}月{start.day}日 {start:%H:%M} · "
    assert re.search(rf'value="slot-{slots[2].public_id}"[^>]*>{re.escape(label)}', html)


def test_schedule_into_a_free_slot_and_serve(client, cast, demand, slots):
    english(client)
    client.force_login(cast.doctor_a)
    assert post(client, demand, "accept").status_code == 302
    slot = slots[2]
    response = post(client, demand, "schedule", token="1" * 32, choice=f"slot-{slot.public_id}")
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.status == "scheduled" and demand.booking.slot == slot
    assert post(client, demand, "start", token="2" * 32).status_code == 302
    assert post(client, demand, "complete", token="3" * 32).status_code == 302
    demand.refresh_from_db()
    assert demand.status == "completed"
    assert list(demand.events.values_list("action", flat=True)) == [
        "file", "accept", "schedule", "start", "complete",
    ]  # fmt: skip
    html = client.get(page_url(demand)).content.decode()
    assert shown_actions(html) == set()
    assert "Nothing more to do" in html


@pytest.mark.parametrize(
    ("action", "setup", "status", "extra"),
    [
        ("accept", None, "accepted", {}),
        ("reject", "accept", "submitted", {"reason": "需专科处理"}),
        ("escalate", None, "escalated", {"reason": "需要组长决定"}),
        ("fail", "accept", "failed", {"reason": "联系不上"}),
        ("withdraw", None, "withdrawn", {"reason": "已好转"}),
        ("start", "accept", "in_progress", {}),
    ],
)
def test_each_action_changes_the_demand(client, cast, demand, action, setup, status, extra):
    if setup:
        services.accept_demand(actor=cast.doctor_a, demand=demand)
    client.force_login(cast.doctor_a)
    response = post(client, demand, action, **extra)
    assert response.status_code == 302 and response["Location"] == page_url(demand)
    demand.refresh_from_db()
    assert demand.status == status
    event = demand.events.last()
    assert event.action == action and event.actor == cast.doctor_a
    if extra.get("reason"):
        assert event.detail.get("reason") == extra["reason"]


def test_match_again_makes_new_offers(client, cast, served):
    english(client)
    first = set(DemandOffer.objects.filter(demand=served).values_list("number", flat=True))
    client.force_login(cast.doctor_a)
    response = post(client, served, "match")
    assert response.status_code == 302
    offers = DemandOffer.objects.filter(demand=served)
    assert offers.filter(status="offered").exclude(number__in=first).exists()
    assert offers.filter(number__in=first, status="expired").count() == len(first)
    # The same button clicked twice (same token) matches once.
    before = DemandOffer.objects.count()
    post(client, served, "match")
    assert DemandOffer.objects.count() == before
    html = client.get(page_url(served)).content.decode()
    assert "This was already done." in html


def test_match_again_is_guarded_in_the_database_until_the_guard_expires(
    client, cast, served, frozen
):
    """The token is claimed by a row every web process sees (not a per-process cache)."""
    english(client)
    client.force_login(cast.doctor_a)
    post(client, served, "match")
    guard = ActionGuard.objects.get()
    assert guard.key == f"match:{TOKEN}" and guard.expires_at == NOW + timedelta(minutes=10)
    before = DemandOffer.objects.count()
    frozen(NOW + timedelta(minutes=9))
    post(client, served, "match")
    assert DemandOffer.objects.count() == before
    # Once the guard has expired, the same token acts again (and the old guard is replaced).
    frozen(NOW + timedelta(minutes=10, seconds=1))
    response = post(client, served, "match")
    assert response.status_code == 302
    assert DemandOffer.objects.count() > before
    guard = ActionGuard.objects.get()
    assert guard.expires_at == NOW + timedelta(minutes=20, seconds=1)


def test_an_illegal_action_shows_the_conflict_and_changes_nothing(client, cast, demand):
    english(client)
    client.force_login(cast.doctor_a)
    before = count_changes()
    response = post(client, demand, "complete")
    assert response.status_code == 409
    html = response.content.decode()
    assert "cannot be changed this way (complete)" in html
    assert 'class="form-errors"' in html
    assert count_changes() == before
    demand.refresh_from_db()
    assert demand.status == "submitted"


def test_a_missing_reason_is_a_field_error(client, cast, demand):
    english(client)
    client.force_login(cast.doctor_a)
    before = count_changes()
    response = post(client, demand, "reject", reason="  ")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give a reason for rejecting." in html
    assert count_changes() == before


def test_an_unknown_action_or_a_get_is_refused(client, cast, demand):
    client.force_login(cast.doctor_a)
    assert client.post(act_url(demand, "explode"), {"token": TOKEN}).status_code == 404
    assert client.get(act_url(demand, "accept")).status_code == 405
    response = client.post(act_url(demand, "accept"), {})  # no token: nothing happens
    assert response.status_code == 400
    demand.refresh_from_db()
    assert demand.status == "submitted"


def test_a_double_click_acts_once(client, cast, demand, slots):
    client.force_login(cast.doctor_a)
    post(client, demand, "accept")
    before = count_changes()
    assert post(client, demand, "accept").status_code == 302
    assert count_changes() == before
    assert DemandEvent.objects.filter(demand=demand, action="accept").count() == 1

    choice = f"slot-{slots[1].public_id}"
    post(client, demand, "schedule", token="9" * 32, choice=choice)
    before = count_changes()
    # The second click's choice list no longer has the (now full) slot: refused, no booking.
    post(client, demand, "schedule", token="9" * 32, choice=choice)
    assert count_changes() == before
    slots[1].refresh_from_db()
    assert slots[1].booked_count == 1


def test_a_retried_schedule_with_the_same_token_books_once(client, cast, demand, slots):
    # Two places: the slot is still offered on the second click, the key stops a 2nd booking.
    Slot.objects.filter(pk=slots[1].pk).update(capacity=2)
    client.force_login(cast.doctor_a)
    post(client, demand, "accept")
    choice = f"slot-{slots[1].public_id}"
    assert post(client, demand, "schedule", token="9" * 32, choice=choice).status_code == 302
    before = count_changes()
    assert post(client, demand, "schedule", token="9" * 32, choice=choice).status_code == 302
    assert count_changes() == before
    slots[1].refresh_from_db()
    assert slots[1].booked_count == 1


# ---- filing for a resident -----------------------------------------------------------------


def test_record_page_links_to_filing_and_lists_open_demands(client, cast, demand):
    client.force_login(cast.doctor_a)
    html = client.get(f"/w/residents/{cast.wang.public_id}/").content.decode()
    assert f'href="{file_url(cast.wang)}"' in html
    listing = f"/w/residents/{cast.wang.public_id}/demands/"
    assert f'hx-get="{listing}"' in html
    fragment = client.get(listing, headers={"HX-Request": "true"}).content.decode()
    assert page_url(demand) in fragment and "<html" not in fragment
    full = client.get(listing).content.decode()
    assert page_url(demand) in full and "<html" in full
    client.force_login(cast.doctor_b)
    assert client.get(listing).status_code == 404


def test_filing_by_phone(client, cast, frozen):
    english(client)
    client.force_login(cast.nurse_a)
    response = client.get(file_url(cast.wang))
    assert response.status_code == 200
    assert_no_inline_script_or_style(response)
    data = {
        "token": TOKEN,
        "channel": "staff_phone",
        "service": Service.objects.get(code="basic.common_illness").pk,
        "description": "咳嗽三天",
        "modes": ["clinic", "home"],
        "window_date": "2026-02-10",
        "window_from": "09:00",
        "window_to": "11:00",
        "provider_sex": "F",
    }
    response = client.post(file_url(cast.wang), data)
    demand = Demand.objects.get(resident=cast.wang)
    assert response.status_code == 302 and response["Location"] == page_url(demand)
    assert (demand.channel, demand.filed_by, demand.system_suggested) == (
        "staff_phone", cast.nurse_a, False,
    )  # fmt: skip
    assert demand.service.code == "basic.common_illness"
    assert demand.modes == ["clinic", "home"] and demand.provider_sex == "F"
    assert demand.windows == [
        {"start": "2026-02-10T09:00:00+08:00", "end": "2026-02-10T11:00:00+08:00"}
    ]
    # The same form sent again (a double click) files once.
    assert client.post(file_url(cast.wang), data)["Location"] == page_url(demand)
    assert Demand.objects.count() == 1
    # The same need filed again from a new form (back, or a second call): the demand already
    # open is shown, not a second one.
    again = client.post(file_url(cast.wang), {**data, "token": "f" * 32}, follow=True)
    assert again.redirect_chain == [(page_url(demand), 302)]
    assert Demand.objects.count() == 1
    html = again.content.decode()
    assert "The same demand was filed for this resident a few minutes ago; here it is." in html


def test_a_clinician_push_is_system_suggested(client, cast, frozen):
    client.force_login(cast.doctor_a)
    client.post(
        file_url(cast.li),
        {"token": TOKEN, "channel": "clinician_push", "description": "血压波动，建议随访"},
    )
    demand = Demand.objects.get(resident=cast.li)
    assert (demand.channel, demand.system_suggested, demand.resident_confirmed) == (
        "clinician_push", True, None,
    )  # fmt: skip


def test_filing_errors_are_shown_and_nothing_is_written(client, cast, frozen):
    english(client)
    client.force_login(cast.doctor_a)
    before = written()
    response = client.post(file_url(cast.wang), {"token": TOKEN, "channel": "staff_phone"})
    assert response.status_code == 400
    assert "Choose a service or describe the need." in response.content.decode()
    response = client.post(
        file_url(cast.wang),
        {"token": TOKEN, "channel": "staff_phone", "description": "x", "window_from": "09:00"},
    )
    assert response.status_code == 400
    assert "Choose the day of the time window." in response.content.decode()
    response = client.post(
        file_url(cast.wang),
        {"token": TOKEN, "channel": "resident_web", "description": "想量血压"},
    )
    assert response.status_code == 400
    assert written() == before


def test_filing_chest_pain_opens_the_green_channel(client, cast, frozen):
    english(client)
    client.force_login(cast.nurse_a)
    response = client.post(
        file_url(cast.wang),
        {"token": TOKEN, "channel": "staff_phone", "description": "老人突发胸痛"},
        follow=True,
    )
    demand = Demand.objects.get(resident=cast.wang)
    assert demand.tier == "critical"
    html = response.content.decode()
    assert "Critical: the green channel is open." in html
    assert 'id="green"' in html and "Respond within 5 minutes" in html


# ---- the green channel ---------------------------------------------------------------------


@pytest.fixture
def critical(cast, frozen) -> Demand:
    return file(cast.nurse_a, cast.wang, "突发胸痛，出冷汗")


def test_green_page_lists_open_cases_with_their_deadlines(client, cast, critical, frozen):
    english(client)
    case = GreenChannelCase.objects.get(demand=critical)
    assert case.on_duty == cast.doctor_a
    client.force_login(cast.doctor_a)
    response = client.get(GREEN)
    html = response.content.decode()
    assert f'data-green="{critical.public_id}"' in html
    assert "Respond within 5 minutes" in html and "5\xa0minutes left" in html
    assert "Doctor_A" in html  # on duty
    steps = ("respond", "ambulance", "handover", "close")
    forms = set(re.findall(r'action="([^"]+)"', html))
    assert {green_url(critical, step) for step in steps} <= forms
    assert_no_inline_script_or_style(response)
    frozen(datetime(2026, 2, 9, 8, 7, tzinfo=SHANGHAI))
    html = client.get(GREEN).content.decode()
    assert "Overdue by 2\xa0minutes" in html
    client.force_login(cast.doctor_b)
    assert critical.public_id not in client.get(GREEN).content.decode()


def test_recording_green_steps(client, cast, critical, frozen):
    english(client)
    client.force_login(cast.doctor_a)
    response = client.post(green_url(critical, "respond"), {"token": TOKEN, "next": GREEN})
    assert response.status_code == 302 and response["Location"] == GREEN
    critical.refresh_from_db()
    assert (critical.status, critical.accepted_by) == ("accepted", cast.doctor_a)
    case = GreenChannelCase.objects.get(demand=critical)
    assert case.responded_at is not None
    # A double click records the step once.
    again = client.post(green_url(critical, "respond"), {"token": TOKEN, "next": GREEN})
    assert again.status_code == 302
    assert DemandEvent.objects.filter(demand=critical, action="accept").count() == 1
    for step in ("ambulance", "handover"):
        client.post(green_url(critical, step), {"token": TOKEN})
    critical.refresh_from_db()
    assert critical.status == "in_progress"
    response = client.post(
        green_url(critical, "close"),
        {"token": TOKEN, "note": "已送武昌区人民医院", "next": "https://evil.example/"},
    )
    assert response["Location"] == page_url(critical) + "#green"
    critical.refresh_from_db()
    case.refresh_from_db()
    assert critical.status == "completed" and case.note == "已送武昌区人民医院"
    assert critical.public_id not in client.get(GREEN).content.decode()


def test_others_cannot_record_green_steps(client, cast, critical, demand):
    client.force_login(cast.doctor_b)
    assert client.post(green_url(critical, "respond"), {"token": TOKEN}).status_code == 404
    client.force_login(cast.cashier)
    assert client.post(green_url(critical, "respond"), {"token": TOKEN}).status_code == 403
    client.force_login(cast.doctor_a)
    assert client.post(green_url(critical, "explode"), {"token": TOKEN}).status_code == 404
    assert client.post(green_url(demand, "respond"), {"token": TOKEN}).status_code == 404
    assert GreenChannelCase.objects.get(demand=critical).responded_at is None


# ---- console -------------------------------------------------------------------------------


def test_console_counts_open_demands_and_lists_breaches(client, cast, demand, critical, frozen):
    english(client)
    file(cast.doctor_b, cast.zhao, "复诊开药")
    frozen(datetime(2026, 2, 10, 9, 0, tzinfo=SHANGHAI))
    services.sweep_deadlines(actor=None)
    assert DeadlineBreach.objects.exists()
    client.force_login(cast.director)
    response = client.get(CONSOLE)
    html = response.content.decode()
    assert re.search(r'class="figure-value open-total">3<', html)
    counts = re.search(r'<tr class="tier-critical">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(?:<strong>)?(\d+)', counts)[-1] == "1"
    breaches = DeadlineBreach.objects.filter(demand=demand)
    assert breaches.exists()
    assert html.count('<tr class="breach level-') == DeadlineBreach.objects.count()
    assert "王秀英" in html and "Not accepted in time" in html and "Team lead" in html
    assert 'href="/console/demands/"' in html
    assert_no_inline_script_or_style(response)
    # The west director sees none of the east's demands.
    client.force_login(cast.west_director)
    html = client.get(CONSOLE).content.decode()
    assert re.search(r'class="figure-value open-total">0<', html) and "王秀英" not in html


def test_console_replan_button(client, cast, served):
    english(client)
    client.force_login(cast.director)
    response = client.post("/console/demands/replan/", {"token": TOKEN}, follow=True)
    assert response.redirect_chain[-1][0] == CONSOLE
    html = response.content.decode()
    assert re.search(r"1 demands, 1 matched, \d+ with a new suggested time, [\d.]+ seconds", html)
    replans = AuditEvent.objects.filter(action="careloop.demand.replanned").count()
    assert replans == 1
    # The same form sent twice re-plans once.
    html = client.post("/console/demands/replan/", {"token": TOKEN}, follow=True).content.decode()
    assert "This was already done." in html
    assert AuditEvent.objects.filter(action="careloop.demand.replanned").count() == 1
