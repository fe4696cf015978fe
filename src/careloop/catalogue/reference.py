"""Shipped reference data (``data/*.json``): the starter catalogue and the holiday calendar.

``apply_catalogue`` and ``apply_holidays`` take a model getter, so the same code runs in the
data migration (historical models) and in ``services.load_catalogue`` (real models). Both are
idempotent: rows are matched by their code (or date); a second run creates nothing. Existing
rows are left as a centre may have edited them, unless ``update_existing`` is set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CURRENT_VERSION = "v1"
SERVICE_FIELDS = (
    "name_zh", "name_en", "description_zh", "description_en", "tier", "category",
    "duration_minutes", "price_fen", "insurance_covered_fen", "is_public_health_basic",
    "min_age", "max_age", "sex", "sort_order",
)  # fmt: skip
PACKAGE_FIELDS = (
    "name_zh", "name_en", "description_zh", "description_en", "group", "min_age", "max_age", "sex",
)  # fmt: skip

ModelGetter = Callable[[str], Any]


@dataclass
class LoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


@cache
def read_catalogue(version: str = CURRENT_VERSION) -> dict[str, Any]:
    path = DATA_DIR / f"catalogue-{version}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no shipped catalogue {version!r} ({path.name})")
    catalogue: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return catalogue


@cache
def read_holidays() -> dict[str, Any]:
    holidays: dict[str, Any] = json.loads(
        (DATA_DIR / "holidays-cn.json").read_text(encoding="utf-8")
    )
    return holidays


def _upsert(
    model: Any, key: dict[str, Any], values: dict[str, Any], update: bool
) -> tuple[Any, bool, bool]:
    obj = model.objects.filter(**key).first()
    if obj is None:
        return model.objects.create(**key, **values), True, False
    changed = update and any(getattr(obj, k) != v for k, v in values.items())
    if changed:
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
    return obj, False, changed


def apply_catalogue(
    get_model: ModelGetter, data: dict[str, Any], *, update_existing: bool = False
) -> LoadResult:
    result = LoadResult()
    version = data["version"]
    lookup: dict[str, dict[str, Any]] = {}
    for kind, model_name in (("skills", "Skill"), ("tags", "Tag"), ("languages", "Language")):
        model = get_model(model_name)
        lookup[kind] = {}
        for row in data[kind]:
            obj, created, updated = _upsert(
                model,
                {"code": row["code"]},
                {"name_zh": row["name_zh"], "name_en": row["name_en"]},
                update_existing,
            )
            lookup[kind][row["code"]] = obj
            if created or updated:
                result.count(kind, created=created)

    Service, ServiceMode = get_model("Service"), get_model("ServiceMode")
    services: dict[str, Any] = {}
    for row in data["services"]:
        values = {name: row[name] for name in SERVICE_FIELDS}
        values["catalogue_version"] = version
        service, created, updated = _upsert(Service, {"code": row["code"]}, values, update_existing)
        services[row["code"]] = service
        if created or update_existing:
            ServiceMode.objects.filter(service=service).exclude(mode__in=row["modes"]).delete()
            for mode in row["modes"]:
                ServiceMode.objects.get_or_create(service=service, mode=mode)
            service.required_skills.set([lookup["skills"][c] for c in row["required_skills"]])
            service.required_tags.set([lookup["tags"][c] for c in row["required_tags"]])
        if created or updated:
            result.count("services", created=created)

    Package, PackageItem = get_model("Package"), get_model("PackageItem")
    for row in data["packages"]:
        values = {name: row[name] for name in PACKAGE_FIELDS}
        values["catalogue_version"] = version
        package, created, updated = _upsert(Package, {"code": row["code"]}, values, update_existing)
        if created or update_existing:
            package.required_tags.set([lookup["tags"][c] for c in row["required_tags"]])
        if created or updated:
            result.count("packages", created=created)
        for order, item in enumerate(row["items"], start=1):
            item_values = {
                "interval_count": item["every"],
                "interval_unit": item["unit"],
                "note_zh": item["note_zh"],
                "note_en": item["note_en"],
                "sort_order": order,
            }
            _obj, created, updated = _upsert(
                PackageItem,
                {"package": package, "service": services[item["service"]]},
                item_values,
                update_existing,
            )
            if created or updated:
                result.count("package_items", created=created)
    return result


def apply_holidays(get_model: ModelGetter, data: dict[str, Any]) -> int:
    """Create the shipped days that are not in the table yet; return how many."""
    PublicHoliday = get_model("PublicHoliday")
    existing = {str(d) for d in PublicHoliday.objects.values_list("date", flat=True)}
    rows = [
        PublicHoliday(
            date=row["date"],
            kind=row["kind"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            follows_weekday=row.get("follows_weekday"),
            source=row["source"],
        )
        for row in data["days"]
        if row["date"] not in existing
    ]
    PublicHoliday.objects.bulk_create(rows)
    return len(rows)
