"""Alerts raised as readings arrive: one episode per resident and rule, escalation,
acknowledgement and closing, rule versions, the demand hook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from careloop.core import clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent
from careloop.observations import selectors, services
from careloop.observations.models import Alert, AlertRule, AlertStatus
from careloop.observations.services import alerts as alert_services
from tests.observations.conftest import ago, bp


def test_bp_185_115_opens_one_urgent_alert_per_episode(cast, wang_monitor):
    first = bp(wang_monitor.device, None, 185, 115, identifier="1").observation
    bp(wang_monitor.device, None, 182, 112, identifier="2")
    alert = Alert.objects.get()
    assert (alert.rule_code, alert.severity, alert.status) == ("bp-high", "urgent", "open")
    assert alert.reading_count == 2
    assert alert.first_reading == first
    assert alert.summary == "182/112 mm[Hg]"
    assert alert.rule.version == 1
    assert AuditEvent.objects.filter(action="careloop.alert.opened").count() == 1


def test_routine_alert_escalates_to_urgent_and_reopens(cast):
    bp(cast.doctor_a, cast.wang, 150, 92)
    alert = Alert.objects.get()
    services.acknowledge_alert(actor=cast.doctor_a, alert=alert)
    bp(cast.doctor_a, cast.wang, 186, 100)
    alert.refresh_from_db()
    assert (alert.severity, alert.status, alert.acknowledged_at) == ("urgent", "open", None)
    assert Alert.objects.count() == 1
    bp(cast.doctor_a, cast.wang, 150, 92)  # a milder reading does not lower it
    alert.refresh_from_db()
    assert alert.severity == "urgent"
    assert alert.reading_count == 3


def test_normal_reading_opens_nothing(cast):
    bp(cast.doctor_a, cast.wang, 128, 82)
    assert Alert.objects.count() == 0


def test_closed_episode_lets_the_next_reading_open_a_new_alert(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    services.close_alert(actor=cast.doctor_a, alert=Alert.objects.get(), note="called, fine")
    bp(cast.doctor_a, cast.wang, 185, 115)
    assert sorted(Alert.objects.values_list("status", flat=True)) == ["closed", "open"]


def test_database_refuses_two_active_alerts_for_one_rule(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    alert = Alert.objects.get()
    duplicate = Alert(
        resident=cast.wang, rule=alert.rule, rule_code=alert.rule_code, episode_key="x",
        severity="urgent", opened_at=clock.now(), last_triggered_at=clock.now(),
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_one_batch_evaluates_each_rule_once_per_resident(cast, wang_monitor):
    items = [
        services.ReadingIn(
            code="85354-9", value=185 + i, value2=100, effective_at=ago(minutes=60 - i)
        )
        for i in range(10)
    ]
    services.record_readings(actor=wang_monitor.device, items=items)
    alert = Alert.objects.get(rule_code="bp-high")
    assert alert.reading_count == 10
    assert alert.summary == "194/100 mm[Hg]"


def test_other_rules_fire_on_their_codes(cast):
    def record(code, value):
        services.record_reading(
            actor=cast.doctor_a, resident=cast.wang, code=code, value=value,
            effective_at=ago(minutes=3),
        )  # fmt: skip

    record("glucose_fasting", 7.2)
    record("glucose_random", 2.8)
    record("heart_rate", 135)
    record("spo2", 88)
    assert dict(Alert.objects.values_list("rule_code", "severity")) == {
        "glucose-high": "routine",
        "glucose-low": "critical",
        "heart-rate-high": "urgent",
        "spo2-low": "urgent",
    }


def test_activity_drop_from_stored_history(cast):
    wristband = services.register_device(
        actor=cast.nurse_a, resident=cast.wang, kind="wristband"
    ).device
    today = ago(minutes=1)  # each reading 24 h apart: one per local day
    history = [
        services.ReadingIn(code="steps", value=8000, effective_at=today - timedelta(days=d))
        for d in range(3, 17)
    ]
    services.record_readings(actor=wristband, items=history)
    assert not Alert.objects.exists()  # history older than the alert window opens nothing
    low = [
        services.ReadingIn(code="steps", value=2000, effective_at=today - timedelta(days=d))
        for d in (2, 1, 0)
    ]
    services.record_readings(actor=wristband, items=low)
    alert = Alert.objects.get()
    assert (alert.rule_code, alert.severity) == ("activity-drop", "routine")
    assert alert.detail["median"] == 8000


def test_bp_fluctuation_from_stored_history(cast, wang_monitor):
    values = [118, 152, 120, 150, 119, 151]
    items = [
        services.ReadingIn(
            code="bp", value=v, value2=70, effective_at=ago(hours=12 * (len(values) - i))
        )
        for i, v in enumerate(values)
    ]
    for reading in items:  # one upload at a time, as a monitor sends them
        services.record_readings(actor=wang_monitor.device, items=[reading])
    codes_ = set(Alert.objects.values_list("rule_code", flat=True))
    assert "bp-fluctuation" in codes_


def test_on_alert_opened_is_called_once_per_episode(cast, monkeypatch):
    opened = []
    monkeypatch.setattr(alert_services, "on_alert_opened", opened.append)
    bp(cast.doctor_a, cast.wang, 185, 115)
    bp(cast.doctor_a, cast.wang, 185, 115)
    assert [a.rule_code for a in opened] == ["bp-high"]


# ---- acknowledging and closing --------------------------------------------------------------


def test_acknowledge_by_care_team(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    alert = services.acknowledge_alert(actor=cast.nurse_a, alert=Alert.objects.get())
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", cast.nurse_a)
    again = services.acknowledge_alert(actor=cast.doctor_a, alert=alert)
    assert again.acknowledged_by == cast.nurse_a  # idempotent
    assert AuditEvent.objects.filter(action="careloop.alert.acknowledged").count() == 1


@pytest.mark.parametrize(
    ("persona", "error"),
    [("doctor_b", NotFoundError), ("west_director", NotFoundError), ("wang_user", ForbiddenError),
     ("auditor", ForbiddenError)],
)  # fmt: skip
def test_acknowledge_refused_outside_the_care_team(cast, persona, error):
    bp(cast.doctor_a, cast.wang, 185, 115)
    with pytest.raises(error):
        services.acknowledge_alert(actor=getattr(cast, persona), alert=Alert.objects.get())
    assert Alert.objects.get().status == AlertStatus.OPEN


def test_closed_alert_cannot_be_acknowledged(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    alert = services.close_alert(actor=cast.doctor_a, alert=Alert.objects.get())
    with pytest.raises(ConflictError):
        services.acknowledge_alert(actor=cast.doctor_a, alert=alert)


def test_alerts_visible_to_scopes_by_care_team(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    bp(cast.doctor_b, cast.zhao, 185, 115)

    def names_for(persona):
        alerts = selectors.alerts_visible_to(getattr(cast, persona))
        return set(alerts.values_list("resident__name", flat=True))

    personas = ("doctor_a", "doctor_b", "director", "west_director", "cashier", "wang_user")
    names = {p: names_for(p) for p in personas}
    assert names == {
        "doctor_a": {"王秀英"},
        "doctor_b": {"赵建国"},
        "director": {"王秀英", "赵建国"},
        "west_director": set(),
        "cashier": set(),
        "wang_user": {"王秀英"},
    }


# ---- rule versions --------------------------------------------------------------------------


def test_director_edits_a_rule_as_a_new_version(cast):
    tiers = [{"severity": "urgent", "any": [["value", "<", 92]]}]
    rule = services.update_alert_rule(
        actor=cast.director, code="spo2-low", parameters={"codes": ["59408-5"], "tiers": tiers}
    )
    assert rule.version == 2 and rule.active
    versions = dict(AlertRule.objects.filter(code="spo2-low").values_list("version", "active"))
    assert versions == {1: False, 2: True}
    services.record_reading(
        actor=cast.doctor_a, resident=cast.wang, code="spo2", value=91, effective_at=ago(minutes=1)
    )
    assert Alert.objects.get().rule == rule
    assert AuditEvent.objects.filter(action="careloop.alert_rule.updated").count() == 1


def test_open_alert_keeps_its_version_when_the_rule_changes(cast):
    bp(cast.doctor_a, cast.wang, 185, 115)
    services.update_alert_rule(actor=cast.director, code="bp-high", name="BP high (edited)")
    bp(cast.doctor_a, cast.wang, 185, 115)
    alert = Alert.objects.get()
    assert alert.rule.version == 1
    assert alert.reading_count == 2


def test_switched_off_rule_raises_nothing(cast):
    services.update_alert_rule(actor=cast.director, code="bp-high", active=False)
    bp(cast.doctor_a, cast.wang, 185, 115)
    assert not Alert.objects.exists()


@pytest.mark.parametrize("persona", ["doctor_a", "nurse_a", "auditor", "wang_user"])
def test_only_directors_edit_rules(cast, persona):
    with pytest.raises(ForbiddenError):
        services.update_alert_rule(actor=getattr(cast, persona), code="bp-high", severity="routine")
    assert AlertRule.objects.filter(code="bp-high").count() == 1


def test_invalid_rule_edit_is_refused_and_nothing_written(cast):
    with pytest.raises(DomainError) as caught:
        services.update_alert_rule(
            actor=cast.director, code="bp-high", parameters={"codes": [], "tiers": []}
        )
    assert caught.value.code == "observations.rule_invalid"
    assert AlertRule.objects.filter(code="bp-high").count() == 1
