"""Request-scoped context (client address for the audit trail), elder mode, language, and
the NUL character refused at the door."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextvars import ContextVar
from ipaddress import ip_address
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import check_for_language, get_supported_language_variant
from django.utils.translation import gettext_lazy as _

_current_ip: ContextVar[str | None] = ContextVar("careloop_current_ip", default=None)

ELDER_COOKIE = "careloop_elder"


def current_ip() -> str | None:
    return _current_ip.get()


def _client_ip(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ip_address(raw))
    except ValueError:
        return None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_ip.set(_client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _current_ip.reset(token)


class ElderModeMiddleware:
    """Elder mode (large type, high contrast) is remembered in a cookie for a year."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elder_mode = request.COOKIES.get(ELDER_COOKIE) == "1"  # type: ignore[attr-defined]
        return self.get_response(request)


# Programs choose their language per request with Accept-Language; people choose it once with
# the language switch (a cookie). A hospital PC with an English Windows still gets Chinese.
NEGOTIATED_PREFIXES = ("/api/", "/fhir/")


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware, except that pages ignore the browser's Accept-Language:
    Chinese unless the user picked another language with the switch."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(NEGOTIATED_PREFIXES):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = (
            get_supported_language_variant(chosen)
            if chosen and check_for_language(chosen)
            else settings.LANGUAGE_CODE
        )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# PostgreSQL text cannot hold NUL (U+0000): a query with one fails with a database error, a
# 500. Forms already refuse it (Django's CharField); this answers 400 for the rest — paths,
# query strings and JSON bodies — before any view runs.
NUL = "\x00"
ESCAPED_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _json_body_holds_nul(request: HttpRequest) -> bool:
    if "json" not in (request.content_type or ""):
        return False
    try:
        body = request.body
    except RequestDataTooBig:
        return False  # the view answers that
    if b"\x00" in body:
        return True
    if not ESCAPED_NUL.search(body):
        return False
    try:
        return _holds_nul(json.loads(body))
    except ValueError:
        return False  # not JSON: the view answers that


def request_holds_nul(request: HttpRequest) -> bool:
    return (
        NUL in request.path
        or any(NUL in text for key, values in request.GET.lists() for text in (key, *values))
        or _json_body_holds_nul(request)
    )


class NulCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_holds_nul(request):
            return self.get_response(request)
        message = str(_("Text may not contain the NUL character (U+0000)."))
        if request.path.startswith("/api/"):
            body = {"code": "api.invalid", "message": message, "fields": {}}
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        if request.path.startswith("/fhir/"):
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid", "diagnostics": message}],
            }
            return HttpResponse(
                json.dumps(outcome, ensure_ascii=False),
                status=400,
                content_type="application/fhir+json; charset=utf-8",
            )
        return render(request, "400.html", {"message": message}, status=400)
