from django.conf import settings
from django.http import HttpRequest

from careloop.core.roles import CONSOLE_ROLES, STAFF_ROLES, Role


def careloop(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    roles: frozenset[str] = (
        getattr(user, "roles", frozenset()) if user and user.is_authenticated else frozenset()
    )
    return {
        "brand_name": settings.CARELOOP_SITE_NAME,
        "elder_mode": getattr(request, "elder_mode", False),
        "is_resident": Role.RESIDENT in roles,
        "is_staff_member": bool(roles & STAFF_ROLES),
        "is_console_user": bool(roles & CONSOLE_ROLES),
    }
