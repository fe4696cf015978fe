"""Money is an int of fen everywhere; it becomes yuan only here, at the edge."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def format_yuan(fen: int | None) -> str:
    """``1250`` → ``¥12.50``; ``0`` → "Free"; ``None`` → ""."""
    if fen is None or fen == "":
        return ""
    fen = int(fen)
    if fen == 0:
        return _("Free")
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{rest:02d}"


@register.filter
def yuan(fen: int | None) -> str:
    return format_yuan(fen)
