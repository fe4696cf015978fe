"""Authentication for the whole API (bearer token or session), and the core endpoints:
health, token issue/revoke and ``/me``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from careloop.core import tokens
from careloop.core.auth import lockout_response
from careloop.core.errors import DomainError
from careloop.core.models import ApiToken, User
from careloop.core.schemas import ErrorOut, HealthOut, MeOut, TokenIn, TokenOut


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer cl_…`` with a live (unexpired, unrevoked) token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = tokens.token_for_key(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


class SessionAuth(NinjaSessionAuth):
    """Django's session; unsafe methods need the CSRF token. Without a session cookie the
    request is simply unauthenticated (401), not a CSRF failure (403)."""

    def __call__(self, request: HttpRequest) -> User | None:
        if self.param_name not in request.COOKIES:
            return None
        return super().__call__(request)


def current_user(request: HttpRequest) -> User:
    """The user an authenticated operation runs as (set by either auth class)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


router = Router(tags=["auth"])


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut}, tags=["system"])
def health(request: HttpRequest) -> Status[dict[str, str]]:
    """Liveness and database reachability, for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return Status(503, {"status": "error", "database": "error"})
    return Status(200, {"status": "ok", "database": "ok"})


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="Issue an API token",
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Any:
    """Exchange a username and password for a bearer token. Failures count towards the
    account lockout (5 failures lock it; a locked account is refused even with the right
    password, with 429)."""
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if user is None:
        locked_out = bool(getattr(request, "axes_locked_out", False))
        tokens.record_token_denied(username=payload.username, locked_out=locked_out)
        if locked_out:
            return lockout_response(request)
        return Status(
            401,
            {
                "code": "auth.invalid_credentials",
                "message": _("The username or password is wrong."),
                "fields": {},
            },
        )
    issued = tokens.issue_api_token(actor=user)
    # A token issue is a login: lets axes reset the failure count and updates last_login.
    user_logged_in.send(sender=type(user), request=request, user=user)
    return {"token": issued.key, "expires_at": issued.token.expires_at}


@router.delete("/auth/token", response={204: None, 400: ErrorOut}, summary="Revoke this token")
def revoke_token(request: HttpRequest) -> Status[None]:
    """Revoke the bearer token that authenticates this request."""
    api_token: ApiToken | None = getattr(request, "api_token", None)
    if api_token is None:
        raise DomainError("auth.no_token", _("This request was not made with an API token."))
    tokens.revoke_api_token(actor=current_user(request), token=api_token)
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """Who is calling: roles, community and (for a resident) their own record's id."""
    user = current_user(request)
    # The reverse one-to-one from residents; reached by name so core imports no domain app.
    resident = getattr(user, "resident", None)
    return {
        "username": user.get_username(),
        "name": user.name,
        "roles": sorted(user.roles),
        "community": user.community.code if user.community is not None else None,
        "resident": resident.public_id if resident is not None else None,
    }


# ---- errors: one body shape for every failure ---------------------------------------------

PARAM_SOURCES = frozenset({"body", "query", "path", "header", "cookie", "form", "file"})


def install_error_handlers(api: NinjaAPI) -> None:
    """Map domain errors, request validation and auth failures onto ``ErrorOut``."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        body = {
            "code": "api.invalid",
            "message": _("Please correct the marked fields."),
            "fields": field_errors(exc.errors),
        }
        return api.create_response(request, body, status=400)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code, message = _http_error_text(exc)
        body = {"code": code, "message": message, "fields": {}}
        response = api.create_response(request, body, status=exc.status_code)
        if exc.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="careloop"'
        return response


class CareLoopAPI(NinjaAPI):
    """NinjaAPI whose schema also documents the errors every operation can give."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        document_common_errors(schema)
        return schema


def document_common_errors(schema: dict[str, Any]) -> None:
    """Add the answers the error handlers above give to any operation, where the operation
    does not list them itself: 400 when it takes input (a query, path or body that fails
    validation), 401 when it needs authentication."""
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    secured_by_default = bool(schema.get("security"))
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            documented = {int(status) for status in responses}
            if (operation.get("parameters") or operation.get("requestBody")) and (
                400 not in documented
            ):
                responses[400] = error
            secured = operation.get("security", [{}] if secured_by_default else [])
            if secured and 401 not in documented:
                responses[401] = error


def _http_error_text(exc: HttpError) -> tuple[str, str]:
    if isinstance(exc, AuthenticationError):
        return "auth.unauthorized", _("Sign in, or send a valid API token.")
    if exc.status_code == 403 and "CSRF" in exc.message:
        return "auth.csrf_failed", _("The CSRF check failed: reload the page and try again.")
    if isinstance(exc, AuthorizationError):
        return "auth.forbidden", _("You may not do this.")
    return f"http.{exc.status_code}", str(exc.message)


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Pydantic errors as ``{field: [translated message, …]}``."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(_error_message(error))
    return fields


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "payload", "address", "city")`` → ``"address.city"``; ``("query",
    "page")`` → ``"page"``. A body error about the whole document is ``"__all__"``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in PARAM_SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body":
            parts = parts[1:]  # the operation's parameter name, e.g. "payload"
    return ".".join(parts) or "__all__"


def _error_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind.startswith("date_"):
        return _("Enter a valid date.")
    if kind.startswith("datetime_"):
        return _("Enter a valid date and time (ISO 8601, with its time zone).")
    if kind == "greater_than_equal":
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("ge")
        }
    if kind == "less_than_equal":
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("le")
        }
    if kind == "string_too_long":
        limit = int(ctx.get("max_length", 0))
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": len(str(error.get("input", "")))}
    return _("Enter a valid value.")
