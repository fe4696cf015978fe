"""Console alert-rule pages: every console role reads the rules in plain words with their
history; a director's change saves version 2; others get 403 and nothing is written."""

from __future__ import annotations

import pytest

from careloop.core.models import AuditEvent
from careloop.observations.models import AlertRule
from tests.residents.test_questionnaire_pages import assert_strict_page

LIST = "/console/alert-rules/"
BP = "/console/alert-rules/bp-high/"


def bp_form(**changes) -> dict:
    data = {
        "severity": "urgent",
        "active": "on",
        "tier_0_severity": "urgent",
        "tier_0_limit_0": "180",
        "tier_0_limit_1": "110",
        "tier_1_severity": "routine",
        "tier_1_limit_0": "140",
        "tier_1_limit_1": "90",
        "tier_2_severity": "routine",
        "tier_2_limit_0": "135",
        "tier_2_limit_1": "85",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("user", ["director", "auditor", "admin"])
def test_console_roles_see_the_rules_in_chinese(client, cast, user):
    client.force_login(getattr(cast, user))
    response = client.get(LIST)
    assert response.status_code == 200
    assert "高血压" in response.content.decode() or "血压" in response.content.decode()
    client.cookies["django_language"] = "en"
    response = client.get(LIST)
    html = response.content.decode()
    assert AlertRule.objects.filter(active=True).count() == 8
    assert html.count('class="row-link"') == 8
    assert "Urgent: systolic ≥ 180 mmHg or diastolic ≥ 110 mmHg" in html
    assert "Readings: Blood pressure" in html
    assert "v1" in html
    assert_strict_page(response)
    detail = client.get(BP)
    assert detail.status_code == 200
    assert_strict_page(detail)
    assert ('name="tier_0_limit_0"' in detail.content.decode()) is (user != "auditor")


@pytest.mark.parametrize("user", ["doctor_a", "wang_user", "cashier"])
def test_others_may_not_open_the_rules(client, cast, user):
    client.force_login(getattr(cast, user))
    assert client.get(LIST).status_code == 403


def test_director_edit_creates_version_2_with_history(client, cast):
    client.force_login(cast.director)
    response = client.post(BP, bp_form(tier_0_limit_0="170"))
    assert response.status_code == 302
    current = AlertRule.objects.get(code="bp-high", active=True)
    assert current.version == 2
    assert current.created_by == cast.director
    assert current.parameters["tiers"][0]["any"][0] == ["systolic", ">=", 170]
    assert current.parameters["tiers"][1]["sources"] == ["clinic"]  # shape kept
    assert AlertRule.objects.get(code="bp-high", version=1).active is False
    assert AuditEvent.objects.filter(action="careloop.alert_rule.updated").count() == 1
    client.cookies["django_language"] = "en"
    html = client.get(BP).content.decode()
    assert "v2" in html and "v1" in html
    assert "systolic ≥ 170 mmHg" in html and "systolic ≥ 180 mmHg" in html


def test_director_edits_a_trend_rule(client, cast):
    client.force_login(cast.director)
    data = {"severity": "routine", "active": "on", "baseline_days": "14", "ratio_lt": "0.4",
            "consecutive_days": "3", "min_baseline_days": "7"}  # fmt: skip
    assert client.post("/console/alert-rules/activity-drop/", data).status_code == 302
    rule = AlertRule.objects.get(code="activity-drop", active=True)
    assert (rule.version, rule.parameters["ratio_lt"]) == (2, 0.4)


def test_an_invalid_change_writes_nothing(client, cast):
    client.force_login(cast.director)
    data = {"severity": "routine", "active": "on", "baseline_days": "14", "ratio_lt": "1.5",
            "consecutive_days": "3", "min_baseline_days": "7"}  # fmt: skip
    response = client.post("/console/alert-rules/activity-drop/", data)
    assert response.status_code == 400
    assert "ratio_lt" in response.content.decode()
    assert AlertRule.objects.filter(code="activity-drop").count() == 1


def test_auditor_gets_403_and_nothing_is_written(client, cast):
    client.force_login(cast.auditor)
    before = AuditEvent.objects.count()
    assert client.post(BP, bp_form(tier_0_limit_0="170")).status_code == 403
    assert AlertRule.objects.filter(code="bp-high").count() == 1
    assert AuditEvent.objects.count() == before


def test_switching_a_rule_off_keeps_it_reachable(client, cast):
    client.force_login(cast.director)
    data = bp_form()
    del data["active"]
    assert client.post(BP, data).status_code == 302
    assert not AlertRule.objects.filter(code="bp-high", active=True).exists()
    html = client.get(LIST).content.decode()
    assert html.count('class="row-link"') == 7
    assert f'href="{BP}"' in html
    assert client.post(BP, bp_form()).status_code == 302
    assert AlertRule.objects.get(code="bp-high", active=True).version == 3


def test_unknown_rule_is_404(client, cast):
    client.force_login(cast.director)
    assert client.get("/console/alert-rules/no-such-rule/").status_code == 404
