"""Writing the demo's health data (``careloop.demo.health``) inside the demo's transaction.

Conditions, medications, lifestyle answers, devices and readings go in with ``bulk_create``
(for the reasons given in ``careloop.demo.loader``: the profile services would write one
audit event and one tag refresh per row). Profile tags are computed with the pure
``residents.tagging.derive_tags`` from the same facts ``services.tags.profile_facts`` reads
(a test checks that ``refresh_tags`` agrees), and stored in bulk.

Dates are anchored on the load day (``clock.today()``): onsets, medication starts and answers
lie so many days back, readings fall on the ``READING_DAYS`` days before today at fixed local
times. Device tokens are random (nobody can authenticate as a demo device until a token is
issued); reading identifiers are derived from the serial, the code and the day offset.

At the end the alert rules run once, through ``services.alerts.evaluate_rules``, over the
readings of the last 7 days (older ones are not evaluated by the service), so the care teams
find open alerts; the service writes its own ``careloop.alert.opened`` event.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.utils import timezone

from careloop.core import clock
from careloop.core.models import Community
from careloop.demo.bulk import bulk_create as _bulk_create
from careloop.demo.generator import DemoCommunity
from careloop.demo.health import DemoHealth, generate_health
from careloop.observations.models import Alert, AlertStatus, Device, Observation, Source
from careloop.observations.services.alerts import ALERT_MAX_AGE, evaluate_rules
from careloop.residents.models import (
    Adherence,
    ConditionType,
    Medication,
    ProfileSource,
    Questionnaire,
    QuestionnaireResponse,
    Resident,
    ResidentCondition,
    ResidentTag,
)
from careloop.residents.services.tags import LIFESTYLE_QUESTIONNAIRE
from careloop.residents.tagging import ProfileFacts, derive_tags

HEALTH_KEYS = (
    "conditions", "medications", "questionnaire_responses", "profile_tags", "devices",
    "readings", "open_alerts",
)  # fmt: skip


def write_health(demo: DemoCommunity, seed: int, residents: list[Resident]) -> dict[str, int]:
    health = generate_health(demo, seed)
    today = clock.today()
    now = clock.now()
    types = dict(ConditionType.objects.values_list("code", "pk"))
    tag_of = dict(ConditionType.objects.values_list("code", "tag"))
    chronic_of = dict(ConditionType.objects.values_list("code", "chronic"))

    conditions = [
        ResidentCondition(
            resident_id=residents[c.resident].pk,
            condition_id=types[c.code],
            onset_date=today - timedelta(days=c.onset_days_ago),
            source=ProfileSource.STAFF,
        )
        for c in health.conditions
    ]
    _bulk_create(ResidentCondition, conditions)
    medications = [
        Medication(
            resident_id=residents[m.resident].pk,
            name=m.name,
            dose=m.dose,
            frequency=m.frequency,
            start_date=today - timedelta(days=m.start_days_ago),
            adherence=m.adherence,
            source=ProfileSource.STAFF,
        )
        for m in health.medications
    ]
    _bulk_create(Medication, medications)
    questionnaire = Questionnaire.objects.get(code=LIFESTYLE_QUESTIONNAIRE, active=True)
    local = timezone.get_current_timezone()
    responses = [
        QuestionnaireResponse(
            resident_id=residents[q.resident].pk,
            questionnaire_id=questionnaire.pk,
            answers=dict(q.answers),
            on_behalf=False,
            submitted_at=_at(today, q.days_ago, 10 * 60 + q.resident % 360, local),
        )
        for q in health.lifestyle
    ]
    _bulk_create(QuestionnaireResponse, responses)
    tags = _tags(demo, health, residents, tag_of, chronic_of, now)
    _bulk_create(ResidentTag, tags)

    devices = [
        Device(
            resident_id=residents[d.resident].pk,
            kind=d.kind,
            serial=d.serial,
            key_hash=Device.hash_key(secrets.token_urlsafe(32)),
            prefix="cld_demo",
            registered_at=now - timedelta(days=45),
            last_seen_at=now,
        )
        for d in health.devices
    ]
    _bulk_create(Device, devices, key="key_hash")
    readings, recent = _readings(health, devices, residents, today, now, local)
    _bulk_create(Observation, readings, key="public_id")
    evaluate_rules(actor=None, observations=recent)
    open_alerts = (
        Alert.objects.filter(
            resident__community_id=residents[0].community_id, status=AlertStatus.OPEN
        ).count()
        if residents
        else 0  # (every resident has a community)
    )
    return {
        "conditions": len(conditions),
        "medications": len(medications),
        "questionnaire_responses": len(responses),
        "profile_tags": len(tags),
        "devices": len(devices),
        "readings": len(readings),
        "open_alerts": open_alerts,
    }


def _at(today: date, days_ago: int, minute: int, tz: tzinfo) -> datetime:
    day = today - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(minute // 60 % 24, minute % 60)), tz)


def _tags(
    demo: DemoCommunity,
    health: DemoHealth,
    residents: list[Resident],
    tag_of: dict[str, str],
    chronic_of: dict[str, bool],
    now: datetime,
) -> list[ResidentTag]:
    """The tags ``services.tags.refresh_tags`` would store, from the generated facts."""
    today = clock.today()
    codes: dict[int, list[str]] = {}
    for c in health.conditions:
        codes.setdefault(c.resident, []).append(c.code)
    poor = {m.resident for m in health.medications if m.adherence == Adherence.POOR}
    lifestyle = {q.resident: dict(q.answers) for q in health.lifestyle}
    rows: list[ResidentTag] = []
    for i, (spec, resident) in enumerate(zip(demo.residents, residents, strict=True)):
        mine = codes.get(i, [])
        facts = ProfileFacts(
            age=clock.age_on(spec.birth_date, today),
            sex=spec.sex,
            condition_tags=frozenset(tag_of[c] for c in mine if tag_of[c]),
            chronic_condition_count=len({tag_of[c] for c in mine if chronic_of[c]}),
            living_alone=spec.living_alone,
            disability=spec.disability,
            poor_adherence=i in poor,
            lifestyle=lifestyle.get(i, {}),
        )
        rows.extend(
            ResidentTag(resident_id=resident.pk, code=code, since=now)
            for code in sorted(derive_tags(facts))
        )
    return rows


def _readings(
    health: DemoHealth,
    devices: list[Device],
    residents: list[Resident],
    today: date,
    now: datetime,
    tz: tzinfo,
) -> tuple[list[Observation], list[Observation]]:
    cutoff = now - ALERT_MAX_AGE
    readings: list[Observation] = []
    recent: list[Observation] = []
    key_of = {"55423-8": "steps", "8867-4": "hr", "85354-9": "bp", "14770-2": "glu",
              "59408-5": "spo2"}  # fmt: skip
    for r in health.readings:
        spec = health.devices[r.device]
        device = devices[r.device]
        at = _at(today, r.days_ago, r.minute, tz)
        obs = Observation(
            resident_id=device.resident_id,
            code=r.code,
            value=Decimal(r.value),
            value2=Decimal(r.value2) if r.value2 else None,
            effective_at=at,
            source=Source.DEVICE,
            device_id=device.pk,
            identifier=f"{spec.serial}-{key_of[r.code]}-{r.days_ago}",
            created_at=now,
        )
        readings.append(obs)
        if at >= cutoff:
            # evaluate_rules reads obs.resident; give it the object instead of a query each.
            obs.resident = residents[spec.resident]
            recent.append(obs)
    return readings, recent


def health_counts(community: Community) -> dict[str, int]:
    mine = {"resident__community": community}
    return {
        "conditions": ResidentCondition.objects.filter(**mine).count(),
        "medications": Medication.objects.filter(**mine).count(),
        "questionnaire_responses": QuestionnaireResponse.objects.filter(**mine).count(),
        "profile_tags": ResidentTag.objects.filter(**mine).count(),
        "devices": Device.objects.filter(**mine).count(),
        "readings": Observation.objects.filter(**mine).count(),
        "open_alerts": Alert.objects.filter(**mine, status=AlertStatus.OPEN).count(),
    }
