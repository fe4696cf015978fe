"""Search: parsing a query string against a type's declared parameters, value helpers for
the common parameter types (token, string, date), and paging into a ``searchset`` Bundle."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle

from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import invalid
from careloop.fhir.registry import ResourceHandler, SearchParam

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Result parameters that never narrow the match set: understood (_count, _offset) or
# ignored (FHIR's lenient handling; the self link shows what was applied). Any other
# parameter the type does not declare, ``_lastUpdated`` or ``_has`` included, is refused
# (400) rather than ignored, so a client never mistakes an unfiltered page for a filtered one.
RESULT_PARAMS = frozenset(
    {"_count", "_offset", "_format", "_pretty", "_total", "_totalMethod", "_sort",
     "_summary", "_elements"}
)  # fmt: skip
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
_DATE_RE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class Criterion:
    param: SearchParam
    modifier: str | None
    values: tuple[str, ...]  # OR'ed
    raw_name: str
    raw_value: str


@dataclass(frozen=True)
class SearchQuery:
    criteria: tuple[Criterion, ...]
    count: int
    offset: int

    def filter(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        for criterion in self.criteria:
            condition = Q(pk__in=[])
            for value in criterion.values:
                condition |= criterion.param.to_q(value, criterion.modifier)
            queryset = queryset.filter(condition)
        return queryset

    def params(self) -> list[tuple[str, str]]:
        return [(c.raw_name, c.raw_value) for c in self.criteria]


def parse_query(
    handler: ResourceHandler[Any], pairs: Iterable[tuple[str, str]], *, paging: bool = True
) -> SearchQuery:
    """Validate ``pairs`` (query-string items) against ``handler.search_params``."""
    criteria: list[Criterion] = []
    count, offset = DEFAULT_COUNT, 0
    for name, value in pairs:
        if name in RESULT_PARAMS:
            if name == "_count" and paging:
                count = min(_non_negative(name, value), MAX_COUNT)
            elif name == "_offset" and paging:
                offset = _non_negative(name, value)
            continue
        base, _sep, modifier = name.partition(":")
        param = handler.search_param(base)
        if param is None:
            raise invalid(
                _("The search parameter %(name)s is not supported for %(type)s.")
                % {"name": base, "type": handler.resource_type},
                code="not-supported",
            )
        if modifier and modifier not in param.modifiers:
            raise invalid(
                _("The modifier :%(modifier)s is not supported for %(name)s.")
                % {"modifier": modifier, "name": base},
                code="not-supported",
            )
        values = tuple(v for v in split_or(value) if v != "")
        if not values:
            raise invalid(_("The search parameter %(name)s has no value.") % {"name": base})
        criteria.append(Criterion(param, modifier or None, values, name, value))
    return SearchQuery(tuple(criteria), count, offset)


def _non_negative(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise invalid(_("%(name)s must be a whole number of 0 or more.") % {"name": name})
    return number


def split_or(value: str) -> list[str]:
    """Split on commas that are not escaped with a backslash (FHIR search OR)."""
    parts, current, escaped = [], "", False
    for char in value:
        if escaped:
            current += char if char in ",$|\\" else "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current + ("\\" if escaped else ""))
    return parts


# ---- value helpers for SearchParam.to_q ----------------------------------------------------


def parse_token(value: str) -> tuple[str | None, str]:
    """``system|code`` → (system, code); ``|code`` → ("", code) (no system); ``code`` →
    (None, code) (any system)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def string_q(field: str, value: str, modifier: str | None) -> Q:
    """CareLoop's default string match is *contains* (Chinese given names are searched
    without the surname); ``:exact`` is case-sensitive equality."""
    if modifier == "exact":
        return Q(**{field: value})
    return Q(**{f"{field}__icontains": value})


def date_q(field: str, value: str, *, datetime_field: bool = False) -> Q:
    """A FHIR date search (``eq`` ``ne`` ``gt`` ``lt`` ``ge`` ``le`` prefixes, partial dates
    as ranges) on a DateField, or a DateTimeField with ``datetime_field`` (dates without an
    offset are in the current time zone)."""
    prefix = value[:2] if value[:2] in DATE_PREFIXES else "eq"
    start, end = date_range(value[2:] if value[:2] in DATE_PREFIXES else value, datetime_field)
    inside = Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return {
        "eq": inside,
        "ne": ~inside,
        "lt": Q(**{f"{field}__lt": start}),
        "le": Q(**{f"{field}__lt": end}),
        "gt": Q(**{f"{field}__gte": end}),
        "ge": Q(**{f"{field}__gte": start}),
    }[prefix]


def date_range(value: str, as_datetime: bool = False) -> tuple[Any, Any]:
    """The half-open range ``[start, end)`` a partial FHIR date/dateTime stands for."""
    match = _DATE_RE.match(value)
    if match is None:
        raise invalid(
            _("%(value)s is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD).") % {"value": value}
        )
    year, month, day = match["year"], match["month"], match["day"]
    try:
        if match["time"]:
            moment = datetime.fromisoformat(
                f"{year}-{month}-{day}T{match['time']}{match['tz'] or ''}"
            )
            if moment.tzinfo is None:
                moment = timezone.make_aware(moment)
            precision = (
                timedelta(seconds=1) if match["time"].count(":") == 2 else timedelta(minutes=1)
            )
            if not as_datetime:
                return moment.date(), moment.date() + timedelta(days=1)
            return moment, moment + precision
        if day:
            start = date(int(year), int(month), int(day))
            end = start + timedelta(days=1)
        elif month:
            start = date(int(year), int(month), 1)
            end = date(int(year) + (start.month == 12), start.month % 12 + 1, 1)
        else:
            start, end = date(int(year), 1, 1), date(int(year) + 1, 1, 1)
    except ValueError:
        raise invalid(_("%(value)s is not a real date.") % {"value": value}) from None
    if as_datetime:
        tz = timezone.get_current_timezone()
        return (
            datetime(start.year, start.month, start.day, tzinfo=tz),
            datetime(end.year, end.month, end.day, tzinfo=tz),
        )
    return start, end


# ---- paging ---------------------------------------------------------------------------------


def searchset(
    ctx: FhirContext,
    handler: ResourceHandler[Any],
    query: SearchQuery,
    queryset: QuerySet[Any],
    *,
    purpose: str = "fhir.search",
) -> Bundle:
    """Page ``queryset`` (already filtered) into a searchset Bundle with self/first/next/
    previous links (absolute, so clients such as fhirpy can follow them)."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    queryset = queryset.order_by(*ordering, "pk") if "pk" not in ordering else queryset
    total = queryset.count()
    objs: Sequence[Any] = (
        list(queryset[query.offset : query.offset + query.count]) if query.count else []
    )
    if objs:
        handler.disclosed(ctx, objs, purpose)

    def link(relation: str, offset: int) -> dict[str, str]:
        params = [*query.params(), ("_count", str(query.count)), ("_offset", str(offset))]
        return {
            "relation": relation,
            "url": ctx.url(f"{handler.resource_type}?{urlencode(params)}"),
        }

    links = [link("self", query.offset), link("first", 0)]
    if query.count and query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.count and query.offset > 0:
        links.append(link("previous", max(query.offset - query.count, 0)))
    entries = [
        {
            "fullUrl": ctx.url(f"{handler.resource_type}/{handler.logical_id(obj)}"),
            "resource": handler.to_fhir(ctx, obj),
            "search": {"mode": "match"},
        }
        for obj in objs
    ]
    return Bundle.model_validate(
        {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links,
         "entry": entries or None}
    )  # fmt: skip
