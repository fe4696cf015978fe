"""Load the shipped condition table (ICD-10, v1) and the lifestyle questionnaire (v1).
Reversing removes only shipped rows that no one has started to use."""

from django.db import migrations

from careloop.residents import reference


def load(apps, schema_editor):
    reference.apply_all(lambda name: apps.get_model("residents", name))


def unload(apps, schema_editor):
    codes = [row["code"] for row in reference.read_conditions("v1")["conditions"]]
    ConditionType = apps.get_model("residents", "ConditionType")
    used = set(
        apps.get_model("residents", "ResidentCondition").objects.values_list(
            "condition__code", flat=True
        )
    ) | set(
        apps.get_model("residents", "FamilyHistory").objects.values_list(
            "condition__code", flat=True
        )
    )
    ConditionType.objects.filter(code__in=set(codes) - used).delete()
    for filename in reference.QUESTIONNAIRES:
        data = reference.read_questionnaire(filename)
        apps.get_model("residents", "Questionnaire").objects.filter(
            code=data["code"], version=data["version"], responses__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_health_profile")]
    operations = [migrations.RunPython(load, unload)]
