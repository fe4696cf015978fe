"""Residents API: scoping (404 outside scope, 403 for listing), pagination, search, writes
through services with field errors and nothing half-written, audit of staff reads."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.core import tokens
from careloop.core.models import AuditEvent
from careloop.core.validators import check_digit
from careloop.residents import services
from careloop.residents.models import Resident
from tests.conftest import ID_LI, ID_WANG, ID_ZHAO

URL = "/api/v1/residents"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OUT_FIELDS = {
    "id", "name", "sex", "birth_date", "age", "id_number_masked", "phone", "address",
    "community", "household", "living_alone", "disability", "care_team", "created_at",
}  # fmt: skip


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_api_token(actor=user).key}"}


def valid_id(serial: int) -> str:
    first17 = f"1101051960{serial % 12 + 1:02d}{serial % 28 + 1:02d}{serial:03d}"
    return first17 + check_digit(first17)


def detail(resident: Resident) -> str:
    return f"{URL}/{resident.public_id}"


# ---- reading: one role matrix ---------------------------------------------------------------

VISIBLE = {
    # persona: residents they may read
    "admin": {"wang", "li", "zhao", "chen"},
    "director": {"wang", "li", "zhao"},
    "west_director": {"chen"},
    "auditor": {"wang", "li", "zhao"},
    "doctor_a": {"wang", "li"},
    "nurse_a": {"wang", "li"},
    "doctor_b": {"zhao"},
    "cashier": set(),
    "wang_user": {"wang", "li"},
    "zhao_user": {"zhao"},
    "chen_user": {"chen"},
}
LISTERS = {"admin", "director", "west_director", "auditor", "doctor_a", "nurse_a", "doctor_b"}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
@pytest.mark.parametrize("target", ["wang", "li", "zhao", "chen"])
def test_read_matrix(client, cast, persona, target):
    resident = getattr(cast, target)
    response = client.get(detail(resident), **bearer(getattr(cast, persona)), **EN)
    if target in VISIBLE[persona]:
        assert response.status_code == 200
        assert response.json()["id"] == resident.public_id
    else:
        assert response.status_code == 404
        assert response.json() == {
            "code": "residents.not_found",
            "message": "No such resident.",
            "fields": {},
        }


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_list_matrix(client, cast, persona):
    response = client.get(URL, **bearer(getattr(cast, persona)), **EN)
    if persona in LISTERS:
        assert response.status_code == 200
        expected = {getattr(cast, key).public_id for key in VISIBLE[persona]}
        assert {item["id"] for item in response.json()["items"]} == expected
        assert response.json()["count"] == len(VISIBLE[persona])
    else:
        assert response.status_code == 403
        assert response.json() == {
            "code": "residents.list_forbidden",
            "message": "Your role may not list residents.",
            "fields": {},
        }


def test_output_fields_and_no_database_key(client, cast):
    body = client.get(detail(cast.wang), **bearer(cast.doctor_a)).json()

    assert set(body) == OUT_FIELDS
    assert body["id"] == cast.wang.public_id
    assert str(cast.wang.pk) not in {str(value) for value in body.values()}
    assert body["name"] == "王秀英"
    assert body["sex"] == "F"
    assert body["birth_date"] == "1949-12-31"
    assert body["id_number_masked"] == "110105********002X"
    assert body["phone"] == "13800138000"
    assert body["address"] == "武汉市武昌区东湖路1号"
    assert body["community"] == "east"
    assert body["household"] is None
    assert body["care_team"] == "王医生团队"
    assert body["living_alone"] is False
    assert body["age"] >= 75


def test_staff_read_is_audited_own_read_is_not(client, cast):
    headers_doctor, headers_wang = bearer(cast.doctor_a), bearer(cast.wang_user)
    viewed = AuditEvent.objects.filter(action="careloop.resident.viewed")

    client.get(detail(cast.wang), **headers_wang)
    assert not viewed.exists()

    client.get(detail(cast.wang), **headers_doctor)
    event = viewed.get()
    assert (event.actor_username, event.object_id) == ("doctor_a", cast.wang.public_id)


def test_guardian_reads_dependant(client, cast):
    response = client.get(detail(cast.li), **bearer(cast.wang_user))
    assert response.status_code == 200
    assert response.json()["name"] == "李小明"


# ---- listing ------------------------------------------------------------------------------


def test_director_lists_paginated(client, cast):
    headers = bearer(cast.director)

    first = client.get(URL, {"page_size": 2}, **headers).json()
    second = client.get(URL, {"page_size": 2, "page": 2}, **headers).json()

    assert first["count"] == second["count"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    ids = {item["id"] for item in first["items"] + second["items"]}
    assert ids == {cast.wang.public_id, cast.li.public_id, cast.zhao.public_id}


def test_page_size_is_capped_at_100(client, cast):
    for serial in range(102):
        services.register_resident(
            actor=cast.admin, community=cast.east, name=f"居民{serial}", id_number=valid_id(serial)
        )
    body = client.get(URL, {"page_size": 1000}, **bearer(cast.director)).json()
    assert body["count"] == 105
    assert len(body["items"]) == 100


def test_bad_page_is_400(client, cast):
    response = client.get(URL, {"page": 0}, **bearer(cast.director))
    assert response.status_code == 400
    assert response.json()["fields"] == {"page": ["确保该值大于或等于1。"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("王", {"王秀英"}), ("小明", {"李小明"}), (ID_ZHAO, {"赵建国"}), ("13912345678", {"赵建国"})],
)
def test_search(client, cast, query, expected):
    body = client.get(URL, {"q": query}, **bearer(cast.director)).json()
    assert {item["name"] for item in body["items"]} == expected


def test_search_stays_in_scope(client, cast):
    body = client.get(URL, {"q": ID_ZHAO}, **bearer(cast.doctor_a)).json()
    assert body == {"items": [], "count": 0}


def _list_queries(client, headers) -> int:
    client.get(URL, **headers)  # warm-up: records the token's last use
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, **headers)
    assert response.status_code == 200
    return len(queries)


def test_list_has_no_n_plus_one(client, cast, django_assert_max_num_queries):
    headers = bearer(cast.director)
    with_three = _list_queries(client, headers)
    for serial in range(17):
        resident = services.register_resident(
            actor=cast.director,
            community=cast.east,
            name=f"居民{serial}",
            id_number=valid_id(serial),
        )
        services.sign_contract(actor=cast.director, resident=resident, team=cast.team_a)

    assert _list_queries(client, headers) == with_three
    with django_assert_max_num_queries(with_three):
        body = client.get(URL, **headers).json()
    assert body["count"] == 20
    assert {item["care_team"] for item in body["items"]} == {"王医生团队", "赵医生团队"}


# ---- registering --------------------------------------------------------------------------

NEW = {"name": "孙丽", "id_number": valid_id(7), "phone": "13511112222", "address": "东湖路2号"}


def test_director_registers_a_resident(client, cast):
    response = client.post(URL, NEW, "application/json", **bearer(cast.director))

    assert response.status_code == 201
    body = response.json()
    resident = Resident.objects.get(public_id=body["id"])
    assert resident.community == cast.east
    assert (body["name"], body["phone"], body["community"]) == ("孙丽", "13511112222", "east")
    assert body["sex"] == "M"
    assert body["care_team"] is None
    assert AuditEvent.objects.filter(
        action="careloop.resident.created", object_id=resident.public_id
    ).exists()


def test_superuser_names_the_community(client, cast):
    headers = bearer(cast.admin)

    missing = client.post(URL, NEW, "application/json", **headers, **EN)
    created = client.post(URL, {**NEW, "community": "west"}, "application/json", **headers)

    assert missing.status_code == 400
    assert missing.json()["fields"] == {"community": ["This field is required."]}
    assert created.status_code == 201
    assert created.json()["community"] == "west"


def test_staff_cannot_register_in_another_community(client, cast):
    response = client.post(
        URL, {**NEW, "community": "west"}, "application/json", **bearer(cast.director), **EN
    )
    assert response.status_code == 403
    assert response.json()["code"] == "residents.forbidden"
    assert not Resident.objects.filter(name="孙丽").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"id_number": ID_WANG[:-1] + "0"},
            "id_number",
            "The check digit of the ID number is wrong: please check each digit.",
        ),
        (
            {"phone": "12345"},
            "phone",
            "A mainland mobile number has 11 digits and starts with 13–19.",
        ),
        ({"name": None}, "name", "This field is required."),
        ({"name": "   "}, "name", "Enter the resident's name."),
        ({"living_alone": "maybe"}, "living_alone", "Enter a valid value."),
        ({"disability": "unknown"}, "disability", "Choose a disability type from the list."),
        ({"community": "nowhere"}, "community", "No community has this code."),
        ({"pk": 1}, "pk", "This field is not accepted here."),
    ],
)
def test_bad_input_is_400_and_nothing_is_written(client, cast, change, field, message):
    headers = bearer(cast.director)
    payload = {k: v for k, v in {**NEW, **change}.items() if v is not None}
    residents, events = Resident.objects.count(), AuditEvent.objects.count()

    response = client.post(URL, payload, "application/json", **headers, **EN)

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Please correct the marked fields."
    assert body["fields"] == {field: [message]}
    assert (Resident.objects.count(), AuditEvent.objects.count()) == (residents, events)


def test_missing_field_message_is_chinese_by_default(client, cast):
    payload = {"id_number": NEW["id_number"]}
    response = client.post(URL, payload, "application/json", **bearer(cast.director))
    assert response.status_code == 400
    assert response.json()["fields"] == {"name": ["这个字段是必填项。"]}


def test_malformed_json_is_400(client, cast):
    response = client.post(URL, "{not json", "application/json", **bearer(cast.director))
    assert response.status_code == 400


def test_duplicate_id_number_is_refused(client, cast):
    headers = bearer(cast.director)
    residents, events = Resident.objects.count(), AuditEvent.objects.count()

    response = client.post(URL, {**NEW, "id_number": ID_LI}, "application/json", **headers, **EN)

    assert response.status_code in {400, 409}
    assert response.json()["fields"] == {
        "id_number": ["A resident with this ID number is already registered."]
    }
    assert (Resident.objects.count(), AuditEvent.objects.count()) == (residents, events)


@pytest.mark.parametrize("persona", ["wang_user", "cashier", "auditor"])
def test_non_editors_cannot_register(client, cast, persona):
    headers = bearer(getattr(cast, persona))
    count = Resident.objects.count()
    response = client.post(URL, NEW, "application/json", **headers)
    assert response.status_code == 403
    assert response.json()["code"] == "residents.forbidden"
    assert Resident.objects.count() == count


# ---- changing -----------------------------------------------------------------------------


def test_resident_changes_own_phone(client, cast):
    response = client.patch(
        detail(cast.wang), {"phone": "136 0000 0000"}, "application/json", **bearer(cast.wang_user)
    )

    assert response.status_code == 200
    assert response.json()["phone"] == "13600000000"
    cast.wang.refresh_from_db()
    assert cast.wang.phone == "13600000000"
    event = AuditEvent.objects.get(action="careloop.resident.updated")
    assert event.detail == {"fields": ["phone"]}


def test_resident_cannot_change_own_name(client, cast):
    response = client.patch(
        detail(cast.wang), {"name": "王小英"}, "application/json", **bearer(cast.wang_user), **EN
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"name": ["This field cannot be changed here."]}
    cast.wang.refresh_from_db()
    assert cast.wang.name == "王秀英"
    assert not AuditEvent.objects.filter(action="careloop.resident.updated").exists()


def test_doctor_changes_name_and_flags(client, cast):
    response = client.patch(
        detail(cast.li),
        {"name": "李晓明", "living_alone": True, "disability": "visual"},
        "application/json",
        **bearer(cast.doctor_a),
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["living_alone"], body["disability"]) == ("李晓明", True, "visual")


def test_patch_outside_scope_is_404(client, cast):
    response = client.patch(
        detail(cast.zhao), {"phone": "13600000000"}, "application/json", **bearer(cast.doctor_a)
    )
    assert response.status_code == 404
    cast.zhao.refresh_from_db()
    assert cast.zhao.phone == "13912345678"


def test_patch_rejects_unknown_fields(client, cast):
    response = client.patch(
        detail(cast.wang), {"id_number": ID_ZHAO}, "application/json", **bearer(cast.director), **EN
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"id_number": ["This field is not accepted here."]}
