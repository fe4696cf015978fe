"""The shipped alert rules (DOMAIN.md "Alert rule defaults": Chinese hypertension guideline
2018 revision, type 2 diabetes guideline 2020). Frozen here as data: a director edits them
through ``services.update_alert_rule``, which adds versions."""

from django.db import migrations
from django.utils import timezone

BP = "85354-9"
FASTING = ["14770-2", "14771-0"]
NON_FASTING = ["14743-9", "15074-8", "14760-3"]
GLUCOSE = FASTING + NON_FASTING
HEART_RATE = "8867-4"
SPO2 = "59408-5"
STEPS = "55423-8"

DEFAULT_RULES = [
    {
        "code": "bp-high",
        "name": "High blood pressure",
        "kind": "threshold",
        "severity": "urgent",
        "parameters": {
            "codes": [BP],
            "tiers": [
                {"severity": "urgent", "any": [["systolic", ">=", 180], ["diastolic", ">=", 110]]},
                # Office (clinic) readings: 140/90; home readings (device, by hand): 135/85.
                {"severity": "routine", "sources": ["clinic"],
                 "any": [["systolic", ">=", 140], ["diastolic", ">=", 90]]},
                {"severity": "routine", "sources": ["device", "manual"],
                 "any": [["systolic", ">=", 135], ["diastolic", ">=", 85]]},
            ],
        },
    },
    {
        "code": "bp-fluctuation",
        "name": "Blood pressure fluctuation",
        "kind": "fluctuation",
        "severity": "routine",
        "parameters": {
            "codes": [BP], "field": "systolic", "window_days": 7, "sd_ge": 15,
            "min_readings": 5, "swing_ge": 30,
        },
    },
    {
        "code": "glucose-high",
        "name": "High blood glucose",
        "kind": "threshold",
        "severity": "routine",
        "parameters": {
            "codes": GLUCOSE,
            "tiers": [
                {"severity": "routine", "codes": FASTING, "any": [["value", ">=", 7.0]]},
                {"severity": "routine", "codes": NON_FASTING, "any": [["value", ">=", 11.1]]},
            ],
        },
    },
    {
        "code": "glucose-low",
        "name": "Low blood glucose",
        "kind": "threshold",
        "severity": "critical",
        "parameters": {
            "codes": GLUCOSE,
            "tiers": [
                {"severity": "critical", "any": [["value", "<", 3.0]]},
                {"severity": "urgent", "any": [["value", "<", 3.9]]},
            ],
        },
    },
    {
        "code": "heart-rate-high",
        "name": "Fast heart rate",
        "kind": "threshold",
        "severity": "urgent",
        "parameters": {
            "codes": [HEART_RATE],
            "tiers": [
                {"severity": "urgent", "any": [["value", ">", 130]]},
                {"severity": "routine", "any": [["value", ">", 100]]},
            ],
        },
    },
    {
        "code": "heart-rate-low",
        "name": "Slow heart rate",
        "kind": "threshold",
        "severity": "urgent",
        "parameters": {
            "codes": [HEART_RATE],
            "tiers": [
                {"severity": "urgent", "any": [["value", "<", 40]]},
                {"severity": "routine", "any": [["value", "<", 50]]},
            ],
        },
    },
    {
        "code": "spo2-low",
        "name": "Low blood oxygen",
        "kind": "threshold",
        "severity": "urgent",
        "parameters": {
            "codes": [SPO2],
            "tiers": [{"severity": "urgent", "any": [["value", "<", 90]]}],
        },
    },
    {
        "code": "activity-drop",
        "name": "Sudden drop in activity",
        "kind": "trend",
        "severity": "routine",
        "parameters": {
            "codes": [STEPS], "baseline_days": 14, "ratio_lt": 0.5, "consecutive_days": 3,
            "min_baseline_days": 7,
        },
    },
]  # fmt: skip


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("observations", "AlertRule")
    now = timezone.now()
    for rule in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            code=rule["code"], version=1, defaults={**rule, "active": True, "created_at": now}
        )


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("observations", "AlertRule")
    Alert = apps.get_model("observations", "Alert")
    codes = [rule["code"] for rule in DEFAULT_RULES]
    Alert.objects.filter(rule__code__in=codes).delete()
    AlertRule.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("observations", "0001_initial")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
