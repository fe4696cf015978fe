"""Shipped reference data (``data/*.json``): the condition table (ICD-10) and the questionnaire
definitions.

``apply_conditions`` and ``apply_questionnaire`` take a model getter so the same code runs in
the data migration (historical models) and in ``services.load_reference_data`` (real models).
Both are idempotent: conditions are matched by ICD-10 code, questionnaires by (code, version);
a second run creates nothing. Existing condition rows are left as a centre may have edited
them unless ``update_existing`` is set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from careloop.residents.questionnaire_schema import check_definition

DATA_DIR = Path(__file__).resolve().parent / "data"
CONDITIONS_VERSION = "v1"
QUESTIONNAIRES = ("questionnaire-lifestyle-v1.json", "questionnaire-needs-review-v1.json")
CONDITION_FIELDS = ("name_zh", "name_en", "chronic", "tag", "aliases")

ModelGetter = Callable[[str], Any]


@cache
def read_conditions(version: str = CONDITIONS_VERSION) -> dict[str, Any]:
    path = DATA_DIR / f"conditions-{version}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no shipped condition table {version!r} ({path.name})")
    conditions: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return conditions


@cache
def read_questionnaire(filename: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / filename).read_text(encoding="utf-8"))
    check_definition(data["schema"])
    return data


def apply_conditions(
    get_model: ModelGetter, data: dict[str, Any], *, update_existing: bool = False
) -> tuple[int, int]:
    """Create missing condition types; return (created, updated)."""
    model = get_model("ConditionType")
    created = updated = 0
    for order, row in enumerate(data["conditions"], start=1):
        values = {name: row[name] for name in CONDITION_FIELDS}
        values.update(version=data["version"], sort_order=order * 10)
        obj = model.objects.filter(code=row["code"]).first()
        if obj is None:
            model.objects.create(code=row["code"], **values)
            created += 1
        elif update_existing and any(getattr(obj, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()
            updated += 1
    return created, updated


def apply_questionnaire(get_model: ModelGetter, data: dict[str, Any]) -> bool:
    """Create this version if missing and make it the active one; True when created."""
    model = get_model("Questionnaire")
    if model.objects.filter(code=data["code"], version=data["version"]).exists():
        return False
    model.objects.filter(code=data["code"], active=True).update(active=False)
    model.objects.create(
        code=data["code"],
        version=data["version"],
        title_zh=data["title_zh"],
        title_en=data["title_en"],
        schema=data["schema"],
        active=True,
    )
    return True


def apply_all(get_model: ModelGetter, *, update_existing: bool = False) -> dict[str, int]:
    created, updated = apply_conditions(
        get_model, read_conditions(), update_existing=update_existing
    )
    questionnaires = sum(
        apply_questionnaire(get_model, read_questionnaire(name)) for name in QUESTIONNAIRES
    )
    return {"conditions_created": created, "conditions_updated": updated,
            "questionnaires_created": questionnaires}  # fmt: skip
