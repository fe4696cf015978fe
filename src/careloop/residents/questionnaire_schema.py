"""Questionnaire definitions are data: a ``schema`` of items. This module checks a definition
and validates answers against it, item by item, with translated messages.

An item::

    {"linkId": "exercise_days", "type": "integer", "required": true, "min": 0, "max": 7,
     "text_zh": "…", "text_en": "…"}

Types: ``choice`` (``options``: ``[{"code", "text_zh", "text_en"}]``; ``"multiple": true``
takes a list of codes), ``boolean``, ``integer``, ``decimal``, ``string`` (``max_length``),
``date`` (ISO ``YYYY-MM-DD``; ``min``/``max`` as ISO dates). Answers are stored keyed by
linkId, in their JSON form (dates as ISO strings, decimals as numbers).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

ITEM_TYPES = frozenset({"choice", "boolean", "integer", "decimal", "string", "date"})
DEFAULT_MAX_LENGTH = 500
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "有"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "无"})


class SchemaDefinitionError(ValueError):
    """A shipped or uploaded definition is malformed (a programming or data error)."""


def check_definition(schema: dict[str, Any]) -> None:
    """Raise SchemaDefinitionError when ``schema`` is not a usable definition."""
    items = schema.get("items") if isinstance(schema, dict) else None
    if not isinstance(items, list) or not items:
        raise SchemaDefinitionError("a questionnaire schema needs a non-empty 'items' list")
    seen: set[str] = set()
    for item in items:
        link_id = item.get("linkId")
        if not isinstance(link_id, str) or not link_id:
            raise SchemaDefinitionError(f"item without a linkId: {item!r}")
        if link_id in seen:
            raise SchemaDefinitionError(f"linkId {link_id!r} appears twice")
        seen.add(link_id)
        if item.get("type") not in ITEM_TYPES:
            raise SchemaDefinitionError(f"{link_id}: unknown type {item.get('type')!r}")
        if not item.get("text_zh") or not item.get("text_en"):
            raise SchemaDefinitionError(f"{link_id}: text_zh and text_en are required")
        if item["type"] == "choice":
            codes = [o.get("code") for o in item.get("options") or []]
            if not codes or len(set(codes)) != len(codes) or not all(codes):
                raise SchemaDefinitionError(f"{link_id}: options need distinct codes")


def validate_answers(
    schema: dict[str, Any], answers: object
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Return ``(cleaned answers, errors by linkId)``; errors are translated messages.
    Unanswered optional items are left out of the cleaned answers."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[Any]] = {}
    items = {item["linkId"]: item for item in schema["items"]}
    if not isinstance(answers, dict):
        return {}, {"__all__": [_("Answers must be given as a mapping of item to answer.")]}
    for link_id in answers:
        if link_id not in items:
            errors.setdefault(link_id, []).append(_("This questionnaire has no such question."))
    for link_id, item in items.items():
        raw = answers.get(link_id)
        if _is_blank(raw):
            if item.get("required"):
                errors.setdefault(link_id, []).append(_("Please answer this question."))
            continue
        try:
            cleaned[link_id] = _clean_item(item, raw)
        except _ItemError as exc:
            errors.setdefault(link_id, []).append(exc.message)
    return cleaned, errors


class _ItemError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_item(item: dict[str, Any], raw: Any) -> Any:
    kind = item["type"]
    if kind == "choice":
        return _clean_choice(item, raw)
    if kind == "boolean":
        return _clean_boolean(raw)
    if kind == "integer":
        return _check_range(item, _clean_integer(raw))
    if kind == "decimal":
        return float(_check_range(item, _clean_decimal(raw)))
    if kind == "date":
        return _clean_date(item, raw).isoformat()
    return _clean_string(item, raw)


def _clean_choice(item: dict[str, Any], raw: Any) -> Any:
    codes = [option["code"] for option in item["options"]]
    values = raw if isinstance(raw, list) else [raw]
    if len(values) > 1 and not item.get("multiple"):
        raise _ItemError(_("Choose one answer only."))
    for value in values:
        if not isinstance(value, str) or value not in codes:
            raise _ItemError(_("Choose one of the answers offered."))
    if item.get("multiple"):
        return [code for code in codes if code in values]
    return values[0]


def _clean_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS:
        return True
    if isinstance(raw, str) and raw.strip().lower() in FALSE_WORDS:
        return False
    raise _ItemError(_("Answer yes or no."))


def _clean_integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise _ItemError(_("Enter a whole number."))
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        return int(raw.strip())
    raise _ItemError(_("Enter a whole number."))


def _clean_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise _ItemError(_("Enter a number."))
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise _ItemError(_("Enter a number.")) from None
    if not value.is_finite():
        raise _ItemError(_("Enter a number."))
    return value


def _check_range(item: dict[str, Any], value: Any) -> Any:
    low, high = item.get("min"), item.get("max")
    if low is not None and value < low:
        raise _ItemError(_("Enter a value of at least %(min)s.") % {"min": low})
    if high is not None and value > high:
        raise _ItemError(_("Enter a value of at most %(max)s.") % {"max": high})
    return value


def _clean_date(item: dict[str, Any], raw: Any) -> date:
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise _ItemError(_("Enter a date as YYYY-MM-DD.")) from None
    low, high = item.get("min"), item.get("max")
    if low and value < date.fromisoformat(low):
        raise _ItemError(_("Enter a date on or after %(min)s.") % {"min": low})
    if high and value > date.fromisoformat(high):
        raise _ItemError(_("Enter a date on or before %(max)s.") % {"max": high})
    return value


def _clean_string(item: dict[str, Any], raw: Any) -> str:
    if not isinstance(raw, str):
        raise _ItemError(_("Enter text."))
    value = raw.strip()
    limit = int(item.get("max_length") or DEFAULT_MAX_LENGTH)
    if len(value) > limit:
        raise _ItemError(_("Enter at most %(limit)s characters.") % {"limit": limit})
    return value
