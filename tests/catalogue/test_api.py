"""Catalogue API: browsing with filters and ``eligible`` for the caller, editor-only writes with
field errors, packages and enrolments, providers and schedules, free slots and idempotent
bookings (201 then 200 on retry, 409 when full, cancel frees the place)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.catalogue import services
from careloop.catalogue.facts import register_tag_provider, unregister_tag_provider
from careloop.catalogue.models import Booking, Enrolment, Organisation, Provider, Service, Slot
from careloop.core import tokens
from careloop.core.models import AuditEvent

from .conftest import svc

URL = "/api/v1/catalogue"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
START = date(2026, 2, 9)
SERVICE_FIELDS = {
    "code", "name", "name_zh", "name_en", "description", "tier", "category", "modes",
    "duration_minutes", "price_fen", "insurance_covered_fen", "resident_pays_fen",
    "is_public_health_basic", "min_age", "max_age", "sex", "required_tags", "required_skills",
    "active", "eligible",
}  # fmt: skip


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_api_token(actor=user).key}", **EN}


def post(client, path, body, user, method="post", **headers):
    send = getattr(client, method)
    return send(
        URL + path, json.dumps(body), content_type="application/json", **bearer(user), **headers
    )


def catalogue_events() -> int:
    """Audit rows of catalogue writes (issuing a token is audited too, so not all rows)."""
    return AuditEvent.objects.filter(action__startswith="careloop.catalogue.").count()


def items_by_code(body) -> dict[str, dict]:
    return {item["code"]: item for item in body["items"]}


# ---- services: browse, filters, eligible --------------------------------------------------


def test_list_services_shape_and_language(client, cast):
    response = client.get(URL + "/services", {"q": "common_illness"}, **bearer(cast.director))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert set(item) == SERVICE_FIELDS
    assert item == {
        **item,
        "code": "basic.common_illness",
        "name": "Common illness consultation",
        "name_zh": "常见病诊疗",
        "tier": "basic",
        "category": "basic_medical",
        "modes": ["home", "clinic"],
        "price_fen": 1000,
        "insurance_covered_fen": 800,
        "resident_pays_fen": 200,
        "required_skills": ["doctor"],
        "eligible": None,  # staff without ?resident=
    }
    zh = client.get(
        URL + "/services",
        {"q": "common_illness"},
        **{**bearer(cast.director), "HTTP_ACCEPT_LANGUAGE": "zh-hans"},
    )
    assert zh.json()["items"][0]["name"] == "常见病诊疗"


def test_anonymous_is_401(client, cast):
    assert client.get(URL + "/services").status_code == 401


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"tier": "basic"}, lambda i: i["tier"] == "basic"),
        ({"category": "screening"}, lambda i: i["category"] == "screening"),
        ({"mode": "online"}, lambda i: "online" in i["modes"]),
        ({"tier": "development", "mode": "group"}, lambda i: i["tier"] == "development"
         and "group" in i["modes"]),
    ],
)  # fmt: skip
def test_filters(client, cast, params, check):
    body = client.get(
        URL + "/services", {**params, "page_size": 100}, **bearer(cast.director)
    ).json()

    expected = Service.objects.filter(active=True)
    for name, value in params.items():
        lookup = {"mode": "delivery_modes__mode"}.get(name, name)
        expected = expected.filter(**{lookup: value})
    assert body["count"] == expected.distinct().count() > 0
    assert all(check(item) for item in body["items"])


def test_filter_by_package_and_group(client, cast):
    headers = bearer(cast.director)
    by_package = client.get(URL + "/services", {"package": "package.child"}, **headers).json()
    by_group = client.get(URL + "/services", {"group": "child"}, **headers).json()

    codes = set(
        svc_code
        for svc_code in Service.objects.filter(
            package_items__package__code="package.child"
        ).values_list("code", flat=True)
    )
    assert {i["code"] for i in by_package["items"]} == codes
    assert {i["code"] for i in by_group["items"]} == codes
    assert "basic.child_checkup" in codes


def test_eligible_for_a_resident_is_their_own(client, cast):
    """zhao: a 38-year-old man. No postpartum rehabilitation, no diabetic foot screening
    until he has diabetes."""
    headers = bearer(cast.zhao_user)
    params = {"q": "maintenance.", "page_size": 100}
    items = items_by_code(client.get(URL + "/services", params, **headers).json())
    assert items["maintenance.postpartum_rehab"]["eligible"] is False
    assert items["maintenance.diabetic_foot_screening"]["eligible"] is False
    assert items["maintenance.spine_rehab"]["eligible"] is True

    def diabetic(resident):
        return {"diabetes"} if resident.pk == cast.zhao.pk else set()

    register_tag_provider(diabetic)
    try:
        items = items_by_code(client.get(URL + "/services", params, **headers).json())
    finally:
        unregister_tag_provider(diabetic)
    assert items["maintenance.diabetic_foot_screening"]["eligible"] is True
    detail = client.get(URL + "/services/maintenance.postpartum_rehab", **headers).json()
    assert detail["eligible"] is False


def test_eligible_for_staff_needs_a_resident_in_scope(client, cast):
    headers = bearer(cast.director)
    path = URL + "/services/maintenance.postpartum_rehab"

    assert client.get(path, **headers).json()["eligible"] is None
    assert (
        client.get(path, {"resident": cast.zhao.public_id}, **headers).json()["eligible"] is False
    )
    assert (
        client.get(path, {"resident": cast.wang.public_id}, **headers).json()["eligible"] is False
    )
    open_service = client.get(
        URL + "/services/basic.common_illness", {"resident": cast.wang.public_id}, **headers
    )
    assert open_service.json()["eligible"] is True
    outside = client.get(path, {"resident": cast.chen.public_id}, **headers)
    assert outside.status_code == 404
    assert outside.json()["code"] == "residents.not_found"
    listed = client.get(URL + "/services", {"resident": cast.chen.public_id}, **headers)
    assert listed.status_code == 404


def test_unknown_service_is_404(client, cast):
    response = client.get(URL + "/services/nope.nothing", **bearer(cast.director))
    assert response.status_code == 404
    assert response.json() == {
        "code": "catalogue.service_not_found",
        "message": "No such service.",
        "fields": {},
    }


def test_list_services_query_count_does_not_grow(client, cast, django_assert_max_num_queries):
    headers = bearer(cast.zhao_user)
    with CaptureQueriesContext(connection) as few:
        client.get(URL + "/services", {"page_size": 5}, **headers)
    with django_assert_max_num_queries(len(few)):
        body = client.get(URL + "/services", {"page_size": 60}, **headers).json()
    assert len(body["items"]) == 60


def test_pagination(client, cast):
    headers = bearer(cast.director)
    first = client.get(URL + "/services", {"page_size": 10}, **headers).json()
    second = client.get(URL + "/services", {"page_size": 10, "page": 2}, **headers).json()

    total = Service.objects.filter(active=True).count()
    assert first["count"] == second["count"] == total
    assert len(first["items"]) == len(second["items"]) == 10
    assert not {i["code"] for i in first["items"]} & {i["code"] for i in second["items"]}
    assert client.get(URL + "/services", {"page": 0}, **headers).status_code == 400


# ---- services: writes --------------------------------------------------------------------------

NEW_SERVICE = {
    "code": "local.tai_chi",
    "name_zh": "太极拳",
    "name_en": "Tai chi",
    "tier": "development",
    "category": "exercise",
    "modes": ["group"],
    "duration_minutes": 60,
    "min_age": 50,
}


def test_editor_creates_and_patches_a_service(client, cast):
    created = post(client, "/services", NEW_SERVICE, cast.director)

    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "local.tai_chi"
    assert created.json()["modes"] == ["group"]
    assert created.json()["min_age"] == 50
    patched = post(
        client, "/services/local.tai_chi", {"price_fen": 500, "modes": ["group", "online"]},
        cast.director, method="patch",
    )  # fmt: skip
    assert patched.status_code == 200, patched.json()
    assert patched.json()["price_fen"] == 500
    assert patched.json()["modes"] == ["online", "group"]
    assert patched.json()["name_zh"] == "太极拳"  # not sent, not changed
    assert AuditEvent.objects.filter(action="careloop.catalogue.service_updated").count() == 1


@pytest.mark.parametrize("persona", ["doctor_a", "nurse_a", "cashier", "zhao_user"])
def test_non_editors_get_403_and_nothing_is_written(client, cast, persona):
    before = Service.objects.count()
    response = post(client, "/services", NEW_SERVICE, getattr(cast, persona))

    assert response.status_code == 403
    assert response.json()["code"] == "catalogue.forbidden"
    assert Service.objects.count() == before
    patch = post(
        client, "/services/basic.common_illness", {"price_fen": 1}, getattr(cast, persona),
        method="patch",
    )  # fmt: skip
    assert patch.status_code == 403
    assert svc("basic.common_illness").price_fen == 1000


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**NEW_SERVICE, "tier": "luxury"}, {"tier": ["Choose a value from the list."]}),
        ({**NEW_SERVICE, "modes": ["teleport"]},
         {"modes": ["Choose at least one delivery mode from the list."]}),
        ({**NEW_SERVICE, "code": "basic.common_illness"},
         {"code": ["A service with this code already exists."]}),
        ({**NEW_SERVICE, "price_fen": 100, "insurance_covered_fen": 200},
         {"insurance_covered_fen": ["Insurance cannot cover more than the price."]}),
        ({**NEW_SERVICE, "duration_minutes": "long"},
         {"duration_minutes": ["Enter a whole number."]}),
        ({**NEW_SERVICE, "colour": "red"}, {"colour": ["This field is not accepted here."]}),
    ],
)  # fmt: skip
def test_invalid_service_is_400_with_field_errors(client, cast, body, fields):
    before = Service.objects.count(), catalogue_events()
    response = post(client, "/services", body, cast.director)

    assert response.status_code == 400
    assert response.json()["fields"] == fields
    assert (Service.objects.count(), catalogue_events()) == before


# ---- packages, enrolment, due services -------------------------------------------------------


def test_packages_list_and_detail(client, cast):
    headers = bearer(cast.wang_user)  # 76 years old
    body = client.get(URL + "/packages", **headers).json()
    packages = items_by_code(body)
    assert set(packages) == {
        "package.elderly",
        "package.child",
        "package.working",
        "package.special",
    }
    assert packages["package.elderly"]["eligible"] is True
    assert packages["package.child"]["eligible"] is False
    detail = client.get(URL + "/packages/package.child", **headers).json()
    assert detail["items"][0] == {
        "service": "basic.child_checkup",
        "service_name": svc("basic.child_checkup").name_en,
        "modes": svc("basic.child_checkup").modes,
        "interval_count": 6,
        "interval_unit": "month",
        "note": "Scheduled by age for 0-6 years",
    }
    assert client.get(URL + "/packages/package.none", **headers).status_code == 404
    by_group = client.get(URL + "/packages", {"group": "child"}, **headers).json()
    assert [p["code"] for p in by_group["items"]] == ["package.child"]


def test_enrol_and_due_services(client, cast, frozen):
    path = f"/residents/{cast.wang.public_id}/enrolments"
    response = post(client, path, {"package": "package.elderly"}, cast.doctor_a)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["package"] == "package.elderly"
    assert body["resident"] == cast.wang.public_id
    assert body["enrolled_on"] == "2026-02-09" and body["status"] == "active"
    again = post(client, path, {"package": "package.elderly"}, cast.doctor_a)
    assert again.status_code == 409
    assert again.json()["code"] == "catalogue.already_enrolled"

    due = client.get(
        URL + f"/residents/{cast.wang.public_id}/due-services", **bearer(cast.doctor_a)
    )
    assert due.status_code == 200
    codes = [d["service"] for d in due.json()]
    assert "basic.elder_checkup" in codes
    assert all(
        d["due_date"] == "2026-02-09" and d["package"] == "package.elderly" for d in due.json()
    )


def test_enrolment_errors(client, cast):
    wang = f"/residents/{cast.wang.public_id}/enrolments"
    chen = f"/residents/{cast.chen.public_id}/enrolments"
    assert post(client, chen, {"package": "package.elderly"}, cast.doctor_a).status_code == 404
    unknown = post(client, wang, {"package": "package.none"}, cast.doctor_a)
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"package": ["No package has this code."]}
    child = post(client, wang, {"package": "package.child"}, cast.doctor_a)
    assert child.status_code == 400 and child.json()["code"] == "catalogue.not_eligible"
    by_resident = post(client, wang, {"package": "package.elderly"}, cast.wang_user)
    assert by_resident.status_code == 403
    assert not Enrolment.objects.exists()
    due = client.get(
        URL + f"/residents/{cast.chen.public_id}/due-services", **bearer(cast.doctor_a)
    )
    assert due.status_code == 404


# ---- organisations and providers ---------------------------------------------------------------


def test_organisations(client, cast, net):
    headers = bearer(cast.zhao_user)  # any signed-in user may read the network
    body = client.get(URL + "/organisations", **headers).json()
    assert {o["code"] for o in body["items"]} == {"east.centre", "wuchang.hospital"}
    hospital = client.get(URL + "/organisations", {"kind": "hospital"}, **headers).json()
    assert [o["code"] for o in hospital["items"]] == ["wuchang.hospital"]
    assert hospital["items"][0]["community"] is None

    created = post(
        client, "/organisations",
        {"code": "east.agency", "name_zh": "康乐居家服务公司", "kind": "third_party"},
        cast.director,
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["community"] == "east"
    refused = post(
        client, "/organisations",
        {"code": "east.agency2", "name_zh": "某公司", "kind": "third_party"}, cast.doctor_a,
    )  # fmt: skip
    assert refused.status_code == 403
    duplicate = post(
        client, "/organisations",
        {"code": "east.agency", "name_zh": "重复", "kind": "third_party"}, cast.director,
    )  # fmt: skip
    assert duplicate.status_code == 409
    bad = post(
        client, "/organisations",
        {"code": "x", "name_zh": "某", "kind": "shop", "community": "nowhere"}, cast.director,
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"community": ["No community has this code."]}
    assert Organisation.objects.count() == 3


def test_providers_create_patch_and_filter(client, cast, net):
    created = post(
        client, "/providers",
        {"organisation": "east.centre", "name": "李护士", "kind": "practitioner", "sex": "F",
         "skills": ["nurse"], "services": ["maintenance.diabetic_foot_screening"],
         "languages": ["zh"]},
        cast.director,
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    provider_id = created.json()["id"]
    assert created.json()["skills"] == ["nurse"]
    assert created.json()["organisation"] == "east.centre"

    patched = post(
        client, f"/providers/{provider_id}", {"title": "主管护师", "active": False},
        cast.director, method="patch",
    )  # fmt: skip
    assert patched.status_code == 200 and patched.json()["title"] == "主管护师"
    assert patched.json()["active"] is False

    headers = bearer(cast.zhao_user)
    listed = client.get(URL + "/providers", {"organisation": "east.centre"}, **headers).json()
    assert {p["name"] for p in listed["items"]} == {"王医生", "刘康复", "陈志愿"}
    nurses = client.get(
        URL + "/providers", {"skill": "nurse", "include_inactive": True}, **headers
    ).json()
    assert [p["id"] for p in nurses["items"]] == [provider_id]

    bad = post(
        client, "/providers",
        {"organisation": "east.centre", "name": "某", "kind": "x", "sex": "M",
         "skills": ["juggler"]},
        cast.director,
    )  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"kind", "skills"}
    west = post(
        client, "/providers",
        {"organisation": "east.centre", "name": "某", "kind": "volunteer", "sex": "M"},
        cast.west_director,
    )  # fmt: skip
    assert west.status_code == 403
    assert Provider.objects.count() == 5
    assert client.get(URL + "/providers/nope", **headers).status_code == 404


def test_schedule_and_generate_slots(client, cast, net):
    path = f"/providers/{net.volunteer.public_id}/schedules"
    body = {
        "weekday": 1, "start_time": "09:00", "end_time": "11:00", "slot_minutes": 60,
        "mode": "home", "valid_from": "2026-02-01",
        "services": ["maintenance.living_alone_visit"],
    }  # fmt: skip
    created = post(client, path, body, cast.director)
    assert created.status_code == 201, created.json()
    assert created.json()["services"] == ["maintenance.living_alone_visit"]
    assert created.json()["organisation"] == "east.centre"

    overlap = post(client, path, body, cast.director)
    assert overlap.status_code == 400 and "start_time" in overlap.json()["fields"]
    assert post(client, path, {**body, "weekday": 2}, cast.doctor_a).status_code == 403

    generate = f"/providers/{net.volunteer.public_id}/generate-slots"
    result = post(client, generate, {"start": "2026-02-09", "days": 7}, cast.director)
    assert result.status_code == 200
    assert result.json() == {"created": 2, "existing": 0}  # Tuesday 10 Feb, 2 slots
    again = post(client, generate, {"start": "2026-02-09", "days": 7}, cast.director)
    assert again.json() == {"created": 0, "existing": 2}
    too_long = post(client, generate, {"start": "2026-02-09", "days": 200}, cast.director)
    assert too_long.status_code == 400
    listed = client.get(URL + path, **bearer(cast.zhao_user)).json()
    assert [s["weekday"] for s in listed] == [1]


# ---- slots and bookings ----------------------------------------------------------------------


@pytest.fixture
def slots(cast, net):
    services.generate_slots(actor=cast.director, start=START, days=3)
    return {
        "clinic": Slot.objects.filter(provider=net.doctor).order_by("start").first(),  # 1 place
        "yoga": Slot.objects.filter(provider=net.therapist).order_by("start").first(),  # 3 places
    }


def test_free_slots_filters_and_pagination(client, cast, net, slots):
    headers = bearer(cast.wang_user)
    everything = client.get(URL + "/slots", {"start": "2026-02-09", "end": "2026-02-11"}, **headers)
    assert everything.status_code == 200
    body = everything.json()
    assert body["count"] == 8 + 3  # Monday clinic 8 × 30 min, Wednesday class 3 × 60 min
    yoga = client.get(
        URL + "/slots", {"service": "development.yoga_class", "start": "2026-02-09",
                         "end": "2026-02-11"}, **headers,
    ).json()  # fmt: skip
    assert yoga["count"] == 3
    assert yoga["items"][0]["services"] == ["development.yoga_class"]
    assert yoga["items"][0]["places_left"] == 3
    assert yoga["items"][0]["provider"] == {"id": net.therapist.public_id, "name": "刘康复"}
    group = client.get(URL + "/slots", {"mode": "group", "start": "2026-02-09",
                                         "end": "2026-02-11"}, **headers).json()  # fmt: skip
    assert group["count"] == 3
    doctor = client.get(
        URL + "/slots",
        {"provider": net.doctor.public_id, "start": "2026-02-09", "end": "2026-02-11",
         "page_size": 5, "page": 2},
        **headers,
    ).json()  # fmt: skip
    assert doctor["count"] == 8 and len(doctor["items"]) == 3
    backwards = client.get(URL + "/slots", {"start": "2026-02-11", "end": "2026-02-09"}, **headers)
    assert backwards.status_code == 400 and list(backwards.json()["fields"]) == ["end"]
    unknown = client.get(URL + "/slots", {"service": "nope.nothing"}, **headers)
    assert unknown.status_code == 404
    epoch = client.get(URL + "/slots", {"start": "0"}, **headers)  # not 1970-01-01
    assert epoch.status_code == 400 and list(epoch.json()["fields"]) == ["start"]


def test_booking_is_idempotent_and_full_is_409(client, cast, slots):
    slot = slots["clinic"]
    path = f"/slots/{slot.public_id}/bookings"
    body = {"resident": cast.wang.public_id, "service": "basic.common_illness"}

    first = post(client, path, body, cast.wang_user, HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == 201, first.json()
    booking = first.json()
    assert booking["status"] == "booked" and booking["slot"] == slot.public_id
    assert booking["service"] == "basic.common_illness"
    retry = post(client, path, body, cast.wang_user, HTTP_IDEMPOTENCY_KEY="key-1")
    assert retry.status_code == 200
    assert retry.json() == booking
    assert Booking.objects.count() == 1
    assert Slot.objects.get(pk=slot.pk).booked_count == 1

    before = Booking.objects.count(), catalogue_events()
    full = post(client, path, {"resident": cast.zhao.public_id}, cast.director,
                HTTP_IDEMPOTENCY_KEY="key-2")  # fmt: skip
    assert full.status_code == 409
    assert full.json() == {
        "code": "catalogue.slot_full",
        "message": "This slot is fully booked.",
        "fields": {},
    }
    assert (Booking.objects.count(), catalogue_events()) == before


def test_cancel_frees_the_place(client, cast, slots):
    slot = slots["clinic"]
    path = f"/slots/{slot.public_id}/bookings"
    booking = post(client, path, {"resident": cast.wang.public_id}, cast.wang_user).json()

    cancelled = client.delete(URL + f"/bookings/{booking['id']}", **bearer(cast.wang_user))
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert Slot.objects.get(pk=slot.pk).booked_count == 0
    twice = client.delete(URL + f"/bookings/{booking['id']}", **bearer(cast.wang_user))
    assert twice.status_code == 409
    rebooked = post(client, path, {"resident": cast.zhao.public_id}, cast.zhao_user)
    assert rebooked.status_code == 201


def test_booking_scope_and_errors(client, cast, slots):
    path = f"/slots/{slots['clinic'].public_id}/bookings"
    before = Booking.objects.count()
    outside = post(client, path, {"resident": cast.chen.public_id}, cast.wang_user)
    assert outside.status_code == 404 and outside.json()["code"] == "residents.not_found"
    no_slot = post(
        client, "/slots/nope/bookings", {"resident": cast.wang.public_id}, cast.wang_user
    )
    assert no_slot.status_code == 404 and no_slot.json()["code"] == "catalogue.slot_not_found"
    not_offered = post(
        client, path, {"resident": cast.wang.public_id, "service": "development.yoga_class"},
        cast.wang_user,
    )  # fmt: skip
    assert not_offered.status_code == 400
    assert not_offered.json()["code"] == "catalogue.service_not_offered"
    long_key = post(client, path, {"resident": cast.wang.public_id}, cast.wang_user,
                    HTTP_IDEMPOTENCY_KEY="k" * 65)  # fmt: skip
    assert long_key.status_code == 400
    assert Booking.objects.count() == before

    booking = post(client, path, {"resident": cast.wang.public_id}, cast.wang_user).json()
    stranger = client.delete(URL + f"/bookings/{booking['id']}", **bearer(cast.zhao_user))
    assert stranger.status_code == 404
    assert (
        client.get(URL + f"/bookings/{booking['id']}", **bearer(cast.doctor_a)).status_code == 200
    )
