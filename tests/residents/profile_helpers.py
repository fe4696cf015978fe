"""Helpers shared by the health-profile tests."""

from __future__ import annotations

from careloop.core.models import AuditEvent
from careloop.core.validators import check_digit


def id_number(region: str = "110105", birth: str = "19500101", seq: str = "123") -> str:
    first17 = f"{region}{birth}{seq}"
    return first17 + check_digit(first17)


def wrong_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def audit_actions(prefix: str = "careloop.") -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith=prefix)
        .order_by("id")
        .values_list("action", flat=True)
    )
