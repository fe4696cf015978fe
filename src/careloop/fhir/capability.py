"""``GET /fhir/r4/metadata``: the CapabilityStatement, generated from the registry so it lists
exactly the types, interactions and search parameters that are served."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.conf import settings
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from careloop.core import clock
from careloop.fhir import search
from careloop.fhir.registry import Interaction, ResourceHandler, handlers

FHIR_VERSION = "4.3.0"  # the models are fhir.resources.R4B


def _software_version() -> str:
    try:
        return version("careloop")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0"


def _resource(handler: ResourceHandler[Any]) -> dict[str, Any]:
    supported = handler.interactions()
    entry: dict[str, Any] = {
        "type": handler.resource_type,
        "interaction": [{"code": str(interaction)} for interaction in supported],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": Interaction.CREATE in supported and Interaction.SEARCH in supported,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "referencePolicy": ["literal", "logical"],
    }
    if handler.documentation:
        entry["documentation"] = handler.documentation
    if Interaction.SEARCH in supported and handler.search_params:
        entry["searchParam"] = [
            {
                "name": param.name,
                "type": param.type,
                **({"definition": param.definition} if param.definition else {}),
                **({"documentation": param.documentation} if param.documentation else {}),
            }
            for param in handler.search_params
        ]
    return entry


def capability_statement(base_url: str) -> CapabilityStatement:
    return CapabilityStatement.model_validate(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": clock.now().replace(microsecond=0),
            "publisher": "CareLoop",
            "kind": "instance",
            "software": {"name": "CareLoop", "version": _software_version()},
            "implementation": {"description": str(settings.CARELOOP_SITE_NAME), "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        f"Search results are paged with _count (default {search.DEFAULT_COUNT},"
                        f" at most {search.MAX_COUNT}) and _offset; string parameters match"
                        " on contains (:exact for equality). Transaction and batch responses"
                        " give each entry response.status, location (also as fullUrl) and"
                        " lastModified; the entry's resource is included unless the request"
                        " says Prefer: return=minimal (recommended for bulk ingestion)."
                    ),
                    "security": {
                        "cors": False,
                        "description": (
                            "Authorization: Bearer <token> (POST /api/v1/auth/token), or a"
                            " signed-in session with the CSRF token for writes."
                        ),
                    },
                    "resource": [_resource(handler) for handler in handlers()],
                    "interaction": [{"code": "transaction"}, {"code": "batch"}],
                }
            ],
        }
    )
