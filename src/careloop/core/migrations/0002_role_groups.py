"""Create one Django group per role of ``careloop.core.roles.Role``."""

from django.db import migrations

ROLE_NAMES = [
    "resident", "family_doctor", "nurse", "health_manager", "triage_nurse", "cashier",
    "cashier_supervisor", "finance_auditor", "lab_staff", "volunteer", "volunteer_coordinator",
    "complaints_officer", "quality_manager", "centre_director", "auditor", "system_admin",
]  # fmt: skip  (frozen copy: migrations must not import code that may change)


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, remove_groups)]
