"""Load the shipped starter catalogue (v1: services, skills, tags, languages, packages) and
the mainland China holiday calendar 2025–2026. Reversing removes only shipped rows that no
one has started to use."""

from django.db import migrations

from careloop.catalogue import reference


def load(apps, schema_editor):
    def get_model(name):
        return apps.get_model("catalogue", name)

    reference.apply_catalogue(get_model, reference.read_catalogue("v1"))
    reference.apply_holidays(get_model, reference.read_holidays())


def unload(apps, schema_editor):
    data = reference.read_catalogue("v1")
    Package = apps.get_model("catalogue", "Package")
    Package.objects.filter(
        code__in=[p["code"] for p in data["packages"]], enrolments__isnull=True
    ).delete()
    apps.get_model("catalogue", "Service").objects.filter(
        code__in=[s["code"] for s in data["services"]],
        package_items__isnull=True,
        bookings__isnull=True,
    ).delete()
    apps.get_model("catalogue", "PublicHoliday").objects.filter(
        date__in=[d["date"] for d in reference.read_holidays()["days"]]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
