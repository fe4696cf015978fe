"""Resident pages: the resident portal, the workbench list / record / registration, and the
console figures. Scope, audit of reads, form errors that write nothing, query counts."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.core.models import AuditEvent
from careloop.residents import services
from careloop.residents.models import Resident
from careloop.residents.views import LIST_PAGE_SIZE
from tests.conftest import ID_LI, ID_WANG, ID_ZHAO


def english(client) -> None:
    """Pages follow the language switch (a cookie), not the browser's Accept-Language."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


HTMX = {"HTTP_HX_REQUEST": "true"}


def chinese_date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def make_ids(count: int) -> list[str]:
    """Valid ID numbers (GB 11643 check digit) for people born 1950-01-01 + n days."""
    from datetime import date, timedelta

    from careloop.core.validators import check_digit

    numbers = []
    for n in range(count):
        born = date(1950, 1, 1) + timedelta(days=n)
        first17 = f"420106{born:%Y%m%d}{n % 1000:03d}"
        numbers.append(first17 + check_digit(first17))
    return numbers


# ---- resident portal /r/ ------------------------------------------------------------------


def test_resident_home_shows_own_record_and_dependants(client, cast):
    client.force_login(cast.wang_user)
    response = client.get("/r/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "王秀英" in html
    assert cast.wang.masked_id_number in html
    assert ID_WANG not in html
    assert "13800138000" in html
    assert "武汉市武昌区东湖路1号" in html
    assert "王医生团队" in html
    assert str(cast.doctor_a) in html
    contract = cast.wang.contracts.get()
    assert chinese_date(contract.signed_on) in html
    assert chinese_date(contract.ends_on) in html
    assert f'href="/r/family/{cast.li.public_id}/"' in html
    assert "李小明" in html


def test_resident_home_in_english(client, cast):
    english(client)
    client.force_login(cast.wang_user)
    html = client.get("/r/").content.decode()
    assert "Hello, 王秀英" in html
    assert "Family members in my care" in html


def test_resident_without_dependants_sees_no_family_section(client, cast):
    english(client)
    client.force_login(cast.zhao_user)
    html = client.get("/r/").content.decode()
    assert "赵建国" in html
    assert "Family members in my care" not in html
    assert "王秀英" not in html


@pytest.mark.parametrize("persona", ["doctor_a", "director", "cashier", "admin"])
def test_resident_portal_is_for_residents_only(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/r/").status_code == 403


def test_resident_portal_needs_sign_in(client, db):
    response = client.get("/r/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/r/"


def test_guardian_sees_dependant_summary_and_the_read_is_audited(client, cast):
    client.force_login(cast.wang_user)
    response = client.get(f"/r/family/{cast.li.public_id}/")
    assert response.status_code == 200
    assert "李小明" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="careloop.resident.viewed", object_id=cast.li.public_id, actor_id=cast.wang_user.pk
    ).exists()


@pytest.mark.parametrize(("persona", "target"), [("zhao_user", "li"), ("wang_user", "zhao")])
def test_resident_cannot_open_others(client, cast, persona, target):
    client.force_login(getattr(cast, persona))
    public_id = getattr(cast, target).public_id
    assert client.get(f"/r/family/{public_id}/").status_code == 404


# ---- workbench home /w/ -------------------------------------------------------------------


def test_workbench_home_shows_the_doctors_queues(client, cast):
    english(client)
    services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"living_alone": True}
    )
    client.force_login(cast.doctor_a)
    response = client.get("/w/")
    assert response.status_code == 200
    assert list(response.context["alone"]) == [cast.wang]
    assert response.context["renewals_count"] == 0  # contracts run a year
    teams = list(response.context["teams"])
    assert [(t.name, t.contracted) for t in teams] == [("王医生团队", 2)]
    html = response.content.decode()
    assert f'href="/w/residents/{cast.wang.public_id}/"' in html
    assert 'href="/w/residents/"' in html  # navigation by role


def test_workbench_home_for_staff_without_resident_access(client, cast):
    english(client)
    client.force_login(cast.cashier)
    response = client.get("/w/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/w/residents/"' not in html
    assert "Nothing is waiting for you" in html


def test_workbench_is_for_staff_only(client, cast):
    client.force_login(cast.wang_user)
    assert client.get("/w/").status_code == 403


# ---- resident list ------------------------------------------------------------------------


def test_list_shows_the_doctors_residents_only(client, cast):
    client.force_login(cast.doctor_a)
    response = client.get("/w/residents/")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [cast.li, cast.wang]
    html = response.content.decode()
    assert "赵建国" not in html
    assert cast.wang.masked_id_number in html
    assert cast.wang.masked_phone in html
    assert "13800138000" not in html
    assert ID_WANG not in html
    assert "王医生团队" in html


@pytest.mark.parametrize("persona", ["cashier", "wang_user"])
def test_list_is_forbidden_without_resident_access(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/w/residents/").status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [("王", ["wang"]), (ID_ZHAO, ["zhao"]), ("13912345678", ["zhao"]), (ID_LI[:10], [])],
)
def test_list_search(client, cast, query, expected):
    client.force_login(cast.director)
    response = client.get("/w/residents/", {"q": query})
    assert list(response.context["page"].object_list) == [getattr(cast, name) for name in expected]


def test_list_search_is_a_plain_form_with_htmx_on_top(client, cast):
    client.force_login(cast.director)
    html = client.get("/w/residents/").content.decode()
    assert 'method="get" action="/w/residents/"' in html
    assert 'hx-get="/w/residents/"' in html
    assert 'hx-target="#resident-results"' in html


def test_htmx_search_returns_only_the_results(client, cast):
    client.force_login(cast.director)
    response = client.get("/w/residents/", {"q": "赵"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="resident-results"')
    assert "<html" not in html
    assert "赵建国" in html and "王秀英" not in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, cast):
    client.force_login(cast.director)
    response = client.get("/w/residents/", **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def _register_many(cast, id_numbers):
    for n, id_number in enumerate(id_numbers):
        resident = services.register_resident(
            actor=cast.director,
            community=cast.east,
            name=f"测试{n:02d}",
            id_number=id_number,
            phone=f"137{n:08d}",
        )
        if n % 2:
            services.sign_contract(actor=cast.director, resident=resident, team=cast.team_a)


def test_list_is_paginated_by_25(client, cast):
    _register_many(cast, make_ids(30))
    client.force_login(cast.director)
    first = client.get("/w/residents/")
    assert first.context["page"].paginator.count == 33
    assert len(first.context["page"].object_list) == LIST_PAGE_SIZE == 25
    assert 'href="?page=2"' in first.content.decode()
    second = client.get("/w/residents/", {"page": 2})
    assert len(second.context["page"].object_list) == 8


def _list_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/w/residents/").status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_residents(client, cast):
    ids = make_ids(30)
    _register_many(cast, ids[:3])
    few = _list_queries(client, cast.director)
    _register_many(cast, ids[3:])
    assert Resident.objects.filter(community=cast.east).count() == 33
    many = _list_queries(client, cast.director)
    assert few == many


# ---- record page --------------------------------------------------------------------------


def test_record_page_shows_profile_and_audits_the_read(client, cast):
    english(client)
    client.force_login(cast.doctor_a)
    before = AuditEvent.objects.count()
    response = client.get(f"/w/residents/{cast.wang.public_id}/")
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.object_id, event.actor_id) == (
        "careloop.resident.viewed",
        cast.wang.public_id,
        cast.doctor_a.pk,
    )
    html = response.content.decode()
    assert cast.wang.masked_id_number in html
    assert ID_WANG not in html
    assert "13800138000" in html
    assert "王医生团队" in html
    assert f'href="/w/residents/{cast.li.public_id}/"' in html  # dependant
    # The timeline lists this resident's audit events, newest first.
    labels = [label for _event, label in response.context["timeline"]]
    assert labels[0] == "Record opened"
    assert labels[-1] == "Record created"
    assert "Family doctor contract signed" in labels
    assert f'action="/w/residents/{cast.wang.public_id}/edit/"' in html


def test_record_page_dates_are_chinese(client, cast):
    client.force_login(cast.doctor_a)
    html = client.get(f"/w/residents/{cast.wang.public_id}/").content.decode()
    assert "1949年12月31日" in html
    assert chinese_date(cast.wang.contracts.get().ends_on) in html


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("doctor_a", "zhao", 404),
        ("doctor_b", "wang", 404),
        ("doctor_b", "zhao", 200),
        ("director", "zhao", 200),
        ("west_director", "wang", 404),
        ("cashier", "wang", 404),
        ("wang_user", "wang", 403),
    ],
)
def test_record_page_scope(client, cast, persona, target, status):
    client.force_login(getattr(cast, persona))
    assert client.get(f"/w/residents/{getattr(cast, target).public_id}/").status_code == status


def test_auditor_reads_but_cannot_edit(client, cast):
    client.force_login(cast.auditor)
    response = client.get(f"/w/residents/{cast.wang.public_id}/")
    assert response.status_code == 200
    assert "/edit/" not in response.content.decode()
    response = client.post(f"/w/residents/{cast.wang.public_id}/edit/", {"name": "改名"})
    assert response.status_code == 403
    cast.wang.refresh_from_db()
    assert cast.wang.name == "王秀英"


# ---- edit ---------------------------------------------------------------------------------


def edit_data(resident, **changes):
    data = {
        "name": resident.name,
        "phone": resident.phone,
        "address": resident.address,
        "occupation": resident.occupation,
        "disability": resident.disability,
    }
    if resident.living_alone:
        data["living_alone"] = "on"
    data.update(changes)
    return data


def test_edit_saves_through_the_service(client, cast):
    client.force_login(cast.doctor_a)
    url = f"/w/residents/{cast.wang.public_id}/edit/"
    response = client.post(url, edit_data(cast.wang, phone="139 0000 1111", living_alone="on"))
    assert response.status_code == 302
    assert response["Location"] == f"/w/residents/{cast.wang.public_id}/"
    cast.wang.refresh_from_db()
    assert cast.wang.phone == "13900001111"
    assert cast.wang.living_alone is True
    event = AuditEvent.objects.filter(action="careloop.resident.updated").latest("id")
    assert event.detail == {"fields": ["living_alone", "phone"]}


def test_edit_with_bad_input_shows_errors_and_saves_nothing(client, cast):
    english(client)
    client.force_login(cast.doctor_a)
    url = f"/w/residents/{cast.wang.public_id}/edit/"
    response = client.post(url, edit_data(cast.wang, phone="12345", name="新名字"))
    assert response.status_code == 400
    assert response.context["form"].errors["phone"]
    html = response.content.decode()
    assert 'class="errorlist' in html
    cast.wang.refresh_from_db()
    assert (cast.wang.name, cast.wang.phone) == ("王秀英", "13800138000")
    assert not AuditEvent.objects.filter(action="careloop.resident.updated").exists()


def test_edit_outside_scope_is_404(client, cast):
    client.force_login(cast.doctor_a)
    response = client.post(f"/w/residents/{cast.zhao.public_id}/edit/", edit_data(cast.zhao))
    assert response.status_code == 404


def test_edit_is_post_only(client, cast):
    client.force_login(cast.doctor_a)
    assert client.get(f"/w/residents/{cast.wang.public_id}/edit/").status_code == 405


# ---- register -----------------------------------------------------------------------------

NEW_ID = make_ids(1)[0]


def test_register_page_renders_for_editors(client, cast):
    english(client)
    client.force_login(cast.doctor_a)
    response = client.get("/w/residents/new/")
    assert response.status_code == 200
    assert "community" not in response.context["form"].fields


@pytest.mark.parametrize("persona", ["auditor", "cashier", "wang_user"])
def test_register_page_is_for_editors_only(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/w/residents/new/").status_code == 403
    assert (
        client.post("/w/residents/new/", {"name": "某人", "id_number": NEW_ID}).status_code == 403
    )
    assert not Resident.objects.filter(name="某人").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "张三", "id_number": "123"}, "id_number"),
        ({"name": "张三", "id_number": ID_WANG}, "id_number"),  # already registered
        ({"name": "张三", "id_number": NEW_ID, "phone": "2345"}, "phone"),
        ({"name": "", "id_number": NEW_ID}, "name"),
        ({"name": "张三", "id_number": NEW_ID, "disability": "bogus"}, "disability"),
    ],
)
def test_register_with_bad_input_shows_errors_and_writes_nothing(client, cast, data, field):
    english(client)
    client.force_login(cast.director)
    residents, events = Resident.objects.count(), AuditEvent.objects.count()
    response = client.post("/w/residents/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'class="errorlist' in response.content.decode()
    assert Resident.objects.count() == residents
    assert AuditEvent.objects.count() == events


def test_register_by_director_opens_the_new_record(client, cast):
    client.force_login(cast.director)
    response = client.post(
        "/w/residents/new/",
        {"name": "张三", "id_number": NEW_ID, "phone": "13600001111", "living_alone": "on"},
    )
    resident = Resident.objects.get(name="张三")
    assert response.status_code == 302
    assert response["Location"] == f"/w/residents/{resident.public_id}/"
    assert (resident.community, resident.living_alone, resident.phone) == (
        cast.east,
        True,
        "13600001111",
    )


def test_register_by_doctor_returns_to_the_list(client, cast):
    english(client)
    # The new resident has no contract yet, so the doctor's scope does not include them.
    client.force_login(cast.doctor_a)
    response = client.post("/w/residents/new/", {"name": "张三", "id_number": NEW_ID})
    assert response.status_code == 302
    assert response["Location"] == "/w/residents/"
    assert Resident.objects.filter(name="张三", community=cast.east).exists()


def test_superuser_chooses_the_community(client, cast):
    client.force_login(cast.admin)
    assert "community" in client.get("/w/residents/new/").context["form"].fields
    response = client.post(
        "/w/residents/new/", {"community": cast.west.pk, "name": "张三", "id_number": NEW_ID}
    )
    assert response.status_code == 302
    assert Resident.objects.get(name="张三").community == cast.west


# ---- console ------------------------------------------------------------------------------


def test_console_figures_for_the_directors_community(client, cast):
    english(client)
    services.update_resident(
        actor=cast.director, resident=cast.wang, changes={"living_alone": True}
    )
    client.force_login(cast.director)
    response = client.get("/console/")
    assert response.status_code == 200
    figures = response.context["figures"]
    # east: wang (born 1949), li (2015), zhao (1988); three contracts; wang lives alone.
    assert figures["total"] == 3
    assert figures["elders"] == 1
    assert figures["elders_share"] == 33.3
    assert figures["contracts"] == 3
    assert figures["alone"] == 1
    html = response.content.decode()
    assert "东湖社区" in html
    assert 'href="/console/audit/"' in html


def test_console_for_superuser_counts_every_community(client, cast):
    client.force_login(cast.admin)
    assert client.get("/console/").context["figures"]["total"] == 4


@pytest.mark.parametrize("persona", ["doctor_a", "cashier", "wang_user"])
def test_console_is_for_management_only(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/console/").status_code == 403
