"""Money is an int of fen everywhere; it becomes yuan only here, at the edge."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def format_yuan(fen: int | str | None) -> str:
    """``1250`` → ``¥12.50``; ``0`` → "Free"; ``None`` → "" (so is "", a missing template
    variable)."""
    if fen is None or fen == "":
        return ""
    amount = int(fen)
    if amount == 0:
        return _("Free")
    sign = "-" if amount < 0 else ""
    yuan, rest = divmod(abs(amount), 100)
    return f"{sign}¥{yuan:,}.{rest:02d}"


@register.filter
def yuan(fen: int | str | None) -> str:
    return format_yuan(fen)
