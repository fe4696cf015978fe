"""Referral agreements and specialist sessions through the API: list with filters, get,
create, patch, end and cancel; every status an operation documents (400 field errors,
403 for the wrong editor, 404, 409); dates as ISO text only."""

from __future__ import annotations

from datetime import date, time

import pytest

from careloop.catalogue import services
from careloop.catalogue.models import ReferralAgreement, SpecialistSession
from careloop.core.models import AuditEvent

from .test_api import URL, bearer, catalogue_events, post

AGREEMENT_FIELDS = {
    "id", "organisation", "organisation_name", "partner", "partner_name", "kind",
    "valid_from", "valid_to", "note", "state",
}  # fmt: skip
SESSION_FIELDS = {
    "id", "host", "host_name", "provider", "provider_name", "provider_organisation",
    "specialty", "specialty_zh", "specialty_en", "schedule", "weekday", "start_time",
    "end_time", "slot_minutes", "capacity", "mode", "location", "valid_from", "valid_to",
    "runs_on_holidays", "state",
}  # fmt: skip


@pytest.fixture
def alliance(cast, net):
    """An agreement in force, an ended one, and the cardiologist's Wednesday session."""
    current = services.create_referral_agreement(
        actor=cast.director, organisation=net.centre, partner=net.hospital, kind="two_way",
        valid_from=date(2025, 1, 1), note="双向转诊",
    )  # fmt: skip
    old = services.create_referral_agreement(
        actor=cast.director, organisation=net.centre, partner=net.hospital,
        kind="remote_consultation", valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31),
    )  # fmt: skip
    session = services.create_specialist_session(
        actor=cast.director, host=net.centre, provider=net.cardiologist, specialty_zh="心内科",
        specialty_en="Cardiology", weekday=2, start_time=time(14, 0), end_time=time(17, 0),
        slot_minutes=20, valid_from=date(2026, 2, 9),
    )  # fmt: skip
    return current, old, session


def test_list_and_get_agreements(client, cast, net, alliance):
    current, old, _session = alliance
    response = client.get(URL + "/referral-agreements", **bearer(cast.doctor_a))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [current.public_id, old.public_id]
    assert set(items[0]) == AGREEMENT_FIELDS
    assert items[0] | {"organisation_name": "", "partner_name": ""} == {
        "id": current.public_id, "organisation": "east.centre", "organisation_name": "",
        "partner": "wuchang.hospital", "partner_name": "", "kind": "two_way",
        "valid_from": "2025-01-01", "valid_to": None, "note": "双向转诊", "state": "active",
    }  # fmt: skip
    for params, ids in (
        ({"state": "active"}, [current.public_id]),
        ({"state": "ended"}, [old.public_id]),
        ({"state": "upcoming"}, []),
        ({"partner": "wuchang.hospital", "kind": "remote_consultation"}, [old.public_id]),
        ({"partner": "east.centre"}, [current.public_id, old.public_id]),
        ({"q": "转诊"}, [current.public_id]),
        ({"q": "人民医院"}, [current.public_id, old.public_id]),
    ):
        body = client.get(URL + "/referral-agreements", params, **bearer(cast.director)).json()
        assert [i["id"] for i in body["items"]] == ids, params
    bad = client.get(URL + "/referral-agreements", {"state": "maybe"}, **bearer(cast.director))
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"state"}

    one = client.get(f"{URL}/referral-agreements/{old.public_id}", **bearer(cast.cashier))
    assert one.status_code == 200 and one.json()["state"] == "ended"
    missing = client.get(f"{URL}/referral-agreements/nope", **bearer(cast.director))
    assert missing.status_code == 404
    assert missing.json()["code"] == "catalogue.agreement_not_found"


def test_create_patch_and_end_an_agreement(client, cast, net):
    body = {
        "organisation": "east.centre", "partner": "wuchang.hospital", "kind": "two_way",
        "valid_from": "2026-01-01", "note": "医联体",
    }  # fmt: skip
    created = post(client, "/referral-agreements", body, cast.director)
    assert created.status_code == 201, created.content
    agreement_id = created.json()["id"]
    assert created.json()["state"] == "active"

    again = post(client, "/referral-agreements", body, cast.director)
    assert again.status_code == 409
    assert again.json()["code"] == "catalogue.agreement_overlaps"
    assert set(again.json()["fields"]) == {"valid_from"}

    patched = post(
        client, f"/referral-agreements/{agreement_id}",
        {"kind": "specialist_alliance", "valid_to": "2026-12-31"}, cast.director, method="patch",
    )  # fmt: skip
    assert patched.status_code == 200
    assert (patched.json()["kind"], patched.json()["valid_to"]) == (
        "specialist_alliance", "2026-12-31",
    )  # fmt: skip

    ended = post(client, f"/referral-agreements/{agreement_id}/end", {}, cast.director)
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2026-02-09"
    twice = post(client, f"/referral-agreements/{agreement_id}/end", {}, cast.director)
    assert twice.status_code == 409 and twice.json()["code"] == "catalogue.agreement_ended"
    early = post(
        client, f"/referral-agreements/{agreement_id}/end", {"last_day": "2025-01-01"},
        cast.director,
    )  # fmt: skip
    assert early.status_code == 400 and set(early.json()["fields"]) == {"last_day"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"organisation": "east.centre", "partner": "wuchang.hospital", "kind": "x",
          "valid_from": "2026-01-01"}, {"kind"}),
        ({"organisation": "east.centre", "partner": "nowhere", "kind": "two_way",
          "valid_from": "2026-01-01"}, {"partner"}),
        ({"organisation": "east.centre", "partner": "east.centre", "kind": "two_way",
          "valid_from": "2026-01-01"}, {"partner"}),
        ({"organisation": "east.centre", "partner": "wuchang.hospital", "kind": "two_way",
          "valid_from": "2026-03-01", "valid_to": "2026-02-01"}, {"valid_to"}),
        ({"organisation": "east.centre", "partner": "wuchang.hospital", "kind": "two_way",
          "valid_from": 1767225600}, {"valid_from"}),
        ({"organisation": "east.centre", "partner": "wuchang.hospital", "kind": "two_way",
          "valid_from": "1767225600"}, {"valid_from"}),
    ],
)  # fmt: skip
def test_invalid_agreement_is_400_and_writes_nothing(client, cast, net, changes, fields):
    before = catalogue_events()
    response = post(client, "/referral-agreements", changes, cast.director)
    assert response.status_code == 400
    assert fields <= set(response.json()["fields"])
    assert ReferralAgreement.objects.count() == 0
    assert catalogue_events() == before


@pytest.mark.parametrize("persona", ["west_director", "doctor_a", "cashier", "wang_user"])
def test_non_managers_get_403_and_nothing_changes(client, cast, net, alliance, persona):
    current, _old, session = alliance
    user = getattr(cast, persona)
    before = AuditEvent.objects.filter(action__startswith="careloop.catalogue.").count()
    create = {
        "organisation": "east.centre", "partner": "wuchang.hospital",
        "kind": "specialist_alliance", "valid_from": "2026-01-01",
    }  # fmt: skip
    assert post(client, "/referral-agreements", create, user).status_code == 403
    path = f"/referral-agreements/{current.public_id}"
    assert post(client, path, {"note": "x"}, user, method="patch").status_code == 403
    assert post(client, f"{path}/end", {}, user).status_code == 403
    new_session = {
        "host": "east.centre", "provider": net.cardiologist.public_id, "specialty_zh": "心内科",
        "weekday": 4, "start_time": "14:00", "end_time": "17:00", "slot_minutes": 20,
        "valid_from": "2026-02-09",
    }  # fmt: skip
    assert post(client, "/specialist-sessions", new_session, user).status_code == 403
    path = f"/specialist-sessions/{session.public_id}"
    assert post(client, path, {"location": "x"}, user, method="patch").status_code == 403
    assert post(client, f"{path}/cancel", {}, user).status_code == 403
    assert AuditEvent.objects.filter(action__startswith="careloop.catalogue.").count() == before
    assert ReferralAgreement.objects.count() == 2 and SpecialistSession.objects.count() == 1


def test_sessions_list_get_create_patch_cancel(client, cast, net, alliance):
    _current, _old, session = alliance
    listed = client.get(URL + "/specialist-sessions", **bearer(cast.nurse_a))
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert set(item) == SESSION_FIELDS
    assert (item["id"], item["host"], item["provider"], item["weekday"], item["start_time"]) == (
        session.public_id, "east.centre", net.cardiologist.public_id, 2, "14:00:00",
    )  # fmt: skip
    assert (item["specialty"], item["state"], item["mode"]) == ("Cardiology", "active", "clinic")
    for params, count in (
        ({"state": "cancelled"}, 0),
        ({"host": "wuchang.hospital"}, 0),
        ({"provider": net.cardiologist.public_id, "q": "心内"}, 1),
        ({"q": "张主任"}, 1),
    ):
        body = client.get(URL + "/specialist-sessions", params, **bearer(cast.director)).json()
        assert body["count"] == count, params
    assert (
        client.get(
            URL + "/specialist-sessions", {"state": "x"}, **bearer(cast.director)
        ).status_code
        == 400
    )

    body = {
        "host": "east.centre", "provider": net.cardiologist.public_id, "specialty_zh": "心内科",
        "weekday": 4, "start_time": "08:30", "end_time": "11:30", "slot_minutes": 30,
        "valid_from": "2026-02-09", "location": "专家诊室",
        "services": ["basic.specialist_clinic"],
    }  # fmt: skip
    created = post(client, "/specialist-sessions", body, cast.director)
    assert created.status_code == 201, created.content
    new_id = created.json()["id"]
    overlapping = post(client, "/specialist-sessions", body, cast.director)
    assert overlapping.status_code == 400
    assert set(overlapping.json()["fields"]) == {"start_time"}

    path = f"/specialist-sessions/{new_id}"
    patched = post(client, path, {"end_time": "12:00", "location": "二楼"}, cast.director,
                   method="patch")  # fmt: skip
    assert patched.status_code == 200
    assert (patched.json()["end_time"], patched.json()["location"]) == ("12:00:00", "二楼")
    bad = post(client, path, {"end_time": "08:00"}, cast.director, method="patch")
    assert bad.status_code == 400 and "end_time" in bad.json()["fields"]

    cancelled = post(client, f"{path}/cancel", {}, cast.director)
    assert cancelled.status_code == 200
    assert cancelled.json()["booked_slots_left"] == 0
    assert cancelled.json()["session"]["state"] == "cancelled"
    assert post(client, f"{path}/cancel", {}, cast.director).status_code == 409
    assert post(client, path, {"location": "x"}, cast.director, method="patch").status_code == 409
    assert client.get(URL + "/specialist-sessions/nope", **bearer(cast.director)).status_code == 404


def test_session_create_errors(client, cast, net):
    body = {
        "host": "east.centre", "provider": net.cardiologist.public_id, "specialty_zh": "心内科",
        "weekday": 2, "start_time": "14:00", "end_time": "17:00", "slot_minutes": 20,
        "valid_from": "2026-02-09",
    }  # fmt: skip
    for changes, field in (
        ({"host": "nowhere"}, "host"),
        ({"provider": "nobody"}, "provider"),
        ({"services": ["no.such"]}, "services"),
        ({"valid_from": 0}, "valid_from"),
        ({"valid_to": "2026-02-01"}, "valid_to"),
        ({"specialty_zh": " "}, "specialty_zh"),
    ):
        response = post(client, "/specialist-sessions", body | changes, cast.director)
        assert response.status_code == 400, changes
        assert field in response.json()["fields"], changes
    assert SpecialistSession.objects.count() == 0
