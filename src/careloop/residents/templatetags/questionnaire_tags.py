"""``{% questionnaire_statuses resident mode as rows %}``: the questionnaires in use with the
resident's latest answer, for the resident home and the workbench record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from careloop.residents.models import Resident

if TYPE_CHECKING:
    from careloop.residents.views_profile import QuestionnaireStatus

register = template.Library()


@register.simple_tag
def questionnaire_statuses(resident: Resident, mode: str = "self") -> list[QuestionnaireStatus]:
    from careloop.residents.views_profile import questionnaire_statuses as statuses

    return statuses(resident, mode)
