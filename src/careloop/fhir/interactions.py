"""The interactions (read, search, create, update), shared by the HTTP views and the Bundle
processor: each takes plain data and returns a ``Result``; failures raise ``FhirError``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from django.db import transaction
from django.utils.translation import gettext as _
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from careloop.core.errors import DomainError
from careloop.fhir import search as fhir_search
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import (
    FhirError,
    from_domain_error,
    from_validation_error,
    invalid,
    not_allowed,
    unknown_type,
)
from careloop.fhir.registry import (
    BulkRefused,
    Found,
    Interaction,
    ResourceHandler,
    get_handler,
)


@dataclass(frozen=True)
class Result:
    status: int
    resource: Resource | None = None
    resource_type: str = ""
    resource_id: str = ""
    last_modified: datetime | None = None
    # Bulk creates (``create_many``) render their resource only when it is asked for (a
    # transaction answered with ``Prefer: return=representation``), straight to JSON.
    render: Callable[[], dict[str, Any]] | None = field(default=None, compare=False, repr=False)

    @property
    def location(self) -> str:
        return f"{self.resource_type}/{self.resource_id}" if self.resource_id else ""

    def resource_json(self) -> dict[str, Any] | None:
        """The resource as FHIR JSON (a dict), or None."""
        if self.resource is not None:
            return resource_json(self.resource)
        if self.render is not None:
            return self.render()
        return None


def resource_json(resource: Resource) -> dict[str, Any]:
    """An R4B model as the JSON object ``model_dump_json`` writes."""
    data: dict[str, Any] = json.loads(resource.model_dump_json(by_alias=True, exclude_none=True))
    return data


def handler_for(
    ctx: FhirContext, resource_type: str, interaction: Interaction
) -> ResourceHandler[Any]:
    handler = get_handler(resource_type)
    if handler is None:
        raise unknown_type(resource_type)
    if not handler.supports(interaction):
        raise not_allowed(resource_type, interaction, handler.allowed_methods())
    if ctx.caller.is_device and interaction not in handler.device_interactions:
        raise FhirError(
            403,
            "forbidden",
            _("A device may not use %(interaction)s on %(type)s.")
            % {"interaction": interaction, "type": resource_type},
        )
    return handler


@contextmanager
def translating(handler: ResourceHandler[Any]) -> Iterator[None]:
    """Turn a service's DomainError into the FhirError the status policy gives it."""
    try:
        yield
    except DomainError as exc:
        raise from_domain_error(exc, handler.resource_type, handler.field_paths) from exc


def parse_resource(handler: ResourceHandler[Any], body: Any) -> Resource:
    """Validate a JSON object as the handler's R4B model (400 OperationOutcome if not)."""
    if not isinstance(body, dict):
        raise invalid(_("The body must be a JSON object."), code="structure")
    if body.get("resourceType") != handler.resource_type:
        raise invalid(
            _("Expected a %(expected)s resource, not %(found)s.")
            % {"expected": handler.resource_type, "found": body.get("resourceType") or "-"},
            expression=(f"{handler.resource_type}.resourceType",),
            code="structure",
        )
    try:
        return handler.model.model_validate(body)
    except ValidationError as exc:
        raise from_validation_error(exc, handler.resource_type) from None


def _result(ctx: FhirContext, handler: ResourceHandler[Any], obj: Any, status: int) -> Result:
    return Result(
        status=status,
        resource=handler.to_fhir(ctx, obj),
        resource_type=handler.resource_type,
        resource_id=handler.logical_id(obj),
        last_modified=handler.last_updated(obj),
    )


def read(ctx: FhirContext, resource_type: str, resource_id: str) -> Result:
    handler = handler_for(ctx, resource_type, Interaction.READ)
    with translating(handler):
        obj = handler.read(ctx, resource_id)
        return _result(ctx, handler, obj, 200)


def search(ctx: FhirContext, resource_type: str, pairs: Iterable[tuple[str, str]]) -> Result:
    handler = handler_for(ctx, resource_type, Interaction.SEARCH)
    query = fhir_search.parse_query(handler, pairs)
    with translating(handler):
        bundle = fhir_search.searchset(ctx, handler, query, query.filter(handler.search(ctx)))
    return Result(status=200, resource=bundle)


def matches(
    ctx: FhirContext, resource_type: str, query_string: str, *, limit: int = 2
) -> list[Any]:
    """Records of ``resource_type`` matching a search query string (for ``ifNoneExist`` and
    conditional references), at most ``limit``."""
    handler = handler_for(ctx, resource_type, Interaction.SEARCH)
    pairs = parse_qsl(query_string.lstrip("?"), keep_blank_values=True)
    if not pairs:
        raise invalid(
            _("The condition %(query)s names no search parameter.") % {"query": query_string}
        )
    query = fhir_search.parse_query(handler, pairs, paging=False)
    with translating(handler):
        return list(query.filter(handler.search(ctx)).order_by("pk")[:limit])


def create(
    ctx: FhirContext, resource_type: str, body: Any, *, if_none_exist: str | None = None
) -> Result:
    """Create; with ``if_none_exist`` (a search query) return the one existing match instead
    (200), or refuse when several match (412)."""
    handler = handler_for(ctx, resource_type, Interaction.CREATE)
    resource = parse_resource(handler, body)
    with transaction.atomic():
        if if_none_exist:
            found = matches(ctx, resource_type, if_none_exist)
            if len(found) > 1:
                raise FhirError(
                    412,
                    "multiple-matches",
                    _("The condition %(query)s matches more than one %(type)s.")
                    % {"query": if_none_exist, "type": resource_type},
                )
            if found:
                handler.disclosed(ctx, found, "fhir.conditional-create")
                return _result(ctx, handler, found[0], 200)
        with translating(handler):
            obj = handler.create(ctx, resource)
        if isinstance(obj, Found):
            return _result(ctx, handler, obj.obj, 200)
        return _result(ctx, handler, obj, 201)


def create_many(
    ctx: FhirContext, resource_type: str, bodies: Sequence[tuple[int, Any]]
) -> list[Result]:
    """Create the bodies of several transaction entries ``(entry index, body)`` with the
    type's ``create_many``: all or nothing. A failure is one FhirError with an issue per bad
    entry, located in the Bundle (``Bundle.entry[i].resource…``)."""
    try:
        handler = handler_for(ctx, resource_type, Interaction.CREATE)
    except FhirError as error:
        raise error.in_entry(bodies[0][0]) from None
    resources: list[Any] = []
    errors: dict[int, FhirError] = {}
    for index, body in bodies:
        try:
            resources.append(parse_resource(handler, body))
        except FhirError as error:
            errors[index] = error
    if errors:
        raise in_entries(errors)
    try:
        with transaction.atomic(), translating(handler):
            objs = handler.create_many(ctx, resources)
    except BulkRefused as refused:
        raise in_entries({bodies[pos][0]: err for pos, err in refused.errors.items()}) from None
    except FhirError as error:
        raise error.in_entry(bodies[0][0]) from None
    records = [obj.obj if isinstance(obj, Found) else obj for obj in objs]
    prepared: list[bool] = []

    def render(obj: Any) -> dict[str, Any]:
        if not prepared:  # the first resource asked for: prepare them all at once
            handler.prepare_fhir_json(ctx, records)
            prepared.append(True)
        return handler.to_fhir_json(ctx, obj)

    return [
        Result(
            status=200 if isinstance(found, Found) else 201,
            resource_type=handler.resource_type,
            resource_id=handler.logical_id(obj),
            last_modified=handler.last_updated(obj),
            render=functools.partial(render, obj),
        )
        for found, obj in zip(objs, records, strict=True)
    ]


def in_entries(errors: Mapping[int, FhirError]) -> FhirError:
    """One FhirError for several failing Bundle entries (the first one's status)."""
    first = min(errors)
    issues = [issue for index in sorted(errors) for issue in errors[index].in_entry(index).issues]
    return FhirError(errors[first].status, "", "", issues=issues)


def update(ctx: FhirContext, resource_type: str, resource_id: str, body: Any) -> Result:
    handler = handler_for(ctx, resource_type, Interaction.UPDATE)
    resource = parse_resource(handler, body)
    if getattr(resource, "id", None) != resource_id:
        raise invalid(
            _("The resource id must equal the id in the URL (%(id)s).") % {"id": resource_id},
            expression=(f"{resource_type}.id",),
        )
    with transaction.atomic(), translating(handler):
        obj = handler.update(ctx, resource_id, resource)
        return _result(ctx, handler, obj, 200)
