"""Request-scoped context (client address for the audit trail), elder mode and language."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language, get_supported_language_variant

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
