"""Request-scoped context (client address for the audit trail) and elder mode."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from ipaddress import ip_address

from django.http import HttpRequest, HttpResponse

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
