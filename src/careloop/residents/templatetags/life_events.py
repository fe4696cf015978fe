"""``{% life_event_form as form %}``: an empty life-event form for the workbench record."""

from __future__ import annotations

from django import template

from careloop.residents.forms_events import LifeEventForm

register = template.Library()


@register.simple_tag
def life_event_form() -> LifeEventForm:
    return LifeEventForm()
