from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """What a locked-out user sees: a JSON 429 for the API, a page otherwise."""
    message = _("Too many failed logins. This account is locked for %(minutes)d minutes.") % {
        "minutes": _cooloff_minutes()
    }
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "auth.locked_out", "message": message, "fields": {}}, status=429
        )
    return render(request, "core/locked_out.html", {"message": message}, status=429)


def _cooloff_minutes() -> int:
    from django.conf import settings

    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
