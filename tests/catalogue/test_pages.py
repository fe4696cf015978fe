"""Catalogue pages: the console catalogue, packages, providers and organisations, a
provider's week with its schedule/slot/leave forms, and the resident's "services for me".
Role matrix, form errors that write nothing, query counts, CSP on every page."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.catalogue import services
from careloop.catalogue.facts import register_tag_provider, unregister_tag_provider
from careloop.catalogue.models import (
    Package,
    Provider,
    ScheduleException,
    Service,
    Slot,
    SlotStatus,
    WeeklySchedule,
)
from careloop.core.templatetags.money import format_yuan
from tests.catalogue.conftest import SHANGHAI

CATALOGUE = "/console/catalogue/"


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def week_url(provider: Provider, start: str = "2026-02-09") -> str:
    return f"/console/catalogue/providers/{provider.public_id}/week/?start={start}"


def assert_csp(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    html = response.content.decode()
    assert "<script>" not in html
    assert " onclick=" not in html
    assert " style=" not in html


# ---- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"), [(1250, "¥12.50"), (5, "¥0.05"), (123456, "¥1,234.56"), (None, "")]
)
def test_yuan_formats_fen(fen, text):
    assert format_yuan(fen) == text


def test_zero_is_free(settings):
    from django.utils import translation

    with translation.override("en"):
        assert format_yuan(0) == "Free"


# ---- role matrix --------------------------------------------------------------------------

PAGES = [
    CATALOGUE,
    f"{CATALOGUE}services/basic.common_illness/",
    f"{CATALOGUE}packages/",
    f"{CATALOGUE}providers/",
    f"{CATALOGUE}organisations/",
    f"{CATALOGUE}excel/",
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("auditor", 200),
        ("doctor_a", 200),  # every member of staff reads the catalogue
        ("cashier", 200),
        ("wang_user", 403),  # residents have their own page
        ("zhao_user", 403),
    ],
)
def test_console_pages_role_matrix(client, cast, page, persona, status):
    client.force_login(getattr(cast, persona))
    response = client.get(page)
    assert response.status_code == status
    if status == 200:
        assert_csp(response)


@pytest.mark.parametrize("page", [*PAGES, "/r/services/"])
def test_pages_need_sign_in(client, db, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_edit_forms_only_for_editors(client, net, cast):
    english(client)
    client.force_login(cast.director)
    assert 'name="price_yuan"' in client.get(f"{CATALOGUE}services/basic.common_illness/").text
    html = client.get(week_url(net.doctor)).content.decode()
    assert "Add a weekly schedule" in html
    assert 'href="/console/catalogue/providers/new/"' in client.get(f"{CATALOGUE}providers/").text

    client.force_login(cast.doctor_a)
    assert 'name="price_yuan"' not in client.get(f"{CATALOGUE}services/basic.common_illness/").text
    html = client.get(week_url(net.doctor)).content.decode()
    assert "Add a weekly schedule" not in html
    assert "/providers/new/" not in client.get(f"{CATALOGUE}providers/").text
    assert client.get(f"{CATALOGUE}providers/new/").status_code == 403
    assert client.get(f"/console/catalogue/providers/{net.doctor.public_id}/").status_code == 403


def test_console_and_workbench_link_the_catalogue(client, cast):
    client.force_login(cast.director)
    assert f'href="{CATALOGUE}"' in client.get("/console/").text
    client.force_login(cast.doctor_a)
    assert f'href="{CATALOGUE}"' in client.get("/w/").text
    # A doctor reads the catalogue inside the workbench, not the console.
    assert 'href="/w/residents/"' in client.get(CATALOGUE).text


# ---- catalogue list -----------------------------------------------------------------------


def test_catalogue_lists_services_in_chinese_with_prices(client, cast):
    english(client)
    client.force_login(cast.director)
    response = client.get(CATALOGUE)
    html = response.content.decode()
    assert "basic.common_illness" in html
    assert "常见病诊疗" in html
    assert "¥10.00" in html  # price 1000 fen
    assert "¥8.00" in html  # covered by insurance
    assert "Free" in html
    assert "Basic public health" in html
    assert "Home visit" in html
    assert html.count('class="row-link"') == Service.objects.count()


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("tier=development", "development.yoga_class", "basic.common_illness"),
        ("mode=online", "basic.chronic_refill", "maintenance.diabetic_foot_screening"),
        ("q=糖尿病足", "maintenance.diabetic_foot_screening", "basic.common_illness"),
        ("group=child", None, "maintenance.postpartum_rehab"),
    ],
)
def test_catalogue_filters(client, cast, query, present, absent):
    client.force_login(cast.director)
    html = client.get(f"{CATALOGUE}?{query}").content.decode()
    if present:
        assert present in html
    assert absent not in html


def test_catalogue_package_filter_and_htmx_fragment(client, cast):
    client.force_login(cast.director)
    package = Package.objects.get(code="package.child")
    response = client.get(f"{CATALOGUE}?package=package.child", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="service-results"' in html
    assert html.count('class="row-link"') == package.items.count()
    assert "HX-Request" in response["Vary"]


def test_catalogue_list_query_count_does_not_grow_with_rows(client, cast):
    client.force_login(cast.director)
    client.get(CATALOGUE)  # warm session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(f"{CATALOGUE}?tier=development")
    with CaptureQueriesContext(connection) as all_rows:
        response = client.get(CATALOGUE)
    assert response.status_code == 200
    assert len(all_rows) == len(few)
    assert len(all_rows) <= 14


# ---- service edit ---------------------------------------------------------------------------


def service_post(service: Service, **changes) -> dict:
    data = {
        "name_zh": service.name_zh,
        "name_en": service.name_en,
        "description_zh": service.description_zh,
        "description_en": service.description_en,
        "tier": service.tier,
        "category": service.category,
        "modes": service.modes,
        "duration_minutes": service.duration_minutes,
        "price_yuan": f"{service.price_fen / 100:.2f}",
        "insurance_yuan": f"{service.insurance_covered_fen / 100:.2f}",
        "min_age": service.min_age or "",
        "max_age": service.max_age or "",
        "sex": service.sex,
        "required_tags": [t.code for t in service.required_tags.all()],
        "required_skills": [s.code for s in service.required_skills.all()],
        "active": "on",
    }
    data.update(changes)
    return data


def test_director_edits_a_service(client, cast):
    client.force_login(cast.director)
    service = Service.objects.get(code="basic.common_illness")
    url = f"{CATALOGUE}services/{service.code}/"
    response = client.post(
        url, service_post(service, price_yuan="12.50", name_zh="常见病诊疗(全科)")
    )
    assert response.status_code == 302
    assert response["Location"] == url
    service.refresh_from_db()
    assert service.price_fen == 1250
    assert service.name_zh == "常见病诊疗(全科)"
    assert "¥12.50" in client.get(url).text


def test_invalid_service_edit_shows_field_errors_and_writes_nothing(client, cast):
    english(client)
    client.force_login(cast.director)
    service = Service.objects.get(code="basic.common_illness")
    response = client.post(
        f"{CATALOGUE}services/{service.code}/",
        service_post(service, price_yuan="5.00", insurance_yuan="9.00", modes=[]),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Insurance cannot cover more than the price." in html
    assert "Choose at least one delivery mode from the list." in html
    service.refresh_from_db()
    assert service.price_fen == 1000
    assert service.modes == ["home", "clinic"] or set(service.modes) == {"clinic", "home"}


def test_reader_cannot_post_a_service_edit(client, cast):
    client.force_login(cast.doctor_a)
    service = Service.objects.get(code="basic.common_illness")
    response = client.post(
        f"{CATALOGUE}services/{service.code}/", service_post(service, price_yuan="1.00")
    )
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.price_fen == 1000


def test_unknown_service_is_404(client, cast):
    client.force_login(cast.director)
    assert client.get(f"{CATALOGUE}services/nope.nothing/").status_code == 404


# ---- packages, providers, organisations ----------------------------------------------------


def test_packages_list_items_and_frequencies(client, cast):
    english(client)
    client.force_login(cast.director)
    html = client.get(f"{CATALOGUE}packages/").content.decode()
    for package in Package.objects.all():
        assert package.name_zh in html
    assert "Every month" in html or "Every 3 months" in html


def test_package_list_query_count(client, cast):
    client.force_login(cast.director)
    client.get(f"{CATALOGUE}packages/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{CATALOGUE}packages/")
    assert len(queries) <= 12


def test_providers_and_organisations_lists(client, net, cast):
    english(client)
    client.force_login(cast.doctor_a)
    html = client.get(f"{CATALOGUE}providers/").content.decode()
    for name in ("王医生", "刘康复", "陈志愿", "张主任"):
        assert name in html
    assert "东湖社区卫生服务中心" in html
    assert f'href="/console/catalogue/providers/{net.doctor.public_id}/week/"' in html
    assert "张主任" not in client.get(f"{CATALOGUE}providers/?q=王").text
    html = client.get(f"{CATALOGUE}organisations/").content.decode()
    assert "east.centre" in html
    assert "武昌区人民医院" in html


def test_provider_list_query_count(client, net, cast):
    client.force_login(cast.director)
    client.get(f"{CATALOGUE}providers/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{CATALOGUE}providers/")
    assert len(queries) <= 14


def test_director_adds_and_edits_a_provider(client, net, cast):
    client.force_login(cast.director)
    response = client.post(
        f"{CATALOGUE}providers/new/",
        {
            "organisation": net.centre.pk,
            "name": "孙护士",
            "kind": "practitioner",
            "sex": "F",
            "title": "护师",
            "skills": ["nurse"],
            "services": ["maintenance.diabetic_foot_screening"],
            "languages": ["zh"],
            "radius_km": "2.5",
            "active": "on",
        },
    )
    assert response.status_code == 302
    provider = Provider.objects.get(name="孙护士")
    assert response["Location"] == f"/console/catalogue/providers/{provider.public_id}/week/"
    assert [s.code for s in provider.skills.all()] == ["nurse"]
    assert str(provider.radius_km) == "2.5"

    response = client.post(
        f"{CATALOGUE}providers/{provider.public_id}/",
        {"name": "孙护士", "kind": "practitioner", "sex": "F", "radius_km": "4", "skills": []},
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.active is False
    assert str(provider.radius_km) == "4.0"


def test_provider_form_errors_write_nothing(client, net, cast):
    client.force_login(cast.director)
    before = Provider.objects.count()
    response = client.post(
        f"{CATALOGUE}providers/new/",
        {"organisation": net.centre.pk, "name": "", "kind": "nobody", "sex": "F", "radius_km": "1"},
    )
    assert response.status_code == 400
    assert Provider.objects.count() == before


def test_director_cannot_add_providers_to_the_hospital(client, net, cast):
    """The hospital has no community: only superusers manage it."""
    client.force_login(cast.director)
    html = client.get(f"{CATALOGUE}providers/new/").content.decode()
    assert "东湖社区卫生服务中心" in html
    assert "武昌区人民医院" not in html
    assert client.get(f"{CATALOGUE}providers/{net.cardiologist.public_id}/").status_code == 403


# ---- a provider's week ----------------------------------------------------------------------


def generate(net, cast, start=date(2026, 2, 9), days=14):
    return services.generate_slots(actor=cast.director, provider=net.doctor, start=start, days=days)


def test_week_shows_slots_load_and_holidays(client, net, cast):
    english(client)
    generate(net, cast)
    client.force_login(cast.director)
    response = client.get(week_url(net.doctor))
    assert response.status_code == 200
    assert_csp(response)
    html = response.content.decode()
    assert html.count("data-date=") == 7
    assert "08:30–09:00" in html
    assert "0/1 booked" in html
    assert "春节调休上班" in html  # Saturday 14 Feb works as a Monday
    assert 'href="?start=2026-02-02"' in html
    assert 'href="?start=2026-02-16"' in html

    html = client.get(week_url(net.doctor, "2026-02-16")).content.decode()
    assert "春节" in html
    assert "cal-holiday" in html
    assert "08:30–09:00" not in html  # the clinic does not run in the Spring Festival


def test_week_start_snaps_to_monday(client, net, cast):
    client.force_login(cast.director)
    html = client.get(week_url(net.doctor, "2026-02-11")).content.decode()
    assert 'data-date="2026-02-09"' in html
    html = client.get(week_url(net.doctor, "garbage")).content.decode()
    assert 'data-date="2026-02-09"' in html  # this week (the clock is frozen on a Monday)


def test_week_page_query_count(client, net, cast):
    generate(net, cast)
    client.force_login(cast.director)
    client.get(week_url(net.doctor))
    with CaptureQueriesContext(connection) as queries:
        client.get(week_url(net.doctor))
    assert len(queries) <= 22


def schedule_post(**changes) -> dict:
    data = {
        "schedule-weekday": "1",
        "schedule-start_time": "14:00",
        "schedule-end_time": "16:00",
        "schedule-slot_minutes": "30",
        "schedule-capacity": "1",
        "schedule-mode": "home",
        "schedule-location": "",
        "schedule-valid_from": "2026-02-09",
        "schedule-valid_to": "",
        "schedule-services": ["basic.common_illness"],
    }
    data.update(changes)
    return data


def test_adding_a_schedule_generates_its_slots(client, net, cast):
    client.force_login(cast.director)
    response = client.post(
        f"/console/catalogue/providers/{net.doctor.public_id}/schedules/", schedule_post()
    )
    assert response.status_code == 302
    assert response["Location"] == week_url(net.doctor)
    schedule = WeeklySchedule.objects.get(provider=net.doctor, weekday=1)
    assert [s.code for s in schedule.services.all()] == ["basic.common_illness"]
    tuesday = Slot.objects.filter(schedule=schedule, start__date=date(2026, 2, 10))
    assert tuesday.count() == 4
    html = client.get(week_url(net.doctor)).content.decode()
    assert "14:00–14:30" in html
    assert "slot-home" in html


def test_invalid_schedule_shows_errors_and_writes_nothing(client, net, cast):
    english(client)
    client.force_login(cast.director)
    before = WeeklySchedule.objects.count(), Slot.objects.count()
    response = client.post(
        f"/console/catalogue/providers/{net.doctor.public_id}/schedules/",
        schedule_post(**{"schedule-capacity": "3", "schedule-weekday": "0",
                         "schedule-start_time": "09:00", "schedule-end_time": "10:00"}),
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "A home visit has one place" in html
    assert "This overlaps another session of the same provider." in html
    assert (WeeklySchedule.objects.count(), Slot.objects.count()) == before


def test_reader_cannot_add_schedules_slots_or_leave(client, net, cast):
    client.force_login(cast.doctor_a)
    base = f"/console/catalogue/providers/{net.doctor.public_id}"
    before = WeeklySchedule.objects.count(), Slot.objects.count()
    assert client.post(f"{base}/schedules/", schedule_post()).status_code == 403
    assert (
        client.post(
            f"{base}/slots/", {"generate-start": "2026-02-09", "generate-days": "7"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/leave/",
            {
                "leave-start_date": "2026-02-09",
                "leave-end_date": "2026-02-09",
                "leave-reason": "leave",
            },
        ).status_code
        == 403
    )
    assert (WeeklySchedule.objects.count(), Slot.objects.count()) == before
    assert not ScheduleException.objects.exists()


def test_generate_button_and_leave_form(client, net, cast):
    english(client)
    client.force_login(cast.director)
    base = f"/console/catalogue/providers/{net.doctor.public_id}"
    response = client.post(f"{base}/slots/", {"generate-start": "2026-02-09", "generate-days": "7"})
    assert response.status_code == 302
    slots = Slot.objects.filter(provider=net.doctor)
    assert slots.count() == 16  # Monday 9th and Saturday 14th (works as a Monday), 8 each
    response = client.post(
        f"{base}/leave/",
        {"leave-start_date": "2026-02-14", "leave-end_date": "2026-02-14",
         "leave-reason": "leave", "leave-note": "家事"},
    )  # fmt: skip
    assert response.status_code == 302
    closed = slots.filter(status=SlotStatus.CLOSED)
    assert closed.count() == 8
    assert all(s.start.astimezone(SHANGHAI).date() == date(2026, 2, 14) for s in closed)
    html = client.get(week_url(net.doctor)).content.decode()
    assert "cal-leave" in html
    assert "slot-closed" in html


def test_generate_rejects_too_many_days(client, net, cast):
    client.force_login(cast.director)
    response = client.post(
        f"/console/catalogue/providers/{net.doctor.public_id}/slots/",
        {"generate-start": "2026-02-09", "generate-days": "400"},
    )
    assert response.status_code == 400
    assert not Slot.objects.exists()


def test_unknown_provider_is_404(client, cast):
    client.force_login(cast.director)
    assert client.get("/console/catalogue/providers/nope/week/").status_code == 404


# ---- resident portal: services for me -------------------------------------------------------


@pytest.fixture
def tags():
    """Give residents tags through the registered tag-provider hook."""
    given: dict[int, set[str]] = {}

    def provider(resident):
        return given.get(resident.pk, set())

    register_tag_provider(provider)
    yield given
    unregister_tag_provider(provider)


@pytest.mark.parametrize("persona", ["director", "doctor_a", "admin"])
def test_services_for_me_is_for_residents(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/r/services/").status_code == 403


def test_resident_home_links_services_for_me(client, cast):
    client.force_login(cast.wang_user)
    assert 'href="/r/services/"' in client.get("/r/").text


def test_man_in_his_thirties_is_not_offered_postpartum_rehab(client, cast, frozen, tags):
    client.force_login(cast.zhao_user)  # male, born 1988
    response = client.get("/r/services/")
    assert response.status_code == 200
    assert_csp(response)
    html = response.content.decode()
    assert "常见病诊疗" in html
    assert "产后康复" not in html
    assert "糖尿病足筛查" not in html


def test_diabetic_resident_is_offered_diabetic_foot_screening(client, cast, frozen, tags):
    tags[cast.zhao.pk] = {"diabetes"}
    client.force_login(cast.zhao_user)
    html = client.get("/r/services/").content.decode()
    assert "糖尿病足筛查" in html
    assert "产后康复" not in html


def test_services_grouped_by_package_with_modes_and_free_dates(client, net, cast, tags):
    english(client)
    services.enrol_resident(
        actor=cast.director, resident=cast.wang, package=Package.objects.get(code="package.elderly")
    )
    generate(net, cast, days=7)
    client.force_login(cast.wang_user)
    html = client.get("/r/services/").content.decode()
    assert "In my package: " in html
    assert Package.objects.get(code="package.elderly").name_zh in html
    assert "Other services you can use" in html
    assert "Home visit" in html and "At the centre" in html
    # The family doctor's Monday clinic offers common-illness consultations today (9 Feb).
    assert "2月9日" in html


def test_services_for_me_query_count(client, net, cast):
    generate(net, cast, days=7)
    client.force_login(cast.wang_user)
    client.get("/r/services/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/r/services/")
    assert len(queries) <= 20


def test_frozen_clock_is_monday(frozen):
    from careloop.core import clock

    assert clock.now() == datetime.combine(date(2026, 2, 9), time(8, 0), tzinfo=SHANGHAI)
