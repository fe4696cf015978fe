"""The HTTP layer of the facade: content negotiation, authentication, and every failure as an
OperationOutcome. Plain Django views (FHIR's media types, status codes and Bundle shapes do
not fit the native API's schemas); the work is in ``interactions`` and ``bundle``."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.resource import Resource

from careloop.fhir import bundle, interactions
from careloop.fhir.auth import authenticate
from careloop.fhir.capability import capability_statement
from careloop.fhir.context import FhirContext
from careloop.fhir.interactions import Result
from careloop.fhir.outcome import FhirError, invalid

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
CONTENT_TYPE = f"{FHIR_JSON}; charset=utf-8"
JSON_TYPES = frozenset({FHIR_JSON, "application/json", "application/json+fhir"})
ACCEPTABLE = JSON_TYPES | {"*/*", "application/*"}
FORMATS = frozenset({"json", *JSON_TYPES})

View = Callable[..., HttpResponse]


def fhir_response(
    resource: Resource | None, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    body = resource.model_dump_json(by_alias=True, exclude_none=True) if resource else ""
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def fhir_json_response(data: dict[str, Any], status: int = 200) -> HttpResponse:
    """A response from FHIR JSON already built as a dict (the Bundle processor's)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPE)


def error_response(error: FhirError) -> HttpResponse:
    headers = dict(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="careloop"'
    return fhir_response(error.outcome(), error.status, headers)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:base"))


def _negotiate(request: HttpRequest) -> None:
    requested = request.GET.get("_format")
    if requested is not None:
        if requested.split(";")[0].strip() not in FORMATS:
            raise FhirError(406, "not-supported", _("Only JSON is served here."))
        return
    accept = request.headers.get("Accept", "").strip()
    if not accept:
        return
    media_types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not media_types & ACCEPTABLE:
        raise FhirError(406, "not-supported", _("Only JSON is served here."))


def fhir_view(*, public: bool = False) -> Callable[[View], View]:
    """Negotiate, authenticate (unless ``public``) and answer failures as OperationOutcome.
    The view gets ``(request, ctx, **kwargs)``."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                _negotiate(request)
                base = base_url(request)
                if public:
                    return view(request, base, **kwargs)
                ctx = FhirContext(caller=authenticate(request), base_url=base, request=request)
                return view(request, ctx, **kwargs)
            except FhirError as error:
                return error_response(error)
            except RequestDataTooBig:
                return error_response(FhirError(413, "too-costly", _("The request is too large.")))
            except Exception:
                logger.exception("FHIR request failed: %s %s", request.method, request.path)
                return error_response(
                    FhirError(500, "exception", _("The server could not process this request."))
                )

        return wrapped

    return decorate


def _body(request: HttpRequest) -> Any:
    if request.content_type not in JSON_TYPES:
        raise FhirError(415, "not-supported", _("Send the resource as application/fhir+json."))
    try:
        return json.loads(request.body or b"")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid(_("The body is not valid JSON."), code="structure") from None


def _minimal(request: HttpRequest) -> bool:
    return "return=minimal" in request.headers.get("Prefer", "").replace(" ", "")


def _pairs(data: Any) -> list[tuple[str, str]]:
    return [(name, value) for name, values in data.lists() for value in values]


def _respond(ctx: FhirContext, request: HttpRequest, result: Result) -> HttpResponse:
    headers: dict[str, str] = {}
    if result.status == 201 or (request.method == "POST" and result.location):
        headers["Location"] = ctx.url(result.location)
    if result.last_modified is not None:
        headers["Last-Modified"] = http_date(result.last_modified.timestamp())
    resource = None if _minimal(request) and request.method != "GET" else result.resource
    return fhir_response(resource, result.status, headers)


def _not_allowed(allow: str) -> FhirError:
    return FhirError(
        405,
        "not-supported",
        _("This interaction is not supported here."),
        headers={"Allow": allow},
    )


# ---- endpoints -------------------------------------------------------------------------------


@fhir_view(public=True)
def metadata(request: HttpRequest, base: str) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        raise _not_allowed("GET")
    return fhir_response(capability_statement(base))


@fhir_view()
def base(request: HttpRequest, ctx: FhirContext) -> HttpResponse:
    """``POST /`` with a batch or transaction Bundle."""
    if request.method != "POST":
        raise _not_allowed("POST")
    return fhir_json_response(bundle.process_json(ctx, _body(request), minimal=_minimal(request)))


@fhir_view()
def type_level(request: HttpRequest, ctx: FhirContext, resource_type: str) -> HttpResponse:
    if request.method in {"GET", "HEAD"}:
        return _respond(ctx, request, interactions.search(ctx, resource_type, _pairs(request.GET)))
    if request.method == "POST":
        result = interactions.create(
            ctx,
            resource_type,
            _body(request),
            if_none_exist=request.headers.get("If-None-Exist") or None,
        )
        return _respond(ctx, request, result)
    raise _not_allowed("GET, POST")


@fhir_view()
def instance(
    request: HttpRequest, ctx: FhirContext, resource_type: str, resource_id: str
) -> HttpResponse:
    if resource_id == "_search" and request.method == "POST":
        pairs = _pairs(request.GET) + _pairs(request.POST)
        return _respond(ctx, request, interactions.search(ctx, resource_type, pairs))
    if request.method in {"GET", "HEAD"}:
        return _respond(ctx, request, interactions.read(ctx, resource_type, resource_id))
    if request.method == "PUT":
        return _respond(
            ctx, request, interactions.update(ctx, resource_type, resource_id, _body(request))
        )
    raise _not_allowed("GET, PUT")


@fhir_view()
def unsupported(request: HttpRequest, ctx: FhirContext, rest: str) -> HttpResponse:
    """History, operations and compartments are not implemented."""
    raise FhirError(
        501,
        "not-supported",
        _("%(path)s is not supported by this server.") % {"path": rest},
    )
