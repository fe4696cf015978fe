"""``{% my_demands_card %}``: the resident home's "my needs" card (open needs first, with the
entry to file a new one), so the home page shows demands without the residents app knowing
about them."""

from __future__ import annotations

from typing import Any

from django import template

from careloop.demands.models import OPEN_STATUSES

register = template.Library()

HOME_ITEMS = 3


@register.inclusion_tag("demands/portal/home_card.html", takes_context=True)
def my_demands_card(context: template.Context) -> dict[str, Any]:
    from careloop.demands.views_portal import open_first, portal_demands, summary

    request = context["request"]
    me = context.get("resident")
    demands = portal_demands(request.user)
    items = [summary(d, me) for d in open_first(demands)[:HOME_ITEMS]] if me else []
    open_count = demands.filter(status__in=OPEN_STATUSES).count() if items else 0
    return {"items": items, "open_count": open_count, "request": request}
