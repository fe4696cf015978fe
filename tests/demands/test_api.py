"""Demands API: filing (201, then 200 on retry), scoped lists with filters, the detail with
offers and history, transitions (409 illegal, 403 not yours, 404 outside scope) and
accepting an alternative."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.catalogue import services as catalogue_services
from careloop.catalogue.models import Booking
from careloop.core import tokens
from careloop.core.models import AuditEvent
from careloop.demands import services
from careloop.demands.models import Demand
from tests.catalogue.conftest import net  # noqa: F401 (fixture)

from .conftest import SHANGHAI

URL = "/api/v1/demands"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
WINDOW = {
    "start": datetime(2026, 2, 9, 9, 0, tzinfo=SHANGHAI).isoformat(),
    "end": datetime(2026, 2, 9, 12, 0, tzinfo=SHANGHAI).isoformat(),
}


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_api_token(actor=user).key}", **EN}


def post(client, path, body, user, **headers):
    return client.post(
        URL + path, json.dumps(body), content_type="application/json", **bearer(user), **headers
    )


@pytest.fixture
def slots(cast, net):  # noqa: F811
    catalogue_services.generate_slots(actor=cast.director, start=date(2026, 2, 9), days=7)


NEED = {"service_code": "basic.common_illness", "modes": ["clinic"], "windows": [WINDOW]}


def test_a_resident_files_for_themself_and_a_retry_returns_the_same(client, cast, frozen, slots):
    first = post(client, "", NEED, cast.wang_user, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["resident_id"] == cast.wang.public_id
    assert (body["status"], body["tier"], body["quadrant"], body["channel"]) == (
        "submitted", "routine", "Q2", "resident_web",
    )  # fmt: skip
    assert body["fhir_status"] == "requested"
    assert [o["kind"] for o in body["alternatives"]] == ["match"] * 3
    assert body["history"][0]["action"] == "file"
    again = post(client, "", NEED, cast.wang_user, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Demand.objects.count() == 1


def test_the_same_need_filed_again_answers_200_with_the_demand_already_filed(
    client, cast, frozen, slots
):
    first = post(client, "", NEED, cast.wang_user, HTTP_IDEMPOTENCY_KEY="page-1")
    assert first.status_code == 201
    # Another key (the form reloaded), or none: the open demand of minutes ago, as a retry.
    for headers in ({"HTTP_IDEMPOTENCY_KEY": "page-2"}, {}):
        again = post(client, "", {**NEED, "modes": ["home"]}, cast.wang_user, **headers)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        assert again.json()["modes"] == ["clinic"]  # the demand as filed
    assert Demand.objects.count() == 1
    other = post(client, "", {"description": "想量血压"}, cast.wang_user)
    assert other.status_code == 201 and Demand.objects.count() == 2


def test_bad_input_is_400_with_field_errors_and_writes_nothing(client, cast, frozen):
    response = post(client, "", {"service_code": "nope"}, cast.wang_user)
    assert response.status_code == 400
    assert response.json()["fields"] == {"service_code": ["No service has this code."]}
    response = post(client, "", {"description": "", "modes": ["teleport"]}, cast.wang_user)
    assert response.status_code == 400
    response = post(client, "", {"description": "x", "windows": [{"start": "no"}]}, cast.wang_user)
    assert response.status_code == 400
    assert not Demand.objects.exists()


def test_staff_file_for_a_resident_they_see_only(client, cast, frozen):
    body = {"description": "电话反映头晕", "resident_id": cast.wang.public_id,
            "channel": "staff_phone"}  # fmt: skip
    assert post(client, "", body, cast.nurse_a).status_code == 201
    assert post(client, "", body, cast.doctor_b).status_code == 404
    # A resident may not use a staff channel.
    assert post(client, "", {**body, "resident_id": None}, cast.wang_user).status_code == 403


def test_lifecycle_through_the_api(client, cast, frozen, slots):
    demand = post(client, "", NEED, cast.wang_user).json()
    path = f"/{demand['id']}/transitions"
    assert post(client, path, {"action": "complete"}, cast.doctor_a).status_code == 409
    assert post(client, path, {"action": "accept"}, cast.wang_user).status_code == 403
    assert post(client, path, {"action": "accept"}, cast.doctor_b).status_code == 404
    accepted = post(client, path, {"action": "accept"}, cast.doctor_a, HTTP_IDEMPOTENCY_KEY="a")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = post(client, path, {"action": "accept"}, cast.doctor_a, HTTP_IDEMPOTENCY_KEY="a")
    assert again.status_code == 200
    slot = demand["alternatives"][0]["slot"]
    scheduled = post(client, path, {"action": "schedule", "slot_id": slot}, cast.doctor_a)
    assert scheduled.json()["assignment"]["slot"] == slot
    for action in ("start", "complete"):
        assert post(client, path, {"action": action}, cast.doctor_a).status_code == 200
    final = client.get(f"{URL}/{demand['id']}", **bearer(cast.wang_user)).json()
    assert final["status"] == "completed" and final["fhir_status"] == "completed"
    actions = [e["action"] for e in final["history"]]
    assert actions == ["file", "match", "accept", "schedule", "start", "complete"]
    assert post(client, path, {"action": "fly"}, cast.doctor_a).status_code == 400


def test_the_resident_accepts_an_alternative(client, cast, frozen, slots):
    home = {**NEED, "modes": ["home"]}
    demand = post(client, "", home, cast.wang_user).json()
    assert demand["alternatives"][0]["relaxed"] == ["mode"]
    path = f"/{demand['id']}/alternatives/1/accept"
    response = post(client, path, {}, cast.wang_user)
    assert response.status_code == 200
    assert response.json()["assignment"]["slot"] == demand["alternatives"][0]["slot"]
    assert post(client, path, {}, cast.wang_user).status_code == 200  # again: same
    assert Booking.objects.count() == 1
    assert (
        post(client, f"/{demand['id']}/alternatives/2/accept", {}, cast.wang_user).status_code
        == 409
    )
    assert post(client, path, {}, cast.zhao_user).status_code == 404


def test_list_filters_and_scope(client, cast, frozen, slots):
    mine = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="高烧"
    )
    services.file_demand(
        actor=cast.zhao_user, resident=cast.zhao, channel="resident_web", description="想体检"
    )
    services.accept_demand(actor=cast.doctor_a, demand=mine)

    def ids(user, **query):
        response = client.get(URL, query, **bearer(user))
        assert response.status_code == 200, response.content
        return [d["id"] for d in response.json()["items"]]

    assert ids(cast.wang_user) == [mine.public_id]
    assert ids(cast.doctor_a, tier="urgent") == [mine.public_id]
    assert ids(cast.doctor_a, mine="true") == [mine.public_id]
    assert ids(cast.doctor_a, status="submitted") == []
    assert len(ids(cast.director)) == 2
    assert client.get(URL, {"tier": "huge"}, **bearer(cast.director)).status_code == 400


def test_list_is_a_fixed_number_of_queries(client, cast, frozen, slots):
    for i in range(5):
        services.file_demand(
            actor=cast.wang_user, resident=cast.wang, channel="resident_web",
            description=f"需求{i}",
        )  # fmt: skip
    headers = bearer(cast.director)
    client.get(URL, **headers)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        client.get(URL, **headers)
    for i in range(10):
        services.file_demand(
            actor=cast.zhao_user, resident=cast.zhao, channel="resident_web",
            description=f"更多{i}",
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(URL, **headers)
    assert len(many) == len(few)


def test_openapi_lists_the_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/demands",
        "/api/v1/demands/{demand_id}",
        "/api/v1/demands/{demand_id}/transitions",
        "/api/v1/demands/{demand_id}/alternatives/{number}/accept",
    ):
        assert path in paths


def viewed():
    return AuditEvent.objects.filter(action="careloop.resident.viewed").order_by("id")


def test_staff_reads_are_audited_one_event_per_request(client, cast, frozen):
    mine = services.file_demand(
        actor=cast.wang_user, resident=cast.wang, channel="resident_web", description="高烧"
    )
    theirs = services.file_demand(
        actor=cast.zhao_user, resident=cast.zhao, channel="resident_web", description="想体检"
    )
    # A resident reading their own demands: nothing recorded.
    own = bearer(cast.wang_user)
    assert client.get(f"{URL}/{mine.public_id}", **own).status_code == 200
    assert client.get(URL, **own).status_code == 200
    assert not viewed().exists()

    assert client.get(f"{URL}/{mine.public_id}", **bearer(cast.doctor_a)).status_code == 200
    event = viewed().get()
    assert (event.actor_id, event.object_type, event.object_id) == (
        cast.doctor_a.pk, "residents.resident", cast.wang.public_id,
    )  # fmt: skip
    assert event.detail == {
        "purpose": "demands.read", "residents": [cast.wang.public_id],
        "demands": [mine.public_id],
    }  # fmt: skip

    # A page of the list is one event naming the residents and demands on it.
    response = client.get(URL, **bearer(cast.director))
    assert [d["id"] for d in response.json()["items"]] == [mine.public_id, theirs.public_id]
    event = viewed().last()
    assert (event.actor_id, event.object_id) == (cast.director.pk, "")
    assert event.detail == {
        "purpose": "demands.list",
        "residents": sorted([cast.wang.public_id, cast.zhao.public_id]),
        "demands": [mine.public_id, theirs.public_id],
    }
    assert viewed().count() == 2
    # An empty page, and a demand outside the caller's scope (404), record nothing.
    assert client.get(URL, {"status": "completed"}, **bearer(cast.director)).status_code == 200
    assert client.get(f"{URL}/{theirs.public_id}", **bearer(cast.doctor_a)).status_code == 404
    assert viewed().count() == 2
