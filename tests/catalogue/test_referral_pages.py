"""Console pages of the medical alliance: referral agreements (转诊协议) and specialist
sessions (专家坐诊). Role matrix, filters and the htmx fragment, add/edit/end/cancel, form
errors that write nothing, query counts that do not grow with rows, CSP on every page."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.catalogue import services
from careloop.catalogue.models import (
    ReferralAgreement,
    Slot,
    SlotStatus,
    SpecialistSession,
)
from careloop.core.models import AuditEvent

from .test_pages import assert_csp, english

AGREEMENTS = "/console/catalogue/referrals/"
SESSIONS = "/console/catalogue/specialist-sessions/"
START = date(2026, 2, 9)


@pytest.fixture
def alliance(cast, net):
    current = services.create_referral_agreement(
        actor=cast.director, organisation=net.centre, partner=net.hospital, kind="two_way",
        valid_from=date(2025, 1, 1), note="上转绿色通道",
    )  # fmt: skip
    old = services.create_referral_agreement(
        actor=cast.director, organisation=net.centre, partner=net.hospital,
        kind="remote_consultation", valid_from=date(2024, 1, 1), valid_to=date(2024, 12, 31),
    )  # fmt: skip
    session = services.create_specialist_session(
        actor=cast.director, host=net.centre, provider=net.cardiologist, specialty_zh="心内科",
        weekday=2, start_time=time(14, 0), end_time=time(17, 0), slot_minutes=20,
        valid_from=START, location="专家诊室",
    )  # fmt: skip
    return current, old, session


def catalogue_events() -> int:
    return AuditEvent.objects.filter(action__startswith="careloop.catalogue.").count()


@pytest.mark.parametrize("page", [AGREEMENTS, SESSIONS])
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("director", 200),
        ("admin", 200),
        ("auditor", 200),
        ("doctor_a", 200),
        ("cashier", 200),
        ("wang_user", 403),
    ],
)
def test_list_pages_role_matrix(client, cast, net, alliance, page, persona, status):
    client.force_login(getattr(cast, persona))
    response = client.get(page)
    assert response.status_code == status
    if status == 200:
        assert_csp(response)


@pytest.mark.parametrize("page", [AGREEMENTS, SESSIONS, f"{AGREEMENTS}new/", f"{SESSIONS}new/"])
def test_pages_need_sign_in(client, db, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_subnav_links_the_new_pages(client, cast):
    english(client)
    client.force_login(cast.director)
    html = client.get("/console/catalogue/organisations/").content.decode()
    assert f'href="{AGREEMENTS}"' in html and f'href="{SESSIONS}"' in html
    assert ">Referral agreements<" in html and ">Specialist sessions<" in html


def test_agreement_list_filters_and_htmx(client, cast, net, alliance):
    current, old, _session = alliance
    client.force_login(cast.director)
    html = client.get(AGREEMENTS).content.decode()
    assert f"{AGREEMENTS}{current.public_id}/" in html and f"{AGREEMENTS}{old.public_id}/" in html
    assert f'href="{AGREEMENTS}new/"' in html

    html = client.get(AGREEMENTS, {"state": "ended"}).content.decode()
    assert old.public_id in html and current.public_id not in html
    html = client.get(AGREEMENTS, {"partner": "wuchang.hospital", "q": "绿色"}).content.decode()
    assert current.public_id in html and old.public_id not in html

    response = client.get(AGREEMENTS, {"state": "active"}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert "<html" not in fragment and 'id="agreement-results"' in fragment
    assert current.public_id in fragment and old.public_id not in fragment
    assert "HX-Request" in response["Vary"]


def test_readers_see_no_edit_links(client, cast, net, alliance):
    current, _old, session = alliance
    client.force_login(cast.doctor_a)
    assert f"{AGREEMENTS}{current.public_id}/" not in client.get(AGREEMENTS).text
    assert f"{AGREEMENTS}new/" not in client.get(AGREEMENTS).text
    assert f"{SESSIONS}{session.public_id}/" not in client.get(SESSIONS).text
    for url in (
        f"{AGREEMENTS}new/", f"{AGREEMENTS}{current.public_id}/", f"{SESSIONS}new/",
        f"{SESSIONS}{session.public_id}/",
    ):  # fmt: skip
        assert client.get(url).status_code == 403, url
    before = catalogue_events()
    assert client.post(f"{AGREEMENTS}{current.public_id}/end/", {}).status_code == 403
    assert client.post(f"{SESSIONS}{session.public_id}/cancel/", {}).status_code == 403
    assert catalogue_events() == before
    assert client.get(f"{AGREEMENTS}nope/").status_code == 404


def test_list_query_counts_do_not_grow(client, cast, net, alliance):
    client.force_login(cast.director)
    client.get(AGREEMENTS)
    with CaptureQueriesContext(connection) as few:
        client.get(AGREEMENTS, {"state": "upcoming"})
    with CaptureQueriesContext(connection) as all_rows:
        client.get(AGREEMENTS)
    assert len(all_rows) == len(few) <= 14
    with CaptureQueriesContext(connection) as few:
        client.get(SESSIONS, {"state": "cancelled"})
    with CaptureQueriesContext(connection) as all_rows:
        client.get(SESSIONS)
    assert len(all_rows) == len(few) <= 14


def test_director_adds_edits_and_ends_an_agreement(client, cast, net):
    english(client)
    client.force_login(cast.director)
    page = client.get(f"{AGREEMENTS}new/")
    assert page.status_code == 200
    assert_csp(page)
    response = client.post(
        f"{AGREEMENTS}new/",
        {"organisation": net.centre.pk, "partner": net.hospital.pk, "kind": "two_way",
         "valid_from": "2026-01-01", "note": "医联体"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == AGREEMENTS
    agreement = ReferralAgreement.objects.get()
    assert (agreement.partner, agreement.valid_to, agreement.note) == (net.hospital, None, "医联体")

    url = f"{AGREEMENTS}{agreement.public_id}/"
    assert "End this agreement" in client.get(url).text
    response = client.post(
        url, {"partner": net.hospital.pk, "kind": "specialist_alliance",
              "valid_from": "2026-01-01", "valid_to": "2026-12-31", "note": ""},
    )  # fmt: skip
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.kind, agreement.valid_to) == ("specialist_alliance", date(2026, 12, 31))

    response = client.post(f"{url}end/", {"end-last_day": "2026-03-31"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.valid_to == date(2026, 3, 31)


def test_agreement_form_errors_write_nothing(client, cast, net):
    english(client)
    client.force_login(cast.director)
    before = catalogue_events()
    response = client.post(
        f"{AGREEMENTS}new/",
        {"organisation": net.centre.pk, "partner": net.centre.pk, "kind": "two_way",
         "valid_from": "2026-03-01", "valid_to": "2026-02-01"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot make an agreement with itself" in html
    assert "must not be before the start date" in html
    assert ReferralAgreement.objects.count() == 0 and catalogue_events() == before
    # Another community's organisation cannot be chosen as the signing side.
    response = client.post(
        f"{AGREEMENTS}new/",
        {"organisation": net.hospital.pk, "partner": net.centre.pk, "kind": "two_way",
         "valid_from": "2026-01-01"},
    )  # fmt: skip
    assert response.status_code == 400 and ReferralAgreement.objects.count() == 0


def test_ending_before_the_start_is_a_form_error(client, cast, net, alliance):
    english(client)
    current, _old, _session = alliance
    client.force_login(cast.director)
    response = client.post(f"{AGREEMENTS}{current.public_id}/end/", {"end-last_day": "2024-06-30"})
    assert response.status_code == 400
    assert "must not be before the start date" in response.content.decode()
    current.refresh_from_db()
    assert current.valid_to is None


def test_director_adds_edits_and_cancels_a_session(client, cast, net):
    english(client)
    client.force_login(cast.director)
    page = client.get(f"{SESSIONS}new/")
    assert page.status_code == 200
    assert_csp(page)
    assert "张主任" in page.content.decode()
    form = {
        "host": net.centre.pk, "provider": net.cardiologist.pk, "specialty_zh": "心内科",
        "specialty_en": "Cardiology", "weekday": "2", "start_time": "14:00",
        "end_time": "17:00", "slot_minutes": "20", "capacity": "1", "location": "专家诊室",
        "valid_from": "2026-02-09",
    }  # fmt: skip
    response = client.post(f"{SESSIONS}new/", form)
    assert response.status_code == 302 and response["Location"] == SESSIONS
    session = SpecialistSession.objects.get()
    cardio = Slot.objects.filter(provider=net.cardiologist)
    # Generated at once for four weeks: three Wednesdays (the 18th is a holiday) × 9.
    assert cardio.count() == 27
    # Only the specialist's slots: other providers' schedules are left to their managers.
    assert not Slot.objects.exclude(provider=net.cardiologist).exists()
    listed = client.get(SESSIONS).content.decode()
    assert "心内科" in listed and "专家诊室" in listed

    overlapping = client.post(f"{SESSIONS}new/", form)
    assert overlapping.status_code == 400
    assert "overlaps another session" in overlapping.content.decode()
    assert SpecialistSession.objects.count() == 1

    url = f"{SESSIONS}{session.public_id}/"
    edit = {k: v for k, v in form.items() if k not in {"host", "provider"}}
    response = client.post(url, edit | {"end_time": "16:00"})
    assert response.status_code == 302
    assert cardio.count() == 18
    bad = client.post(url, edit | {"end_time": "13:00"})
    assert bad.status_code == 400 and "must be after the start time" in bad.content.decode()

    response = client.post(f"{url}cancel/")
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.state_on(START) == "cancelled"
    assert not cardio.filter(status=SlotStatus.OPEN).exists()
    html = client.get(SESSIONS, {"state": "cancelled"}).content.decode()
    assert "心内科" in html
    again = client.post(f"{url}cancel/", follow=True)
    assert "already cancelled" in again.content.decode()
