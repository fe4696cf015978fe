"""``{% record_health resident as health %}``: the record page's profile, alerts and charts
(``views.record_health``), for the resident record that the residents app renders."""

from __future__ import annotations

from typing import Any

from django import template

from careloop.observations import views

register = template.Library()


@register.simple_tag(takes_context=True)
def record_health(context: template.Context, resident: Any) -> dict[str, Any]:
    return views.record_health(context["request"], resident)


@register.simple_tag
def plotly_url() -> str:
    """The versioned URL of plotly.min.js (served from the installed package)."""
    return views.plotly_url()
