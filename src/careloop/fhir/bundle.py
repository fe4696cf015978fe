"""``POST /fhir/r4/`` with a ``batch`` or ``transaction`` Bundle.

- transaction: all entries in one database transaction, processed in FHIR order (POST, PUT,
  GET; an entry that references another entry's ``fullUrl`` goes after it). The POSTs of a
  type with ``create_many`` (Observation) are collected and created in one call, so a
  Bundle of 1,000 readings is one ``record_readings``; a bad one fails the whole Bundle with
  an issue per bad entry. ``urn:uuid:``
  references are replaced by the ids the referenced entries got, in every ``reference`` of
  every entry, whatever its resource type. Any failure rolls everything back and answers
  the failing entry's OperationOutcome (its index in ``diagnostics`` and ``expression``).
- batch: entries in order, each in its own savepoint; the ``batch-response`` has each
  entry's ``response.status`` and, for a failure, its ``outcome``. Entries of a batch may not
  reference each other (FHIR), so ``urn:uuid:`` references there are an error.

Both resolve conditional references (``Patient?identifier=system|value``) by a scoped search
that must match exactly one record, and honour ``request.ifNoneExist`` (conditional create).
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from django.db import transaction
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle
from pydantic import TypeAdapter

from careloop.fhir import interactions
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import FhirError, invalid
from careloop.fhir.registry import Interaction, get_handler

logger = logging.getLogger(__name__)

MAX_ENTRIES = 5000
METHOD_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
SUPPORTED_METHODS = frozenset({"POST", "PUT", "GET"})
_DATETIME = TypeAdapter(datetime)


@dataclass
class Entry:
    index: int
    full_url: str
    method: str
    resource_type: str
    resource_id: str
    query: str
    resource: Any
    if_none_exist: str | None
    references: list[str]


def process(ctx: FhirContext, body: Any, *, minimal: bool = False) -> Bundle:
    """The response Bundle as an R4B model (``process_json`` validated)."""
    return Bundle.model_validate(process_json(ctx, body, minimal=minimal))


def process_json(ctx: FhirContext, body: Any, *, minimal: bool = False) -> dict[str, Any]:
    """Process a batch or transaction Bundle; the response Bundle as FHIR JSON (a dict).

    Each entry's ``response`` has ``status``, and for a created/updated/read resource its
    ``location`` (``Type/id``, also as ``fullUrl``) and ``lastModified``. Its ``resource`` is
    included unless ``minimal`` (``Prefer: return=minimal``); FHIR lets a transaction-response
    omit it. The output is built as JSON, not through the R4B models (tests validate it)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise invalid(
            _("Post a Bundle of type batch or transaction here."),
            expression=("Bundle",),
            code="structure",
        )
    kind = body.get("type")
    if kind not in {"batch", "transaction"}:
        raise invalid(
            _("Post a Bundle of type batch or transaction here."), expression=("Bundle.type",)
        )
    raw_entries = body.get("entry")
    if raw_entries is None:
        raw_entries = []
    if not isinstance(raw_entries, list):
        raise invalid(
            _("Bundle.entry must be a list."), expression=("Bundle.entry",), code="structure"
        )
    if len(raw_entries) > MAX_ENTRIES:
        raise FhirError(
            413,
            "too-costly",
            _("A Bundle may have at most %(limit)d entries.") % {"limit": MAX_ENTRIES},
        )
    if kind == "transaction":
        responses = _transaction(ctx, raw_entries)
    else:
        responses = _batch(ctx, raw_entries)
    out: dict[str, Any] = {"resourceType": "Bundle", "type": f"{kind}-response"}
    if responses:
        out["entry"] = [_response_entry(ctx, item, minimal) for item in responses]
    return out


# ---- the two modes ---------------------------------------------------------------------------


def _transaction(ctx: FhirContext, raw_entries: list[Any]) -> list[interactions.Result | FhirError]:
    entries: list[Entry] = []
    for index, raw in enumerate(raw_entries):
        try:
            entries.append(_parse_entry(ctx, index, raw))
        except FhirError as error:
            raise error.in_entry(index) from None
    seen: set[str] = set()
    for entry in entries:
        if entry.full_url and entry.full_url in seen:
            raise invalid(
                _("The fullUrl %(url)s appears twice.") % {"url": entry.full_url},
                expression=(f"Bundle.entry[{entry.index}].fullUrl",),
            )
        seen.add(entry.full_url)
    results: dict[int, interactions.Result | FhirError] = {}
    resolved: dict[str, str] = {}
    # POSTs of types that create in bulk wait here (resolved bodies), by type, until an entry
    # needs them (it references one of them, or is not such a POST) or the end.
    pending: dict[str, list[tuple[Entry, Any]]] = {}
    pending_urls: set[str] = set()

    def record(entry: Entry, result: interactions.Result) -> None:
        results[entry.index] = result
        if entry.full_url and result.resource_id:
            resolved[entry.full_url] = result.location

    def flush() -> None:
        for resource_type, group in pending.items():
            bodies = [(entry.index, body) for entry, body in group]
            created = interactions.create_many(ctx, resource_type, bodies)
            for (entry, _body), result in zip(group, created, strict=True):
                record(entry, result)
        pending.clear()
        pending_urls.clear()

    with transaction.atomic():
        for entry in _plan(entries):
            bulk = _bulk(entry)
            if pending and (not bulk or any(ref in pending_urls for ref in entry.references)):
                flush()
            try:
                if bulk:
                    body = entry.resource
                    if _needs_resolving(entry.references, resolved):
                        body = _resolve(ctx, body, resolved, entry.resource_type, True)
                    pending.setdefault(entry.resource_type, []).append((entry, body))
                    if entry.full_url:
                        pending_urls.add(entry.full_url)
                    continue
                record(entry, _run(ctx, entry, resolved, in_transaction=True))
            except FhirError as error:
                raise error.in_entry(entry.index) from None
        flush()
    return [results[index] for index in range(len(entries))]


def _bulk(entry: Entry) -> bool:
    """A plain POST of a type that creates in bulk (``ResourceHandler.create_many``)."""
    if entry.method != "POST" or entry.if_none_exist:
        return False
    handler = get_handler(entry.resource_type)
    return handler is not None and handler.creates_in_bulk()


def _batch(ctx: FhirContext, raw_entries: list[Any]) -> list[interactions.Result | FhirError]:
    results: list[interactions.Result | FhirError] = []
    for index, raw in enumerate(raw_entries):
        try:
            entry = _parse_entry(ctx, index, raw)
            with transaction.atomic():
                results.append(_run(ctx, entry, {}, in_transaction=False))
        except FhirError as error:
            results.append(error.in_entry(index))
        except Exception:
            logger.exception("FHIR batch entry %d failed", index)
            results.append(
                FhirError(500, "exception", _("The server could not process this entry.")).in_entry(
                    index
                )
            )
    return results


# ---- entries ---------------------------------------------------------------------------------


def _parse_entry(ctx: FhirContext, index: int, raw: Any) -> Entry:
    where = f"Bundle.entry[{index}]"
    if not isinstance(raw, dict):
        raise invalid(
            _("A Bundle entry must be a JSON object."), expression=(where,), code="structure"
        )
    request = raw.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise invalid(
            _("Each entry needs request.method and request.url."),
            expression=(f"{where}.request",),
            code="required",
        )
    method = str(request.get("method", "")).upper()
    if method not in SUPPORTED_METHODS:
        raise FhirError(
            405,
            "not-supported",
            _("The method %(method)s is not supported in a Bundle.") % {"method": method or "-"},
            expression=(f"{where}.request.method",),
        )
    url = request["url"]
    if url.startswith(ctx.base_url):
        url = url[len(ctx.base_url) :]
    path, _sep, query = url.lstrip("/").partition("?")
    parts = [part for part in path.split("/") if part]
    valid = (
        (method == "POST" and len(parts) == 1 and not query)
        or (method == "PUT" and len(parts) == 2 and not query)
        or (method == "GET" and len(parts) in (1, 2))
    )
    if not valid:
        raise FhirError(
            501 if len(parts) > 2 or (method == "PUT" and query) else 400,
            "not-supported",
            _("The request %(method)s %(url)s is not supported in a Bundle.")
            % {"method": method, "url": request["url"]},
            expression=(f"{where}.request.url",),
        )
    if_none_exist = request.get("ifNoneExist")
    if if_none_exist is not None and not isinstance(if_none_exist, str):
        raise invalid(
            _("ifNoneExist must be a search query string."),
            expression=(f"{where}.request.ifNoneExist",),
        )
    resource = raw.get("resource")
    if method in {"POST", "PUT"} and resource is None:
        raise invalid(
            _("This entry needs a resource."), expression=(f"{where}.resource",), code="required"
        )
    full_url = raw.get("fullUrl") or ""
    return Entry(
        index=index,
        full_url=full_url if isinstance(full_url, str) else "",
        method=method,
        resource_type=parts[0],
        resource_id=parts[1] if len(parts) > 1 else "",
        query=query,
        resource=resource,
        if_none_exist=if_none_exist,
        references=_references(resource),
    )


def _plan(entries: list[Entry]) -> list[Entry]:
    """FHIR processing order (POST, PUT, GET), but an entry always after the entries whose
    ``fullUrl`` it references."""
    by_url = {entry.full_url: entry for entry in entries if entry.full_url}
    depends: dict[int, set[int]] = {entry.index: set() for entry in entries}
    for entry in entries:
        for reference in entry.references:
            target = by_url.get(reference)
            if target is not None and target.index != entry.index:
                depends[entry.index].add(target.index)
    waiting = {index: set(deps) for index, deps in depends.items()}
    dependants: dict[int, list[int]] = {entry.index: [] for entry in entries}
    for index, deps in depends.items():
        for dep in deps:
            dependants[dep].append(index)
    ready = [(METHOD_ORDER[e.method], e.index) for e in entries if not waiting[e.index]]
    heapq.heapify(ready)
    order: list[Entry] = []
    while ready:
        _rank, index = heapq.heappop(ready)
        order.append(entries[index])
        for dependant in dependants[index]:
            waiting[dependant].discard(index)
            if not waiting[dependant]:
                heapq.heappush(ready, (METHOD_ORDER[entries[dependant].method], dependant))
    if len(order) != len(entries):
        stuck = min(index for index, deps in waiting.items() if deps)
        raise invalid(
            _("The entries reference each other in a cycle."),
            expression=(f"Bundle.entry[{stuck}]",),
        )
    return order


def _references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def _needs_resolving(references: list[str], resolved: dict[str, str]) -> bool:
    """Whether ``_resolve`` would change (or refuse) a resource with these references: any
    of them already resolved, a ``urn:`` or a conditional one. Else the resource is used as
    it came (no copy)."""
    return any(
        reference in resolved or reference.startswith("urn:") or "?" in reference
        for reference in references
    )


def _resolve(
    ctx: FhirContext, value: Any, resolved: dict[str, str], path: str, in_transaction: bool
) -> Any:
    """A copy of ``value`` with its references resolved (see the module docstring)."""
    if isinstance(value, list):
        return [
            _resolve(ctx, item, resolved, f"{path}[{i}]", in_transaction)
            for i, item in enumerate(value)
        ]
    if not isinstance(value, dict):
        return value
    copy: dict[str, Any] = {}
    for key, item in value.items():
        if key == "reference" and isinstance(item, str):
            copy[key] = _resolve_reference(ctx, item, resolved, f"{path}.reference", in_transaction)
        else:
            copy[key] = _resolve(ctx, item, resolved, f"{path}.{key}", in_transaction)
    return copy


def _resolve_reference(
    ctx: FhirContext, reference: str, resolved: dict[str, str], path: str, in_transaction: bool
) -> str:
    if reference in resolved:
        return resolved[reference]
    if reference.startswith(("urn:uuid:", "urn:oid:")):
        message = (
            _("The reference %(reference)s names no entry of this transaction.")
            if in_transaction
            else _(
                "Entries of a batch cannot reference each other (%(reference)s): use a transaction."
            )
        )
        raise invalid(message % {"reference": reference}, expression=(path,))
    resource_type, question, query = reference.partition("?")
    if question and resource_type.isalpha():
        found = interactions.matches(ctx, resource_type, query)
        if len(found) != 1:
            raise FhirError(
                412 if found else 400,
                "multiple-matches" if found else "not-found",
                _("The conditional reference %(reference)s must match exactly one record.")
                % {"reference": reference},
                expression=(path,),
            )
        handler = interactions.handler_for(ctx, resource_type, Interaction.SEARCH)
        # Entries of one Bundle often share a conditional reference: search it once.
        resolved[reference] = f"{resource_type}/{handler.logical_id(found[0])}"
        return resolved[reference]
    return reference


def _run(
    ctx: FhirContext, entry: Entry, resolved: dict[str, str], *, in_transaction: bool
) -> interactions.Result:
    if entry.method == "GET":
        if entry.resource_id:
            return interactions.read(ctx, entry.resource_type, entry.resource_id)
        return interactions.search(
            ctx, entry.resource_type, parse_qsl(entry.query, keep_blank_values=True)
        )
    resource = _resolve(ctx, entry.resource, resolved, entry.resource_type, in_transaction)
    if entry.method == "POST":
        return interactions.create(
            ctx, entry.resource_type, resource, if_none_exist=entry.if_none_exist
        )
    return interactions.update(ctx, entry.resource_type, entry.resource_id, resource)


def _response_entry(
    ctx: FhirContext, item: interactions.Result | FhirError, minimal: bool
) -> dict[str, Any]:
    if isinstance(item, FhirError):
        return {
            "response": {
                "status": _status_line(item.status),
                "outcome": interactions.resource_json(item.outcome()),
            }
        }
    response: dict[str, Any] = {"status": _status_line(item.status)}
    entry: dict[str, Any] = {"response": response}
    if item.location:
        response["location"] = item.location
        entry["fullUrl"] = ctx.url(item.location)
    if item.last_modified is not None:
        response["lastModified"] = _DATETIME.dump_python(item.last_modified, mode="json")
    if not minimal:
        resource = item.resource_json()
        if resource is not None:
            entry["resource"] = resource
    # FHIR order: fullUrl, resource, response.
    return {key: entry[key] for key in ("fullUrl", "resource", "response") if key in entry}


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
