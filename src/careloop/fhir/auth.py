"""Authentication of FHIR requests: the same credentials as the native API.

``AUTHENTICATORS`` is tried in order; the first that returns a ``Caller`` wins, and a request
none of them accepts is answered 401 with an OperationOutcome. A later authenticator (device
tokens, from the observations app) is added with ``add_authenticator``; it returns
``Caller(user=…, via="device", credential=device)`` and resource handlers opt in to device
callers per interaction (``ResourceHandler.device_interactions``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from careloop.core import tokens
from careloop.fhir import registry
from careloop.fhir.context import Caller
from careloop.fhir.outcome import FhirError

Authenticator = Callable[[HttpRequest], Caller | None]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def bearer_token(request: HttpRequest) -> Caller | None:
    """``Authorization: Bearer cl_…``: a live API token (core.tokens)."""
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    api_token = tokens.token_for_key(key.strip())
    if api_token is None:
        return None
    request.user = api_token.user
    return Caller(user=api_token.user, via="token", credential=api_token)


def session(request: HttpRequest) -> Caller | None:
    """Django's session (a signed-in browser); unsafe methods need the CSRF token."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if request.method in UNSAFE_METHODS:
        middleware = CsrfViewMiddleware(lambda _request: HttpResponseForbidden())
        request.csrf_processing_done = False  # type: ignore[attr-defined]
        middleware.process_request(request)
        if middleware.process_view(request, _csrf_protected, (), {}) is not None:
            raise FhirError(
                403, "security", _("The CSRF check failed: reload the page and try again.")
            )
    return Caller(user=user, via="session")


def _csrf_protected(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError("CsrfViewMiddleware.process_view only inspects the view")


AUTHENTICATORS: list[Authenticator] = [bearer_token, session]


def add_authenticator(authenticator: Authenticator, *, first: bool = True) -> None:
    """Register another way in (e.g. device tokens). Idempotent."""
    if authenticator in AUTHENTICATORS:
        return
    if first:
        AUTHENTICATORS.insert(0, authenticator)
    else:
        AUTHENTICATORS.append(authenticator)


def authenticate(request: HttpRequest) -> Caller:
    # Resource modules add their authenticators (device tokens) when imported.
    registry.autodiscover()
    for authenticator in AUTHENTICATORS:
        caller = authenticator(request)
        if caller is not None:
            return caller
    raise FhirError(401, "login", _("Sign in, or send a valid API token."))
