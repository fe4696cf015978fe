"""Pages of the shared kernel: sign-in, the role-based landing redirect, the elder-mode switch
and the audit trail in the console. Helpers for access checks and the portal chrome live here
so that every app's pages ask the same questions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.core.forms import AuditFilterForm
from careloop.core.middleware import ELDER_COOKIE
from careloop.core.models import AuditEvent, User
from careloop.core.roles import CONSOLE_ROLES, STAFF_ROLES, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Who may read the audit trail page.
AUDIT_VIEWER_ROLES = (Role.AUDITOR, Role.CENTRE_DIRECTOR, Role.SYSTEM_ADMIN)
ELDER_COOKIE_SECONDS = 365 * 24 * 3600
AUDIT_PAGE_SIZE = 50


# ---- access questions ---------------------------------------------------------------------


def is_resident(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_role(Role.RESIDENT)


def can_use_workbench(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(user.roles & STAFF_ROLES))


def can_use_console(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(user.roles & CONSOLE_ROLES))


def can_view_audit(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*AUDIT_VIEWER_ROLES))


def page_access(
    test: Callable[[User], bool],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Anonymous visitors go to the sign-in page; signed-in users failing ``test`` get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def chrome(request: HttpRequest, section: str = "") -> dict[str, Any]:
    """What the portal layouts need around the page: navigation flags and role names."""
    user = request.user
    roles: frozenset[str] = getattr(user, "roles", frozenset())
    labels: list[str | StrPromise] = [Role(r).label for r in sorted(roles) if r in Role.values]
    if getattr(user, "is_superuser", False) and not labels:
        labels = [str(_("Superuser"))]
    return {
        "section": section,
        "role_labels": labels,
        "can_use_workbench": can_use_workbench(user),
        "can_use_console": can_use_console(user),
        "can_view_audit": can_view_audit(user),
    }


# ---- sign-in and landing ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        context["lockout_minutes"] = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        return context


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link cannot sign anyone out."""


def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their own portal."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(reverse("home"))
    if user.is_superuser or user.has_role(*CONSOLE_ROLES):
        return redirect("residents:console")
    if user.has_role(*STAFF_ROLES):
        return redirect("residents:workbench")
    if user.has_role(Role.RESIDENT):
        return redirect("residents:portal")
    raise PermissionDenied


@require_POST
def elder_mode(request: HttpRequest) -> HttpResponse:
    """Turn elder mode (large type, high contrast) on or off, remembered for a year."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if request.POST.get("elder") == "1":
        response.set_cookie(
            ELDER_COOKIE,
            "1",
            max_age=ELDER_COOKIE_SECONDS,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response


# ---- console: audit trail -----------------------------------------------------------------


@page_access(can_view_audit)
def audit_trail(request: HttpRequest) -> HttpResponse:
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    form = AuditFilterForm(request.GET or None, actions=list(actions))
    events = AuditEvent.objects.order_by("-occurred_at", "-id")
    if form.is_valid() and form.cleaned_data["action"]:
        events = events.filter(action=form.cleaned_data["action"])
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_trail.html",
        {"form": form, "page": page, **chrome(request, "audit")},
    )
