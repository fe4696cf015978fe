"""Observation pages: the record's health panels (profile, alerts, chart data), acknowledging
an alert (scoped), the workbench alert queue, the resident's "my readings" with a hand-entered
blood pressure, and plotly.js served from the installed package."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import plotly
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.core.models import AuditEvent
from careloop.observations.models import Alert, AlertStatus, Observation
from careloop.residents import services as resident_services
from tests.observations.conftest import ago, bp

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
MAPLIBRE_STYLE_ID = "9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53"


def english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def record_url(resident) -> str:
    return f"/w/residents/{resident.public_id}/"


def ack_url(alert) -> str:
    return f"/w/residents/{alert.resident.public_id}/alerts/{alert.public_id}/acknowledge/"


def chart_json(html: str) -> dict:
    match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no chart data block"
    return json.loads(match.group(1))


def assert_no_inline_script_or_style(response) -> None:
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.fixture
def urgent_alert(cast) -> Alert:
    bp(cast.wang_user, cast.wang, 185, 115, identifier="home-1")
    return Alert.objects.get(resident=cast.wang, rule_code="bp-high")


# ---- the record page -----------------------------------------------------------------------


def test_record_shows_profile_alerts_and_charts(client, cast, urgent_alert):
    english(client)
    resident_services.record_condition(actor=cast.doctor_a, resident=cast.wang, condition="I10")
    resident_services.record_medication(
        actor=cast.doctor_a, resident=cast.wang, name="氨氯地平", dose="5 mg", adherence="partial"
    )
    resident_services.record_allergy(actor=cast.doctor_a, resident=cast.wang, substance="青霉素")
    client.force_login(cast.doctor_a)
    response = client.get(record_url(cast.wang))
    assert response.status_code == 200
    html = response.content.decode()
    assert "I10" in html and "高血压" in html
    assert "氨氯地平" in html and "Adherence: Partial" in html
    assert "青霉素" in html
    assert 'data-tag="hypertension"' in html or 'class="chip"' in html
    assert f'data-alert="{urgent_alert.public_id}"' in html
    assert "High blood pressure" in html and "185/115 mmHg" in html
    assert ack_url(urgent_alert) in html
    assert 'data-chart="bp"' in html
    assert_no_inline_script_or_style(response)


def test_chart_data_has_readings_thresholds_and_alert_markers(client, cast, urgent_alert):
    bp(cast.doctor_a, cast.wang, 132, 84, at=ago(days=3), identifier="clinic-1")
    for day, steps in ((2, 6000), (1, 4200)):
        services_steps(cast, day, steps)
    client.force_login(cast.doctor_a)
    data = chart_json(client.get(record_url(cast.wang)).content.decode())
    assert data["bp"]["systolic"] == [132.0, 185.0]
    assert data["bp"]["diastolic"] == [84.0, 115.0]
    assert data["bp"]["thresholds"] == [
        {"severity": "routine", "systolic": 140.0, "diastolic": 90.0},
        {"severity": "urgent", "systolic": 180.0, "diastolic": 110.0},
    ]
    assert data["glucose"]["thresholds"] == {"high": 7.0, "low": 3.9}
    assert data["steps"]["y"] == [6000.0, 4200.0]
    (marker,) = data["bp"]["alerts"]
    assert marker["y"] == 185.0 and marker["severity"] == "urgent"
    assert data["bp"]["x"][-1] == marker["x"]


def services_steps(cast, days_ago: int, steps: int) -> None:
    from careloop.observations import services

    services.record_reading(
        actor=cast.doctor_a, resident=cast.wang, code="55423-8", value=steps,
        effective_at=ago(days=days_ago), identifier=f"steps-{days_ago}",
    )  # fmt: skip


def test_chart_period_is_30_or_90_days(client, cast):
    bp(cast.doctor_a, cast.wang, 150, 95, at=ago(days=60), identifier="old")
    client.force_login(cast.doctor_a)
    html = client.get(record_url(cast.wang)).content.decode()
    assert 'data-chart="bp"' not in html  # nothing in the last 30 days
    data = chart_json(client.get(record_url(cast.wang) + "?chart=90").content.decode())
    assert data["bp"]["systolic"] == [150.0]
    # Anything else falls back to 30 days.
    assert 'data-chart="bp"' not in client.get(record_url(cast.wang) + "?chart=5").content.decode()


def test_record_page_reads_the_resident_once_in_the_audit_trail(client, cast, urgent_alert):
    client.force_login(cast.doctor_a)
    before = AuditEvent.objects.filter(action="careloop.resident.viewed").count()
    client.get(record_url(cast.wang))
    assert AuditEvent.objects.filter(action="careloop.resident.viewed").count() == before + 1


# ---- acknowledging -------------------------------------------------------------------------


def test_care_team_acknowledges_an_alert(client, cast, urgent_alert):
    english(client)
    client.force_login(cast.nurse_a)
    response = client.post(ack_url(urgent_alert), follow=True)
    assert response.redirect_chain[-1][0] == record_url(cast.wang) + "#alerts"
    urgent_alert.refresh_from_db()
    assert urgent_alert.status == AlertStatus.ACKNOWLEDGED
    assert urgent_alert.acknowledged_by == cast.nurse_a
    html = response.content.decode()
    assert "The alert is acknowledged." in html
    assert "Acknowledged" in html and ack_url(urgent_alert) not in html
    assert AuditEvent.objects.filter(action="careloop.alert.acknowledged").count() == 1


def test_acknowledge_returns_to_a_safe_next_only(client, cast, urgent_alert):
    client.force_login(cast.doctor_a)
    response = client.post(ack_url(urgent_alert), {"next": "https://evil.example/"})
    assert response["Location"] == record_url(cast.wang) + "#alerts"


@pytest.mark.parametrize("persona", ["doctor_b", "wang_user", "zhao_user"])
def test_others_cannot_acknowledge(client, cast, urgent_alert, persona):
    client.force_login(getattr(cast, persona))
    response = client.post(ack_url(urgent_alert))
    # Another team's doctor: not found; residents: not allowed to handle alerts at all.
    assert response.status_code == (404 if persona == "doctor_b" else 403)
    urgent_alert.refresh_from_db()
    assert urgent_alert.status == AlertStatus.OPEN
    assert not AuditEvent.objects.filter(action="careloop.alert.acknowledged").exists()


def test_acknowledge_with_a_wrong_resident_in_the_url_is_not_found(client, cast, urgent_alert):
    client.force_login(cast.doctor_a)
    url = f"/w/residents/{cast.li.public_id}/alerts/{urgent_alert.public_id}/acknowledge/"
    assert client.post(url).status_code == 404
    assert client.get(ack_url(urgent_alert)).status_code == 405


# ---- workbench alert queue -----------------------------------------------------------------


def test_alert_queue_lists_my_teams_alerts_most_pressing_first(client, cast, urgent_alert):
    english(client)
    bp(cast.doctor_a, cast.li, 150, 95, identifier="li-1")  # routine, newer
    bp(cast.doctor_b, cast.zhao, 190, 120, identifier="zhao-1")  # team B
    client.force_login(cast.doctor_a)
    html = client.get("/w/alerts/").content.decode()
    li_alert = Alert.objects.get(resident=cast.li)
    assert html.index(urgent_alert.public_id) < html.index(li_alert.public_id)
    assert "赵建国" not in html
    assert 'href="/w/alerts/"' in html  # the nav link
    client.post(ack_url(urgent_alert))
    html = client.get("/w/alerts/").content.decode()
    assert urgent_alert.public_id not in html
    assert urgent_alert.public_id in client.get("/w/alerts/?status=acknowledged").content.decode()


def test_alert_queue_query_count_does_not_grow_with_alerts(client, cast):
    client.force_login(cast.doctor_a)
    bp(cast.doctor_a, cast.wang, 185, 115, identifier="a")
    client.get("/w/alerts/")
    with CaptureQueriesContext(connection) as few:
        client.get("/w/alerts/")
    bp(cast.doctor_a, cast.li, 185, 115, identifier="b")
    for n in range(3):
        bp(cast.doctor_a, cast.wang, 150 + n, 95, identifier=f"c{n}")
    with CaptureQueriesContext(connection) as more:
        client.get("/w/alerts/")
    assert len(more) == len(few)


@pytest.mark.parametrize("persona", ["wang_user", "cashier"])
def test_alert_queue_is_for_care_staff(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/w/alerts/").status_code == 403


# ---- resident portal: my readings ----------------------------------------------------------


def test_my_readings_shows_latest_readings_in_plain_words(client, cast):
    bp(cast.wang_user, cast.wang, 150, 92, at=ago(hours=2), identifier="w1")
    client.force_login(cast.wang_user)
    response = client.get("/r/readings/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "150/92" in html
    assert "偏高" in html or "status-high" in html
    assert 'name="entry"' in html
    assert_no_inline_script_or_style(response)
    assert 'href="/r/readings/"' in client.get("/r/").content.decode()


def post_bp(client, **data):
    form = {"systolic": "128", "diastolic": "82", "effective_at": "", "entry": data.pop("entry")}
    form.update(data)
    return client.post("/r/readings/", form)


def test_resident_enters_blood_pressure_once_even_when_submitted_twice(client, cast):
    english(client)
    client.force_login(cast.wang_user)
    entry = "7c1e0c6e-4d0b-4b36-9d4d-8b5c1c1d0a11"
    first = post_bp(client, entry=entry)
    assert first.status_code == 302 and first["Location"] == "/r/readings/"
    second = post_bp(client, entry=entry)
    assert second.status_code == 302
    (obs,) = Observation.objects.filter(resident=cast.wang)
    assert (obs.value, obs.value2, obs.source) == (128, 82, "manual")
    assert obs.identifier == f"web-{entry}"
    assert obs.recorded_by == cast.wang_user
    page = client.get("/r/readings/").content.decode()
    assert "This reading was already saved." in page
    assert "128/82" in page


def test_a_very_high_reading_from_the_portal_opens_an_alert(client, cast):
    client.force_login(cast.wang_user)
    post_bp(client, entry="0b8f3c0e-1111-4a2b-8c3d-000000000001", systolic="185", diastolic="115")
    alert = Alert.objects.get(resident=cast.wang, rule_code="bp-high")
    assert alert.severity == "urgent"
    html = client.get("/r/readings/").content.decode()
    assert "status-very_high" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"systolic": "400"}, "systolic", "Enter a value from 50 to 300 mm[Hg]."),
        ({"systolic": "abc"}, "systolic", "Enter a whole number."),
        ({"diastolic": ""}, "diastolic", "This field is required."),
        ({"systolic": "120", "diastolic": "130"}, "diastolic", "lower than the systolic"),
        ({"effective_at": "2999-01-01T08:00"}, "effective_at", "in the future"),
    ],
)
def test_bad_values_show_errors_and_write_nothing(client, cast, data, field, message):
    english(client)
    client.force_login(cast.wang_user)
    response = post_bp(client, entry="0b8f3c0e-1111-4a2b-8c3d-000000000002", **data)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert 'class="field field-error"' in response.content.decode()
    assert not Observation.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="careloop.observation").exists()


def test_errors_are_translated(client, cast):
    client.force_login(cast.wang_user)
    response = post_bp(client, entry="0b8f3c0e-1111-4a2b-8c3d-000000000003", systolic="400")
    assert response.status_code == 400
    assert "Enter a value" not in response.content.decode()


@pytest.mark.parametrize("persona", ["doctor_a", "cashier"])
def test_my_readings_is_for_residents(client, cast, persona):
    client.force_login(getattr(cast, persona))
    assert client.get("/r/readings/").status_code == 403
    assert client.post("/r/readings/", {"systolic": "120", "diastolic": "80"}).status_code == 403
    assert not Observation.objects.exists()


# ---- a guardian's readings page for a dependant ---------------------------------------------


def family_readings_url(resident) -> str:
    return f"/r/family/{resident.public_id}/readings/"


def test_guardian_enters_a_dependants_blood_pressure(client, cast):
    english(client)
    client.force_login(cast.wang_user)  # 王秀英 is 李's guardian in the cast
    assert (
        family_readings_url(cast.li)
        in client.get(f"/r/family/{cast.li.public_id}/").content.decode()
    )
    url = family_readings_url(cast.li)
    form = {
        "systolic": "186",
        "diastolic": "116",
        "effective_at": "",
        "entry": "0b8f3c0e-2222-4a2b-8c3d-000000000001",
    }
    response = client.post(url, form)
    assert response.status_code == 302 and response["Location"] == url
    assert client.post(url, form).status_code == 302  # the same tap again saves nothing more
    (obs,) = Observation.objects.filter(resident=cast.li)
    assert (obs.value, obs.value2, obs.source, obs.recorded_by) == (
        186,
        116,
        "manual",
        cast.wang_user,
    )
    assert not Observation.objects.filter(resident=cast.wang).exists()
    assert Alert.objects.filter(resident=cast.li, rule_code="bp-high").exists()
    page = client.get(url).content.decode()
    assert f"{cast.li.name}&#x27;s readings" in page or f"{cast.li.name}'s readings" in page
    assert "186/116" in page
    assert "Let them rest and measure again" in page


def test_guardian_page_errors_keep_the_dependant(client, cast):
    english(client)
    client.force_login(cast.wang_user)
    response = client.post(
        family_readings_url(cast.li),
        {
            "systolic": "400",
            "diastolic": "80",
            "effective_at": "",
            "entry": "0b8f3c0e-2222-4a2b-8c3d-000000000002",
        },
    )
    assert response.status_code == 400
    assert response.context["resident"] == cast.li
    assert not Observation.objects.exists()


def test_only_a_guardian_may_open_a_dependants_readings(client, cast):
    client.force_login(cast.zhao_user)  # not 李's guardian
    url = family_readings_url(cast.li)
    assert client.get(url).status_code == 404
    form = {
        "systolic": "120",
        "diastolic": "80",
        "effective_at": "",
        "entry": "0b8f3c0e-2222-4a2b-8c3d-000000000003",
    }
    assert client.post(url, form).status_code == 404
    assert not Observation.objects.exists()
    client.force_login(cast.doctor_a)
    assert client.get(url).status_code == 403


def test_own_record_through_the_family_url_goes_to_my_readings(client, cast):
    client.force_login(cast.wang_user)
    response = client.get(family_readings_url(cast.wang))
    assert response.status_code == 302
    assert response["Location"] == "/r/readings/"


# ---- plotly.js -----------------------------------------------------------------------------


def test_plotly_is_served_from_the_python_package_with_long_caching(client, db):
    response = client.get(f"/assets/plotly.min.js?v={plotly.__version__}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=31536000" in response["Cache-Control"]
    assert response.content == PLOTLY_JS.read_bytes()
    zipped = client.get("/assets/plotly.min.js", HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == PLOTLY_JS.read_bytes()
    again = client.get("/assets/plotly.min.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_plotly_still_honours_our_csp_workarounds():
    """plotly.js skips its inline <style> when #plotly.js-style-global.no-inline-styles exists,
    and MapLibre's when an element with its id exists: an upgrade that drops either fails here
    (regenerate observations/static/observations/plotly.css then)."""
    source = PLOTLY_JS.read_text()
    assert '"plotly.js-style-"' in source and '.matches(".no-inline-styles")' in source
    assert f'document.getElementById("{MAPLIBRE_STYLE_ID}")' in source
