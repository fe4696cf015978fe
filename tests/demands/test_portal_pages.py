"""The resident portal's demand pages: filing a need (service or words, for self or a
dependant, preferences turned into windows, one demand per form however often it is sent),
my needs (open first, query count), one need's progress with the times offered, accepting
and declining them, withdrawing, answering a suggested need; scope (another resident's
demand is 404, staff are not residents), form errors writing nothing, and English.

Time is frozen at Monday 9 February 2026, 08:00 Shanghai time; the east centre's family
doctor (王医生, doctor_a's provider) holds a clinic on Monday mornings, 08:30–12:30."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking, BookingStatus, Service, Slot
from careloop.core.models import AuditEvent
from careloop.demands import services
from careloop.demands.models import Channel, Demand, DemandEvent, DemandOffer, OfferStatus
from tests.catalogue.conftest import net  # noqa: F401 (fixture)
from tests.observations.test_pages import assert_no_inline_script_or_style

from .conftest import NOW, written

NEW = "/r/demands/new/"
LIST = "/r/demands/"
ILLNESS = "basic.common_illness"


def url(demand: Demand, action: str = "") -> str:
    return f"/r/demands/{demand.public_id}/" + (f"{action}/" if action else "")


def english(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def form_data(cast, **overrides) -> dict:
    data = {
        "resident": cast.wang.public_id,
        "service": ILLNESS,
        "description": "",
        "modes": ["clinic"],
        "time_of_day": "any",
        "date_from": "2026-02-09",
        "date_to": "2026-02-15",
        "provider_sex": "",
        "key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def slots(cast, net):  # noqa: F811
    """Monday's clinic: eight 30-minute places from 08:30."""
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=3)
    return list(Slot.objects.filter(provider=net.doctor).order_by("start"))


@pytest.fixture
def wang(client, cast, frozen) -> Client:
    client.force_login(cast.wang_user)
    return client


def file(cast, *, resident=None, service=ILLNESS, modes=("clinic",), **kwargs) -> Demand:
    return services.file_demand(
        actor=cast.wang_user,
        resident=resident or cast.wang,
        channel=Channel.RESIDENT_WEB,
        service=Service.objects.get(code=service) if service else None,
        modes=list(modes),
        **kwargs,
    )


# ---- filing ---------------------------------------------------------------------------------


def test_the_form_offers_services_dependants_and_voice_input(wang, cast):
    response = wang.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="greeting">提出需求</h1>' in html
    # Services grouped by category, with the free-text choice first.
    assert '<optgroup label="基本医疗">' in html or "<optgroup" in html
    assert '<option value="basic.common_illness">常见病诊疗</option>' in html
    assert "不选服务，在下面用文字描述需求" in html
    # For whom: wang herself or li, whose guardian she is.
    assert f'value="{cast.wang.public_id}"' in html and f'value="{cast.li.public_id}"' in html
    assert "本人（王秀英）" in html and "李小明" in html
    assert f'value="{cast.zhao.public_id}"' not in html
    # Time of day, dates (the next seven days by default), provider sex.
    for label in ("上午（8:00–12:00）", "下午（12:00–18:00）", "晚上（18:00–21:00）", "不限"):
        assert label in html
    assert 'name="date_from" value="2026-02-09"' in html
    assert 'name="date_to" value="2026-02-15"' in html
    # A fresh idempotency key per form shown.
    assert re.search(r'<input type="hidden" name="key" value="[0-9a-f-]{36}"', html)
    # The microphone button is hidden until speech.js finds the browser's API.
    assert re.search(r'<button type="button" class="btn btn-speech" hidden', html)
    assert 'data-speech-target="id_description"' in html and 'data-speech-lang="zh-CN"' in html
    assert "语音输入" in html and "/static/demands/speech.js" in html
    assert_no_inline_script_or_style(response)


def test_a_service_link_preselects_it_and_offers_its_modes(wang):
    html = wang.get(NEW + "?service=basic.chronic_refill").content.decode()
    assert '<option value="basic.chronic_refill" selected>' in html
    assert 'name="modes" value="clinic"' in html and 'name="modes" value="online"' in html
    assert 'name="modes" value="home"' not in html
    # Without a service: home, clinic and online.
    html = wang.get(NEW).content.decode()
    for mode in ("home", "clinic", "online"):
        assert f'name="modes" value="{mode}"' in html
    # An unknown code is ignored.
    assert wang.get(NEW + "?service=nope").status_code == 200


def test_filing_turns_the_choices_into_a_demand_with_offers(wang, cast, slots):
    response = wang.post(NEW, form_data(cast, provider_sex="M"))
    demand = Demand.objects.get()
    assert response.status_code == 302 and response["Location"] == url(demand)
    assert (demand.resident, demand.filed_by, demand.channel) == (
        cast.wang,
        cast.wang_user,
        "resident_web",
    )
    assert demand.service.code == ILLNESS and demand.modes == ["clinic"]
    assert demand.provider_sex == "M"
    assert demand.windows == [
        {"start": "2026-02-09T00:00:00+08:00", "end": "2026-02-16T00:00:00+08:00"}
    ]
    # Online matching ran: the earliest Monday places are offered.
    assert list(demand.offers.values_list("kind", flat=True)) == ["match"] * 3
    page = wang.get(url(demand))
    html = page.content.decode()
    assert "需求已提交，您可以在这里查看进度。" in html
    assert "可以为您安排的时间" in html and "请从提供的时间中选择一个。" in html
    assert "2月9日 星期一 08:30–09:00" in html and "王医生" in html
    assert html.count(">接受</button>") == 3 and html.count(">不合适</button>") == 3
    assert_no_inline_script_or_style(page)


def test_a_time_of_day_makes_one_window_a_day(wang, cast):
    wang.post(
        NEW,
        form_data(cast, time_of_day="afternoon", date_from="2026-02-10", date_to="2026-02-12"),
    )
    assert Demand.objects.get().windows == [
        {"start": f"2026-02-{d}T12:00:00+08:00", "end": f"2026-02-{d}T18:00:00+08:00"}
        for d in (10, 11, 12)
    ]


def test_a_need_in_words_for_a_dependant(wang, cast):
    response = wang.post(
        NEW,
        form_data(
            cast, resident=cast.li.public_id, service="", modes=None, description="孩子咳嗽三天了"
        ),
    )
    demand = Demand.objects.get()
    assert response.status_code == 302
    assert (demand.resident, demand.service, demand.description) == (
        cast.li,
        None,
        "孩子咳嗽三天了",
    )
    assert demand.modes == []
    html = wang.get(LIST).content.decode()
    assert "为李小明申请" in html and "孩子咳嗽三天了" in html


def test_sending_the_same_form_twice_files_one_demand(wang, cast, slots):
    data = form_data(cast)
    first = wang.post(NEW, data)
    second = wang.post(NEW, data)
    demand = Demand.objects.get()
    assert first["Location"] == second["Location"] == url(demand)
    assert DemandEvent.objects.filter(demand=demand, action="file").count() == 1


def test_going_back_and_sending_again_shows_the_need_already_filed(wang, cast, slots, frozen):
    english(wang)
    first = wang.post(NEW, form_data(cast))
    demand = Demand.objects.get()
    # Back, and the form (reloaded with a new key) sent again: the same need, not a second one.
    again = wang.post(NEW, form_data(cast), follow=True)
    assert again.redirect_chain == [(url(demand), 302)] and first["Location"] == url(demand)
    assert Demand.objects.count() == 1
    assert "You filed the same need a few minutes ago; here is its progress." in (
        again.content.decode()
    )
    # Another need is filed.
    other = wang.post(NEW, form_data(cast, service="", description="想量血压"), follow=True)
    assert Demand.objects.count() == 2
    assert "Your need is filed. You can follow it here." in other.content.decode()
    # The same need again after ten minutes is a new demand.
    frozen(NOW + timedelta(minutes=11))
    later = wang.post(NEW, form_data(cast))
    assert Demand.objects.count() == 3 and later["Location"] != url(demand)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"service": "", "description": ""}, "description", "请选择服务项目或描述您的需求。"),
        ({"service": "", "description": "痛" * 501}, "description", "需求描述最多 500 个字符。"),
        ({"modes": ["online"]}, "modes", "该服务不提供这种方式，请从列出的方式中选择。"),
        ({"date_from": "2026-02-08"}, "date_from", "请选择今天或以后的日期。"),
        (
            {"date_to": "2026-02-08", "date_from": "2026-02-10"},
            "date_to",
            "结束日期不能早于开始日期。",
        ),
        ({"date_to": "2026-03-09"}, "date_to", "最多选择 28 天。"),
        ({"time_of_day": "midnight"}, "time_of_day", None),
        ({"provider_sex": "X"}, "provider_sex", None),
        ({"service": "no.such_service"}, "service", None),
        # li (a child) cannot have the elders' check-up wang may ask for.
        ({"resident": "LI", "service": "basic.elder_checkup"}, "service", "李小明不能使用该服务"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_writes_nothing(wang, cast, overrides, field, message):
    if overrides.get("resident") == "LI":
        overrides["resident"] = cast.li.public_id
    before = written()
    response = wang.post(NEW, form_data(cast, **overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-errors" role="alert"' in html
    assert field in response.context["form"].errors
    if message:
        assert message in html
    assert written() == before


def test_another_residents_record_cannot_be_chosen(wang, cast):
    before = written()
    response = wang.post(NEW, form_data(cast, resident=cast.zhao.public_id))
    assert response.status_code == 400 and "resident" in response.context["form"].errors
    assert written() == before


# ---- my needs -------------------------------------------------------------------------------


def test_my_needs_lists_open_ones_first_with_the_next_step(wang, cast, frozen, slots):
    done = file(cast, description="", service=ILLNESS)
    for step in (services.accept_demand, services.start_demand, services.complete_demand):
        step(actor=cast.doctor_a, demand=done)
    frozen(NOW + timedelta(minutes=5))
    waiting = file(cast, service=None, description="想做个体检")
    urgent = file(cast, resident=cast.li, service=None, description="孩子发高烧39度")
    services.file_demand(
        actor=cast.zhao_user, resident=cast.zhao, channel="resident_web", description="赵的需求"
    )
    response = wang.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    order = re.findall(r'data-demand="(\w+)"', html)
    assert order == [urgent.public_id, waiting.public_id, done.public_id]
    assert "赵的需求" not in html
    assert "等待医生受理。" in html and "服务已完成。" in html
    assert '<span class="tag tag-warn">紧急</span>' in html  # urgent.tier == "urgent"
    assert "为李小明申请" in html
    assert_no_inline_script_or_style(response)


def test_my_needs_query_count_does_not_grow_with_the_list(
    wang, cast, slots, frozen, django_assert_max_num_queries
):
    for n in range(3):
        frozen(NOW + timedelta(minutes=11 * n))  # the same service, not a refiling
        file(cast, description=f"需求{n}")
    with django_assert_max_num_queries(8):
        assert wang.get(LIST).status_code == 200
    for n in range(12):
        file(cast, resident=cast.li, service=None, description=f"更多{n}")
    with django_assert_max_num_queries(8):
        response = wang.get(LIST)
    assert len(response.context["items"]) == 15


def test_the_home_page_shows_my_needs_and_the_entry(wang, cast):
    file(cast, service=None, description="想量血压")
    html = wang.get("/r/").content.decode()
    assert 'href="/r/demands/new/"' in html and "我要预约/提需求" in html
    assert 'href="/r/demands/"' in html and "我的需求" in html and "想量血压" in html


def test_services_for_me_link_to_the_form(wang, cast):
    html = wang.get("/r/services/").content.decode()
    assert 'href="/r/demands/new/?service=basic.common_illness"' in html
    assert "申请此服务" in html


# ---- one need: progress, offers, withdrawing, suggestions -----------------------------------


def steps(html: str) -> dict[str, str]:
    """Step status → "done current" classes and the time shown."""
    found = {}
    for classes, status, body in re.findall(
        r'<li class="demand-step([^"]*)" data-step="(\w+)"[^>]*>(.*?)</li>', html, re.S
    ):
        time_ = re.search(r"<time[^>]*>([^<]+)</time>", body)
        found[status] = (classes.strip(), time_.group(1) if time_ else "")
    return found


def test_the_progress_bar_follows_each_step_with_its_time(wang, cast, frozen, slots):
    demand = file(cast)
    html = wang.get(url(demand)).content.decode()
    shown = steps(html)
    assert list(shown) == ["submitted", "accepted", "scheduled", "in_progress", "completed"]
    assert shown["submitted"][0] == "is-done is-current" and shown["submitted"][1]
    assert shown["accepted"] == ("", "")
    assert "已提交" in html and "已受理" in html and "已安排" in html

    frozen(NOW + timedelta(minutes=10))
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    html = wang.get(url(demand)).content.decode()
    assert steps(html)["accepted"][0] == "is-done is-current"
    assert "请从提供的时间中选择一个。" in html  # the offered times are still hers to take
    assert "受理人" in html and "Doctor_A" in html
    DemandOffer.objects.filter(demand=demand).update(status=OfferStatus.DECLINED)
    html = wang.get(url(demand)).content.decode()
    assert "已受理，正在安排时间。" in html
    assert "受理人" in html and "Doctor_A" in html

    frozen(NOW + timedelta(minutes=20))
    services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slots[0])
    html = wang.get(url(demand)).content.decode()
    assert steps(html)["scheduled"][0] == "is-done is-current"
    assert "已安排在 2月9日 星期一 08:30。" in html
    assert '<dd class="serving-when">2月9日 星期一 08:30–09:00</dd>' in html
    assert "东湖社区卫生服务中心 全科诊室2" in html
    assert "可以为您安排的时间" not in html  # booked: no more offers

    services.start_demand(actor=cast.doctor_a, demand=demand)
    services.complete_demand(actor=cast.doctor_a, demand=demand)
    html = wang.get(url(demand)).content.decode()
    shown = steps(html)
    assert all(shown[s][0].startswith("is-done") for s in shown)
    assert shown["completed"][0] == "is-done is-current"
    assert "服务已完成。" in html and "撤回需求" not in html


def test_detail_query_count(wang, cast, slots, django_assert_max_num_queries):
    demand = file(cast)
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    with django_assert_max_num_queries(8):
        assert wang.get(url(demand)).status_code == 200


def test_a_guardian_reading_a_dependants_need_is_audited_ones_own_is_not(wang, cast, slots):
    mine = file(cast)
    childs = file(cast, resident=cast.li, service=None, description="孩子咳嗽三天了")
    viewed = AuditEvent.objects.filter(action="careloop.resident.viewed")
    assert wang.get(url(mine)).status_code == 200
    assert not viewed.exists()
    assert wang.get(url(childs)).status_code == 200
    event = viewed.get()
    assert (event.actor_id, event.object_id) == (cast.wang_user.pk, cast.li.public_id)
    assert event.detail == {
        "purpose": "demands.portal", "residents": [cast.li.public_id],
        "demands": [childs.public_id],
    }  # fmt: skip


def test_an_alternative_says_what_was_given_up(wang, cast, slots):
    # A home visit is asked for; the doctor only sees patients at the clinic.
    demand = file(cast, modes=("home",))
    assert set(demand.offers.values_list("kind", flat=True)) == {"alternative"}
    html = wang.get(url(demand)).content.decode()
    assert "暂时没有完全符合您要求的时间，这些可以吗？" in html
    assert "上门暂无空位；2月9日 星期一 08:30 到院？" in html


def test_accepting_an_offer_books_it_and_staff_then_schedule_it(wang, cast, slots):
    demand = file(cast)
    first = demand.offers.order_by("number").first()
    response = wang.post(url(demand, f"offers/{first.number}/accept"))
    assert response.status_code == 302 and response["Location"] == url(demand)
    demand.refresh_from_db()
    assert demand.booking.slot == first.slot and demand.status == "submitted"
    html = wang.get(url(demand)).content.decode()
    assert "已为您预留这个时间。" in html
    assert "已为您预留 2月9日 星期一 08:30，等待医生受理。" in html
    assert "接受</button>" not in html
    # Sent again: nothing more is booked.
    assert wang.post(url(demand, f"offers/{first.number}/accept")).status_code == 302
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    demand.refresh_from_db()
    assert demand.status == "scheduled"


def test_declining_an_offer(wang, cast, slots):
    demand = file(cast)
    offer = demand.offers.order_by("number").first()
    response = wang.post(url(demand, f"offers/{offer.number}/decline"))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    html = wang.get(url(demand)).content.decode()
    assert html.count(">接受</button>") == 2
    assert f'data-offer="{offer.number}"' not in html


def test_an_offer_no_longer_open_is_refused_on_the_page(wang, cast, slots):
    demand = file(cast)
    first, second = demand.offers.order_by("number")[:2]
    wang.post(url(demand, f"offers/{first.number}/accept"))
    before = written()
    response = wang.post(url(demand, f"offers/{second.number}/accept"))
    assert response.status_code == 409
    assert "This alternative is no longer available." in response.content.decode() or (
        'class="form-errors" role="alert"' in response.content.decode()
    )
    assert written() == before
    assert wang.post(url(demand, "offers/99/accept")).status_code == 404


def test_withdrawing_with_a_reason(wang, cast, slots):
    demand = file(cast)
    html = wang.get(url(demand)).content.decode()
    assert "撤回需求" in html and 'name="reason"' in html
    key = str(uuid.uuid4())
    response = wang.post(url(demand, "withdraw"), {"reason": "已经好了", "key": key})
    assert response.status_code == 302
    demand.refresh_from_db()
    assert demand.status == "withdrawn"
    html = wang.get(url(demand)).content.decode()
    assert "需求已撤回。" in html and "原因：已经好了" in html
    assert '<span class="tag demand-status status-withdrawn">已撤回</span>' in html
    assert "撤回需求" not in html and "接受</button>" not in html
    # The same form again: one withdrawal.
    before = written()
    assert wang.post(url(demand, "withdraw"), {"reason": "已经好了", "key": key}).status_code == 302
    assert written() == before
    # Another form: refused with the reason why, nothing written.
    response = wang.post(url(demand, "withdraw"), {"key": str(uuid.uuid4())})
    assert response.status_code == 409
    assert 'class="form-errors" role="alert"' in response.content.decode()
    assert written() == before


def test_withdrawing_a_scheduled_need_frees_the_place(wang, cast, slots):
    demand = file(cast)
    services.accept_demand(actor=cast.doctor_a, demand=demand)
    services.schedule_demand(actor=cast.doctor_a, demand=demand, slot=slots[0])
    wang.post(url(demand, "withdraw"), {"key": str(uuid.uuid4())})
    slots[0].refresh_from_db()
    assert slots[0].booked_count == 0
    html = wang.get(url(demand)).content.decode()
    shown = steps(html)
    assert shown["scheduled"][0] == "is-done" and shown["in_progress"][0] == ""


def suggested(cast) -> Demand:
    return services.file_demand(
        actor=None, resident=cast.wang, channel=Channel.DEVICE_ALERT, system_suggested=True,
        description="血压偏高：建议随访",
    )  # fmt: skip


def test_answering_a_suggested_need(wang, cast):
    demand = suggested(cast)
    html = wang.get(url(demand)).content.decode()
    assert "您需要这项服务吗？" in html and "是，我需要" in html and "不需要" in html
    assert "请告诉我们您是否需要。" in html
    assert wang.post(url(demand, "confirm"), {"confirmed": "1"}).status_code == 302
    demand.refresh_from_db()
    assert demand.resident_confirmed is True and demand.status == "submitted"
    assert "是，我需要" not in wang.get(url(demand)).content.decode()


def test_declining_a_suggested_need_withdraws_it(wang, cast):
    demand = suggested(cast)
    assert wang.post(url(demand, "confirm"), {"confirmed": "0"}).status_code == 302
    demand.refresh_from_db()
    assert (demand.resident_confirmed, demand.status) == (False, "withdrawn")
    before = written()
    response = wang.post(url(demand, "confirm"), {"confirmed": "1"})
    assert response.status_code == 409 and written() == before
    response = wang.post(url(demand, "confirm"), {"confirmed": "maybe"})
    assert response.status_code == 400 and written() == before


def test_a_critical_need_says_what_to_do(wang, cast):
    demand = file(cast, service=None, description="突然言语不清，口角歪斜")
    assert demand.tier == "critical"
    html = wang.get(url(demand)).content.decode()
    assert '<span class="tag tag-failure">危急</span>' in html
    assert "如有生命危险，请立即拨打 120。" in html


# ---- scope and roles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("wang_user", 200),  # her own
        ("zhao_user", 404),  # another resident
        ("chen_user", 404),  # another community
        ("doctor_a", 403),  # staff are not residents: the portal is not theirs
        ("director", 403),
        (None, 302),  # to the sign-in page
    ],
)
def test_who_may_open_a_need(client, cast, frozen, persona, status):
    demand = file(cast, service=None, description="想量血压")
    if persona:
        client.force_login(getattr(cast, persona))
    assert client.get(url(demand)).status_code == status
    assert client.get(LIST).status_code == (200 if status == 404 else status)


@pytest.mark.parametrize("action", ["withdraw", "confirm", "offers/1/accept", "offers/1/decline"])
@pytest.mark.parametrize(("persona", "status"), [("zhao_user", 404), ("doctor_a", 403)])
def test_others_cannot_change_a_need(client, cast, slots, action, persona, status):
    demand = file(cast)
    client.force_login(getattr(cast, persona))
    before = written()
    response = client.post(url(demand, action), {"confirmed": "1", "key": str(uuid.uuid4())})
    assert response.status_code == status
    assert written() == before
    assert DemandOffer.objects.filter(demand=demand, status=OfferStatus.OFFERED).count() == 3


def test_changes_are_post_only(wang, cast):
    demand = file(cast, service=None, description="想量血压")
    for action in ("withdraw", "confirm", "offers/1/accept", "offers/1/decline"):
        assert wang.get(url(demand, action)).status_code == 405


def test_a_dependants_need_is_seen_by_the_guardian_only(client, cast, frozen):
    demand = file(cast, resident=cast.li, service=None, description="孩子咳嗽")
    client.force_login(cast.wang_user)
    assert "为李小明申请" in client.get(url(demand)).content.decode()
    client.force_login(cast.zhao_user)
    assert client.get(url(demand)).status_code == 404


# ---- English ----------------------------------------------------------------------------------


def test_pages_read_in_english_with_the_language_cookie(wang, cast, slots):
    english(wang)
    demand = file(cast, modes=("home",))
    html = wang.get(NEW).content.decode()
    assert "File a need" in html and "Voice input" in html and "Morning (8:00–12:00)" in html
    assert 'data-speech-lang="en-US"' in html
    html = wang.get(LIST).content.decode()
    assert "My needs" in html and "Book or ask for a service" in html
    html = wang.get(url(demand)).content.decode()
    assert "Progress" in html and "Submitted" in html and "Accepted" in html
    assert "Nothing free for Home visit; Mon, Feb 9, 08:30, At the centre?" in html
    assert ">Accept</button>" in html and ">Not suitable</button>" in html
    response = wang.post(NEW, form_data(cast, service="", description=""))
    assert "Choose a service or describe the need." in response.content.decode()
