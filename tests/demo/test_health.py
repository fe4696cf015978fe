"""The demo's health data: prevalence, devices, planted readings, tags and alerts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction

from careloop.core.models import AuditEvent, Community
from careloop.demo import health as h
from careloop.demo.generator import generate
from careloop.demo.loader import LOADED_ACTION, load
from careloop.observations.models import Alert, AlertStatus, Device, Observation
from careloop.residents.models import (
    Medication,
    QuestionnaireResponse,
    Resident,
    ResidentCondition,
    ResidentTag,
)
from careloop.residents.questionnaire_schema import validate_answers
from careloop.residents.services.tags import refresh_tags

N = 300
SEED = 7
DATA = Path(__file__).resolve().parents[2] / "src" / "careloop" / "residents" / "data"
RULES = ("bp-high", "bp-fluctuation", "glucose-high", "glucose-low", "heart-rate-high",
         "heart-rate-low", "spo2-low", "activity-drop")  # fmt: skip


@pytest.fixture(scope="module")
def small():
    demo = generate(N, SEED)
    return demo, h.generate_health(demo, SEED)


@pytest.fixture
def loaded(db):
    return load(n=N, seed=SEED)


# ---- pure generator -----------------------------------------------------------------------


def test_health_is_deterministic(small):
    demo, health = small
    assert h.generate_health(demo, SEED) == health
    assert h.generate_health(generate(N, SEED + 1), SEED + 1) != health


@pytest.mark.parametrize("seed", [1, 2026])
def test_prevalence_follows_domain_figures(seed):
    demo = generate(2000, seed)
    health = h.generate_health(demo, seed)
    adults = {i for i, r in enumerate(demo.residents) if r.age >= 18}
    old = {i for i, r in enumerate(demo.residents) if r.age >= 65}
    with_code: dict[str, set[int]] = {}
    for c in health.conditions:
        with_code.setdefault(c.code, set()).add(c.resident)
    htn, dm = with_code[h.HTN], with_code[h.DM]
    assert 0.20 <= len(htn & adults) / len(adults) <= 0.32
    assert len(htn & old) / len(old) > 0.45
    assert 0.09 <= len(dm & adults) / len(adults) <= 0.15
    assert 0.12 <= len(htn & dm & old) / len(old) <= 0.28  # HTN+DM elders, 18 % in the pilot
    assert not (with_code.get(h.DEMENTIA, set()) | with_code.get(h.ALZHEIMER, set())) - old
    for code in (h.LIPIDS, h.CHD, h.STROKE, h.COPD, h.OSTEOPOROSIS, h.DEPRESSION, h.CKD):
        assert 0 < len(with_code[code]) < 0.2 * len(adults)
    lifestyle = {q.resident for q in health.lifestyle}
    assert lifestyle <= adults
    assert 0.25 <= len(lifestyle) / len(adults) <= 0.35


def test_poor_adherence_of_hypertensive_sixty_to_seventy():
    demo = generate(12_000, 2026)
    health = h.generate_health(demo, 2026)
    htn_names = {name for name, _dose, _freq in h.MEDICINES[h.HTN]}
    meds = [
        m for m in health.medications
        if m.name in htn_names and 60 <= demo.residents[m.resident].age <= 70
    ]  # fmt: skip
    poor = sum(m.adherence == h.POOR for m in meds) / len(meds)
    assert 0.40 <= poor <= 0.50


def test_lifestyle_answers_fit_the_questionnaire(small):
    demo, health = small
    schema = json.loads((DATA / "questionnaire-lifestyle-v1.json").read_text())["schema"]
    for q in health.lifestyle:
        answers = dict(q.answers)
        cleaned, errors = validate_answers(schema, answers)
        assert not errors, (answers, errors)
        assert cleaned == answers
        assert answers["living_alone"] == demo.residents[q.resident].living_alone


@pytest.mark.parametrize(("n", "wristbands"), [(12_000, 800), (3000, 200), (300, 20), (5, 0)])
def test_wristbands_scale_with_the_community(n, wristbands):
    assert h.wristband_count(n) == wristbands


def test_devices_go_to_elders_and_match_conditions(small):
    demo, health = small
    kinds = Counter(d.kind for d in health.devices)
    assert kinds == {h.WRISTBAND: 20, h.BP_MONITOR: 3, h.GLUCOMETER: 2, h.OXIMETER: 1}
    wearers = {d.resident for d in health.devices if d.kind == h.WRISTBAND}
    assert all(demo.residents[i].age >= 60 for i in wearers)
    assert {d.resident for d in health.devices} == wearers  # other devices: wearers too
    htn = {c.resident for c in health.conditions if c.code == h.HTN}
    assert {d.resident for d in health.devices if d.kind == h.BP_MONITOR} <= htn
    assert len({(d.kind, d.serial) for d in health.devices}) == len(health.devices)


def test_every_device_reads_daily_for_thirty_days(small):
    _demo, health = small
    days: dict[tuple[int, str], set[int]] = {}
    for r in health.readings:
        days.setdefault((r.device, r.code), set()).add(r.days_ago)
    assert all(v == set(range(1, h.READING_DAYS + 1)) for v in days.values())
    wristbands = [i for i, d in enumerate(health.devices) if d.kind == h.WRISTBAND]
    assert all((i, h.STEPS) in days and (i, h.HEART_RATE) in days for i in wristbands)


# ---- loaded -------------------------------------------------------------------------------


def test_load_writes_health_data_and_counts(loaded):
    counts = loaded.counts
    assert counts["conditions"] == ResidentCondition.objects.count() > 0
    assert counts["medications"] == Medication.objects.count() > 0
    assert counts["questionnaire_responses"] == QuestionnaireResponse.objects.count() > 0
    assert counts["profile_tags"] == ResidentTag.objects.count() > 0
    assert counts["devices"] == Device.objects.count() == 26
    assert counts["readings"] == Observation.objects.count()
    assert Observation.objects.filter(source="device").count() == 26 * 30 + 20 * 30
    # Two clinic follow-up readings (a year ago, recently) per hypertensive or diabetic.
    clinic = Observation.objects.filter(source="clinic")
    assert clinic.count() == 2 * clinic.values("resident", "code").distinct().count() > 0
    assert counts["open_alerts"] == Alert.objects.filter(status=AlertStatus.OPEN).count()
    event = AuditEvent.objects.get(action=LOADED_ACTION)
    assert event.detail["counts"]["readings"] == counts["readings"]
    assert event.detail["counts"]["open_alerts"] == counts["open_alerts"]


def test_every_rule_has_an_open_alert(loaded):
    rules = set(Alert.objects.filter(status=AlertStatus.OPEN).values_list("rule_code", flat=True))
    assert rules == set(RULES)
    severities = set(Alert.objects.filter(rule_code="bp-high").values_list("severity", flat=True))
    assert "urgent" in severities  # the planted 180/110


def test_second_load_writes_nothing_more(loaded):
    before = (Observation.objects.count(), Alert.objects.count(), AuditEvent.objects.count())
    again = load(n=N, seed=SEED)
    assert not again.created
    assert again.counts == loaded.counts
    assert (Observation.objects.count(), Alert.objects.count(), AuditEvent.objects.count()) == (
        before
    )


def test_bulk_tags_match_refresh_tags(loaded):
    tags = ResidentTag.objects.values_list("resident_id", "code")
    stored: dict[int, set[str]] = {}
    for rid, code in tags:
        stored.setdefault(rid, set()).add(code)
    assert any("htn_dm" in codes for codes in stored.values())
    assert any("poor_adherence" in codes for codes in stored.values())
    for resident in Resident.objects.order_by("id")[:: N // 60]:
        assert refresh_tags(resident) == frozenset(stored.get(resident.pk, set()))
    with_conditions = Resident.objects.filter(conditions__isnull=False).distinct()[:40]
    for resident in with_conditions:
        assert refresh_tags(resident) == frozenset(stored.get(resident.pk, set()))


def _health_snapshot() -> dict[str, list]:
    return {
        "conditions": sorted(
            ResidentCondition.objects.values_list(
                "resident__id_number_hash", "condition__code", "onset_date"
            )
        ),
        "medications": sorted(
            Medication.objects.values_list(
                "resident__id_number_hash", "name", "dose", "adherence", "start_date"
            )
        ),
        "answers": sorted(
            (r, json.dumps(a, sort_keys=True), t)
            for r, a, t in QuestionnaireResponse.objects.values_list(
                "resident__id_number_hash", "answers", "submitted_at"
            )
        ),
        "tags": sorted(ResidentTag.objects.values_list("resident__id_number_hash", "code")),
        "readings": sorted(
            Observation.objects.values_list(
                "resident__id_number_hash",
                "code",
                "identifier",
                "value",
                "value2",
                "effective_at",
            )
        ),
        "alerts": sorted(
            Alert.objects.values_list("resident__id_number_hash", "rule_code", "severity")
        ),
    }


def test_two_loads_store_the_same_health_data(db):
    with transaction.atomic():
        load(n=N, seed=SEED)
        first = _health_snapshot()
        transaction.set_rollback(True)
    assert not Community.objects.exists()
    load(n=N, seed=SEED)
    assert _health_snapshot() == first
