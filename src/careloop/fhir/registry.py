"""The registry of resource types the facade serves.

A resource type is one module in ``careloop.fhir.resources`` (imported automatically the
first time the registry is asked) defining a ``ResourceHandler`` subclass decorated with
``@register``::

    @register
    class ObservationResource(ResourceHandler[Reading]):
        resource_type = "Observation"
        model = Observation                      # fhir.resources.R4B.observation.Observation
        search_params = (
            SearchParam("patient", "reference", patient_q),
            SearchParam("date", "date", lambda value, modifier: date_q("effective_at", value,
                                                                        datetime_field=True)),
        )
        field_paths = {"value": "Observation.valueQuantity"}   # service field → FHIRPath
        device_interactions = frozenset({Interaction.CREATE})

        def search(self, ctx): return selectors.readings_visible_to(ctx.user)
        def read(self, ctx, resource_id): return selectors.get_reading_for(ctx.user, resource_id)
        def create(self, ctx, resource): return services.record_reading(actor=ctx.user, ...)
        def to_fhir(self, ctx, obj): return Observation.model_validate({...})

The interactions a type supports are the methods it overrides (``read``, ``search``,
``create``, ``update``); the CapabilityStatement, the HTTP routes and the Bundle processor all
derive from that. Conditional create (``If-None-Exist``/``ifNoneExist``) works for every type
that supports search; ``urn:uuid:`` references between transaction entries are resolved by
the Bundle processor before a handler sees the resource.

``create`` may return ``Found(obj)`` for a record that already existed (an idempotent retry):
it is answered 200 instead of 201. A type that can store many resources at once overrides
``create_many``; a ``transaction`` Bundle then hands it all its POST entries of that type in
one call (see ``bundle``), and it raises ``BulkRefused`` naming the bad resources.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from fhir.resources.R4B.resource import Resource

from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import FhirError, not_allowed

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Found(Generic[M]):
    """Returned by ``create``/``create_many`` for a record that was already stored."""

    obj: M


class BulkRefused(Exception):
    """``create_many`` refused: ``errors`` maps positions in its ``resources`` to the
    FhirError of that resource (expressions relative to the resource). Nothing was written."""

    def __init__(self, errors: Mapping[int, FhirError]) -> None:
        super().__init__(f"{len(errors)} resources refused")
        self.errors = dict(errors)


class Interaction(StrEnum):
    READ = "read"
    SEARCH = "search-type"
    CREATE = "create"
    UPDATE = "update"


SEARCH_PARAM_TYPES = frozenset(
    {"number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special"}
)


@dataclass(frozen=True)
class SearchParam:
    """A declared search parameter. ``to_q(value, modifier)`` turns one value (already split
    on unescaped commas, which OR) into a Q; repeated parameters AND. Raise
    ``outcome.invalid(...)`` for a malformed value."""

    name: str
    type: str
    to_q: Callable[[str, str | None], Q]
    documentation: str = ""
    definition: str = ""  # canonical SearchParameter URL, when it is a standard one
    modifiers: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.type not in SEARCH_PARAM_TYPES:
            raise ValueError(f"unknown search parameter type {self.type!r}")


class ResourceHandler(Generic[M]):
    """One FHIR resource type backed by one model, through its app's selectors and services.

    Override what the type supports; the rest answers 405. Handlers never write with the
    ORM: ``create``/``update`` call the app's service, ``read``/``search`` its scoped
    selectors (so out-of-scope ids are 404 and staff reads are audited as the native API
    does). Services' ``DomainError`` is translated by the framework.
    """

    resource_type: ClassVar[str]
    model: ClassVar[type[Resource]]
    search_params: ClassVar[Sequence[SearchParam]] = ()
    # Service field name → FHIRPath, for the ``expression`` of field errors.
    field_paths: ClassVar[Mapping[str, str]] = {}
    # Interactions a device credential (Caller.via == "device") may use; none by default.
    device_interactions: ClassVar[frozenset[Interaction]] = frozenset()
    documentation: ClassVar[str] = ""

    # ---- interactions (override to support) --------------------------------------------

    def read(self, ctx: FhirContext, resource_id: str) -> M:
        """The record ``resource_id`` if ``ctx.user`` may see it, else raise NotFoundError or
        ``outcome.not_found``."""
        raise not_allowed(self.resource_type, Interaction.READ, self.allowed_methods())

    def search(self, ctx: FhirContext) -> QuerySet[M]:
        """The records ``ctx.user`` may see, stably ordered; the framework filters them with
        the declared ``search_params`` and pages them."""
        raise not_allowed(self.resource_type, Interaction.SEARCH, self.allowed_methods())

    def create(self, ctx: FhirContext, resource: Any) -> M | Found[M]:
        """Create from a validated R4B resource (``from_fhir`` → the app's service); return
        ``Found(obj)`` when the resource was already stored (answered 200, not 201)."""
        raise not_allowed(self.resource_type, Interaction.CREATE, self.allowed_methods())

    def create_many(self, ctx: FhirContext, resources: Sequence[Any]) -> list[M | Found[M]]:
        """Optional: create all ``resources`` (validated R4B resources) at once, all or
        nothing; one result per resource, in order. Raise ``BulkRefused`` for bad ones."""
        raise NotImplementedError

    @classmethod
    def creates_in_bulk(cls) -> bool:
        return cls.create_many is not ResourceHandler.create_many

    def update(self, ctx: FhirContext, resource_id: str, resource: Any) -> M:
        """Replace ``resource_id`` with a validated R4B resource (its id already checked)."""
        raise not_allowed(self.resource_type, Interaction.UPDATE, self.allowed_methods())

    # ---- mapping --------------------------------------------------------------------------

    def to_fhir(self, ctx: FhirContext, obj: M) -> Resource:
        raise NotImplementedError

    def prepare_fhir_json(self, ctx: FhirContext, objs: Sequence[M]) -> None:
        """Called once before the first of ``objs`` (a bulk create's records) is rendered
        with ``to_fhir_json``: load what rendering needs in a few queries. Not called when
        the client asked for ``Prefer: return=minimal``."""

    def to_fhir_json(self, ctx: FhirContext, obj: M) -> dict[str, Any]:
        """``to_fhir`` as FHIR JSON (what ``model_dump_json`` writes). A type whose records
        are answered in bulk (transaction responses) may build the JSON directly from its own
        data, skipping the R4B round trip; it must equal this default (tested)."""
        data: dict[str, Any] = json.loads(
            self.to_fhir(ctx, obj).model_dump_json(by_alias=True, exclude_none=True)
        )
        return data

    def from_fhir(self, ctx: FhirContext, resource: Any) -> dict[str, Any]:
        """Keyword arguments for the app's service, from a validated R4B resource."""
        raise NotImplementedError

    # ---- hooks ----------------------------------------------------------------------------

    def logical_id(self, obj: M) -> str:
        return str(getattr(obj, "public_id", None) or obj.pk)

    def last_updated(self, obj: M) -> datetime | None:
        return getattr(obj, "updated_at", None)

    def disclosed(self, ctx: FhirContext, objs: Sequence[M], purpose: str) -> None:
        """Called when search results (or a conditional-create match) are returned, so the
        type can audit the disclosure as its selector audits a single read."""

    # ---- derived --------------------------------------------------------------------------

    @classmethod
    def interactions(cls) -> list[Interaction]:
        methods = {
            Interaction.READ: "read",
            Interaction.SEARCH: "search",
            Interaction.CREATE: "create",
            Interaction.UPDATE: "update",
        }
        return [
            interaction
            for interaction, name in methods.items()
            if getattr(cls, name) is not getattr(ResourceHandler, name)
        ]

    @classmethod
    def supports(cls, interaction: Interaction) -> bool:
        return interaction in cls.interactions()

    @classmethod
    def allowed_methods(cls) -> list[str]:
        supported = cls.interactions()
        allowed = set()
        if Interaction.READ in supported or Interaction.SEARCH in supported:
            allowed.add("GET")
        if Interaction.CREATE in supported:
            allowed.add("POST")
        if Interaction.UPDATE in supported:
            allowed.add("PUT")
        return sorted(allowed)

    def search_param(self, name: str) -> SearchParam | None:
        return next((param for param in self.search_params if param.name == name), None)


_registry: dict[str, ResourceHandler[Any]] = {}

H = TypeVar("H", bound=type[ResourceHandler[Any]])


def register(cls: H) -> H:
    """Class decorator: serve ``cls.resource_type`` with an instance of ``cls``."""
    resource_type = cls.resource_type
    if cls.model.get_resource_type() != resource_type:
        raise ValueError(f"{cls.__name__}.model is not an R4B {resource_type}")
    existing = _registry.get(resource_type)
    if existing is not None and type(existing).__qualname__ != cls.__qualname__:
        raise ValueError(f"{resource_type} is already served by {type(existing).__name__}")
    names = [param.name for param in cls.search_params]
    if len(names) != len(set(names)):
        raise ValueError(f"{cls.__name__} declares a search parameter twice")
    _registry[resource_type] = cls()
    return cls


def get_handler(resource_type: str) -> ResourceHandler[Any] | None:
    autodiscover()
    return _registry.get(resource_type)


def handlers() -> list[ResourceHandler[Any]]:
    autodiscover()
    return [_registry[name] for name in sorted(_registry)]


_discovered: set[str] = set()


def autodiscover(package: str = "careloop.fhir.resources") -> None:
    """Import every module of ``package`` once: each registers its resource type."""
    if package in _discovered:
        return
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(f"{package}.{info.name}")
    _discovered.add(package)


def unregister(resource_types: Iterable[str]) -> None:
    """For tests that register a throw-away type."""
    for name in resource_types:
        _registry.pop(name, None)
