"""Patient over Django's test client: mapping, scoping (404 outside scope), search and
paging, writes through the residents services, errors as OperationOutcome with nothing
written."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient

from careloop.core.models import AuditEvent
from careloop.residents.models import Resident
from tests.conftest import ID_WANG
from tests.fhir.conftest import (
    ID_SYSTEM,
    bad_check_digit,
    outcome_issues,
    patient_body,
    valid_id,
    written,
)

# ---- read and mapping -----------------------------------------------------------------------


def test_read_maps_the_resident(fhir, cast):
    response = fhir(cast.doctor_a).get(f"/Patient/{cast.wang.public_id}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    patient = Patient.model_validate_json(response.content)
    assert patient.id == cast.wang.public_id
    assert patient.name[0].text == "王秀英"
    assert patient.name[0].family == "王"
    assert patient.name[0].given == ["秀英"]
    assert patient.gender == "female"
    assert patient.birthDate.isoformat() == "1949-12-31"
    assert [(i.system, i.value) for i in patient.identifier] == [(ID_SYSTEM, ID_WANG)]
    assert [(t.system, t.value) for t in patient.telecom] == [("phone", "13800138000")]
    assert patient.address[0].text == "武汉市武昌区东湖路1号"
    assert patient.managingOrganization.display == "东湖社区"
    assert patient.managingOrganization.identifier.value == "east"


def test_patient_id_is_the_native_api_id(fhir, client, cast):
    native = client.get(
        f"/api/v1/residents/{cast.zhao.public_id}",
        HTTP_AUTHORIZATION=fhir(cast.doctor_b).headers["HTTP_AUTHORIZATION"],
    )
    fhir_read = fhir(cast.doctor_b).get(f"/Patient/{cast.zhao.public_id}")

    assert native.json()["id"] == fhir_read.json()["id"] == cast.zhao.public_id


def test_staff_read_is_audited_and_own_read_is_not(fhir, cast):
    before = AuditEvent.objects.filter(action="careloop.resident.viewed").count()
    fhir(cast.wang_user).get(f"/Patient/{cast.wang.public_id}")
    assert AuditEvent.objects.filter(action="careloop.resident.viewed").count() == before

    fhir(cast.doctor_a).get(f"/Patient/{cast.wang.public_id}")
    event = AuditEvent.objects.filter(action="careloop.resident.viewed").last()
    assert (event.actor_username, event.object_id, event.detail) == (
        "doctor_a",
        cast.wang.public_id,
        {"purpose": "fhir.read"},
    )


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("wang_user", "wang", 200),
        ("wang_user", "li", 200),  # guardian of li
        ("wang_user", "zhao", 404),
        ("zhao_user", "wang", 404),
        ("doctor_b", "wang", 404),
        ("cashier", "wang", 404),
        ("west_director", "wang", 404),
        ("director", "zhao", 200),
    ],
)
def test_read_scope_is_the_native_scope(fhir, cast, persona, target, status):
    response = fhir(getattr(cast, persona)).get(f"/Patient/{getattr(cast, target).public_id}")

    assert response.status_code == status
    if status == 404:
        assert outcome_issues(response)[0]["code"] == "not-found"


def test_unknown_id_is_404(fhir, cast):
    response = fhir(cast.admin).get("/Patient/doesnotexist")

    assert response.status_code == 404
    assert outcome_issues(response)[0]["code"] == "not-found"


def test_unauthenticated_is_401_operation_outcome(fhir, cast):
    response = fhir(None).get(f"/Patient/{cast.wang.public_id}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="careloop"'
    assert outcome_issues(response)[0]["code"] == "login"


def test_a_revoked_or_wrong_token_is_401(client, cast):
    response = client.get(
        f"/fhir/r4/Patient/{cast.wang.public_id}", HTTP_AUTHORIZATION="Bearer cl_nope"
    )

    assert response.status_code == 401


def test_session_works_and_writes_need_csrf(cast):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.director)

    assert browser.get(f"/fhir/r4/Patient/{cast.wang.public_id}").status_code == 200
    before = written()
    response = browser.post(
        "/fhir/r4/Patient",
        patient_body("周杰", valid_id(1)),
        content_type="application/fhir+json",
    )
    assert response.status_code == 403
    assert written() == before


# ---- search ---------------------------------------------------------------------------------


def _ids(response) -> list[str]:
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "searchset"
    return [entry.resource.id for entry in bundle.entry or []]


def test_search_by_identifier_is_exact_and_scoped(fhir, cast):
    director = fhir(cast.director)

    assert _ids(director.get("/Patient", identifier=f"{ID_SYSTEM}|{ID_WANG}")) == [
        cast.wang.public_id
    ]
    assert _ids(director.get("/Patient", identifier=ID_WANG.lower())) == [cast.wang.public_id]
    assert _ids(director.get("/Patient", identifier=f"urn:other|{ID_WANG}")) == []
    assert _ids(director.get("/Patient", identifier=ID_WANG[:10])) == []
    # chen is in the west community: the east director finds nothing.
    assert _ids(director.get("/Patient", identifier=f"{ID_SYSTEM}|440305197606060043")) == []


def test_search_by_name_birthdate_and_gender(fhir, cast):
    director = fhir(cast.director)

    assert _ids(director.get("/Patient", name="秀英")) == [cast.wang.public_id]
    assert _ids(director.get("/Patient", **{"name:exact": "秀英"})) == []
    assert set(_ids(director.get("/Patient", birthdate="lt1990"))) == {
        cast.wang.public_id,
        cast.zhao.public_id,
    }
    assert _ids(director.get("/Patient", birthdate="1949")) == [cast.wang.public_id]
    assert _ids(director.get("/Patient", birthdate="1949-12-31")) == [cast.wang.public_id]
    assert _ids(director.get("/Patient", birthdate="ge2015-03-07")) == [cast.li.public_id]
    assert _ids(director.get("/Patient", birthdate="gt2015-03-07")) == []
    assert _ids(director.get("/Patient", birthdate="le1949-12-31")) == [cast.wang.public_id]
    assert set(_ids(director.get("/Patient", gender="male"))) == {
        cast.li.public_id,
        cast.zhao.public_id,
    }


def test_search_results_are_audited_for_staff(fhir, cast):
    client = fhir(cast.doctor_a)
    last = AuditEvent.objects.order_by("id").last().id

    client.get("/Patient")

    viewed = AuditEvent.objects.filter(id__gt=last)
    assert {(e.action, e.object_id) for e in viewed} == {
        ("careloop.resident.viewed", cast.wang.public_id),
        ("careloop.resident.viewed", cast.li.public_id),
    }


def test_search_refuses_unknown_parameters_and_bad_dates(fhir, cast):
    director = fhir(cast.director)

    response = director.get("/Patient", family="王")
    assert response.status_code == 400
    assert outcome_issues(response)[0]["code"] == "not-supported"
    assert director.get("/Patient", birthdate="1949-13-01").status_code == 400
    assert director.get("/Patient", birthdate="yesterday").status_code == 400
    assert director.get("/Patient", _count="-1").status_code == 400


def test_paging_with_count_1_follows_next_and_previous_links(fhir, cast):
    director = fhir(cast.director)
    seen: list[str] = []
    response = director.get("/Patient", _count="1")
    totals = set()
    while True:
        body = response.json()
        totals.add(body["total"])
        assert len(body["entry"]) == 1
        seen.extend(e["resource"]["id"] for e in body["entry"])
        links = {link["relation"]: link["url"] for link in body["link"]}
        assert links["self"].startswith("http://testserver/fhir/r4/Patient?")
        if "next" not in links:
            break
        url = urlparse(links["next"])
        response = director.get("/Patient", **{k: v[0] for k, v in parse_qs(url.query).items()})
    assert totals == {3}
    assert sorted(seen) == sorted([cast.wang.public_id, cast.li.public_id, cast.zhao.public_id])
    assert "previous" in links
    previous = parse_qs(urlparse(links["previous"]).query)
    assert previous["_offset"] == ["1"] and previous["_count"] == ["1"]


def test_count_is_capped_at_100_and_zero_gives_only_the_total(fhir, cast):
    director = fhir(cast.director)

    capped = director.get("/Patient", _count="1000").json()
    self_link = next(link["url"] for link in capped["link"] if link["relation"] == "self")
    assert "_count=100" in self_link
    total_only = director.get("/Patient", _count="0").json()
    assert total_only["total"] == 3
    assert "entry" not in total_only


# ---- create and update ----------------------------------------------------------------------


def test_create_registers_through_the_service(fhir, cast):
    number = valid_id(7)
    response = fhir(cast.director).post(
        "/Patient", patient_body("欧阳娜娜", number, gender="male", birthDate="1960-08-08")
    )

    assert response.status_code == 201, response.json()
    resident = Resident.objects.get(public_id=response.json()["id"])
    assert response["Location"] == f"http://testserver/fhir/r4/Patient/{resident.public_id}"
    assert (resident.name, resident.id_number, resident.phone, resident.community) == (
        "欧阳娜娜",
        number,
        "13600000001",
        cast.east,
    )
    name = response.json()["name"][0]
    assert (name["family"], name["given"]) == ("欧阳", ["娜娜"])
    assert AuditEvent.objects.filter(
        action="careloop.resident.created", object_id=resident.public_id
    ).exists()


def test_create_from_family_and_given_without_text(fhir, cast):
    body = patient_body("x", valid_id(8))
    body["name"] = [{"family": "司马", "given": ["光"]}]

    response = fhir(cast.director).post("/Patient", body)

    assert response.status_code == 201
    assert response.json()["name"][0]["text"] == "司马光"


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        (patient_body("周杰", bad_check_digit(valid_id(2))), "Patient.identifier"),
        (patient_body("周杰", valid_id(2), gender="female"), "Patient.gender"),
        (patient_body("周杰", valid_id(2), birthDate="1961-01-01"), "Patient.birthDate"),
        (patient_body("", valid_id(2)), "Patient.name[0].text"),  # FHIR: no empty strings
        (patient_body("张" * 51, valid_id(2)), "Patient.name"),  # the service's rule
        ({**patient_body("周杰", valid_id(2)), "identifier": []}, "Patient.identifier"),
        (patient_body("周杰", valid_id(2), birthDate="1960-3"), "Patient.birthDate"),
        (patient_body("周杰", valid_id(2), colour="blue"), "Patient.colour"),
        ({**patient_body("周杰", valid_id(2)), "name": [{"given": "杰"}]}, "Patient.name[0].given"),
        (patient_body("周杰", ID_WANG), "Patient.identifier"),  # already registered
    ],
)
def test_invalid_patient_is_400_and_writes_nothing(fhir, cast, body, expression):
    client = fhir(cast.director)
    before = written()

    response = client.post("/Patient", body)

    assert response.status_code == 400, response.json()
    issues = outcome_issues(response)
    assert expression in [path for issue in issues for path in issue.get("expression", [])]
    assert all(issue["severity"] == "error" and issue["diagnostics"] for issue in issues)
    assert written() == before


def test_bad_check_digit_message_is_translated(fhir, cast):
    client = fhir(cast.director)
    client.headers["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    response = client.post("/Patient", patient_body("周杰", bad_check_digit(valid_id(2))))

    assert "校验" in outcome_issues(response)[0]["diagnostics"]


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        ("{not json", "application/fhir+json", 400),
        ("[]", "application/fhir+json", 400),
        ('{"resourceType": "Observation"}', "application/fhir+json", 400),
        ("{}", "text/plain", 415),
    ],
)
def test_structurally_invalid_body_is_refused(client, fhir, cast, raw, content_type, status):
    headers = fhir(cast.director).headers
    before = written()

    response = client.post("/fhir/r4/Patient", raw, content_type=content_type, **headers)

    assert response.status_code == status
    assert outcome_issues(response)
    assert written() == before


def test_plain_json_content_type_is_accepted(client, fhir, cast):
    import json

    headers = fhir(cast.director).headers
    response = client.post(
        "/fhir/r4/Patient",
        json.dumps(patient_body("钱多多", valid_id(3))),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 201


def test_a_resident_may_not_create_patients(fhir, cast):
    client = fhir(cast.wang_user)  # issuing the token is audited: before counting
    before = written()

    response = client.post("/Patient", patient_body("周杰", valid_id(2)))

    assert response.status_code == 403
    assert outcome_issues(response)[0]["code"] == "forbidden"
    assert written() == before


def test_conditional_create_with_if_none_exist_header(fhir, cast):
    client = fhir(cast.director)
    body = patient_body("孙悦", valid_id(4))
    condition = f"identifier={ID_SYSTEM}|{valid_id(4)}"

    first = client.post("/Patient", body, HTTP_IF_NONE_EXIST=condition)
    count = Resident.objects.count()
    second = client.post("/Patient", body, HTTP_IF_NONE_EXIST=condition)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Resident.objects.count() == count


def test_update_changes_through_the_service(fhir, cast):
    client = fhir(cast.doctor_a)
    patient = client.get(f"/Patient/{cast.wang.public_id}").json()
    patient["telecom"] = [{"system": "phone", "value": "+86 139 0000 0002"}]
    patient["address"] = [{"text": "武汉市武昌区新地址3号"}]

    response = client.put(f"/Patient/{cast.wang.public_id}", patient)

    assert response.status_code == 200, response.json()
    cast.wang.refresh_from_db()
    assert (cast.wang.phone, cast.wang.address) == ("13900000002", "武汉市武昌区新地址3号")
    event = AuditEvent.objects.filter(action="careloop.resident.updated").last()
    assert event.detail == {"fields": ["address", "phone"]}


def test_resident_may_update_own_phone_but_not_name(fhir, cast):
    client = fhir(cast.wang_user)
    patient = client.get(f"/Patient/{cast.wang.public_id}").json()
    patient["telecom"] = [{"system": "phone", "value": "13900000003"}]
    assert client.put(f"/Patient/{cast.wang.public_id}", patient).status_code == 200

    patient["name"] = [{"text": "王秀兰"}]
    response = client.put(f"/Patient/{cast.wang.public_id}", patient)
    assert response.status_code == 400
    assert outcome_issues(response)[0]["expression"] == ["Patient.name"]
    cast.wang.refresh_from_db()
    assert (cast.wang.name, cast.wang.phone) == ("王秀英", "13900000003")


def test_update_refuses_a_changed_id_number_and_a_mismatched_id(fhir, cast):
    client = fhir(cast.director)
    patient = client.get(f"/Patient/{cast.wang.public_id}").json()

    changed = {**patient, "identifier": [{"system": ID_SYSTEM, "value": valid_id(5, female=True)}]}
    changed.pop("gender")
    changed.pop("birthDate")
    assert client.put(f"/Patient/{cast.wang.public_id}", changed).status_code == 400
    assert client.put(f"/Patient/{cast.zhao.public_id}", patient).status_code == 400
    cast.wang.refresh_from_db()
    assert cast.wang.id_number == ID_WANG


def test_update_out_of_scope_is_404(fhir, cast):
    patient = fhir(cast.director).get(f"/Patient/{cast.wang.public_id}").json()
    client = fhir(cast.doctor_b)
    before = written()

    response = client.put(f"/Patient/{cast.wang.public_id}", patient)

    assert response.status_code == 404
    assert written() == before


# ---- unsupported ----------------------------------------------------------------------------


def test_unsupported_interactions(client, fhir, cast):
    headers = fhir(cast.admin).headers

    delete = client.delete(f"/fhir/r4/Patient/{cast.wang.public_id}", **headers)
    assert delete.status_code == 405
    assert delete["Allow"] == "GET, PUT"
    assert outcome_issues(delete)[0]["code"] == "not-supported"
    assert client.get("/fhir/r4/Basic", **headers).status_code == 404
    history = client.get(f"/fhir/r4/Patient/{cast.wang.public_id}/_history", **headers)
    assert history.status_code == 501
    assert client.get("/fhir/r4/", **headers).status_code == 405
