"""Questionnaire responses: a resident answers for themselves (or a guardian for a
dependant); staff who edit records answer on a resident's behalf."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.residents.models import Questionnaire, QuestionnaireResponse, Resident
from careloop.residents.questionnaire_schema import validate_answers
from careloop.residents.selectors import residents_visible_to
from careloop.residents.services.events import process_review_answers
from careloop.residents.services.people import EDITOR_ROLES
from careloop.residents.services.tags import refresh_tags


def _require_answerer(actor: User, resident: Resident) -> bool:
    """Return True when ``actor`` answers on the resident's behalf."""
    is_self = resident.user_id is not None and resident.user_id == actor.pk
    if is_self:
        return False
    if not (actor.is_superuser or actor.has_role(*EDITOR_ROLES, Role.RESIDENT)):
        raise ForbiddenError(
            "residents.questionnaire_forbidden",
            _("You may not answer questionnaires for this resident."),
        )
    # Residents reach only their dependants, staff only the residents they serve.
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise NotFoundError("residents.not_found", _("No such resident."))
    return True


def submit_questionnaire_response(
    *,
    actor: User,
    resident: Resident,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
) -> QuestionnaireResponse:
    """Validate every answer against ``questionnaire``'s schema and store the response.

    A DomainError("residents.questionnaire_invalid") carries one message per item that is
    wrong (keyed by linkId); nothing is written then. Only the active version is accepted.
    """
    on_behalf = _require_answerer(actor, resident)
    if not questionnaire.active:
        raise DomainError(
            "residents.questionnaire_inactive",
            _("This questionnaire version is no longer in use; please reload it."),
        )
    cleaned, errors = validate_answers(questionnaire.schema, answers)
    if errors:
        raise DomainError(
            "residents.questionnaire_invalid",
            _("Please correct the marked answers."),
            fields=errors,
        )
    with transaction.atomic():
        response = QuestionnaireResponse.objects.create(
            resident=resident,
            questionnaire=questionnaire,
            answers=cleaned,
            answered_by=actor,
            on_behalf=on_behalf,
            submitted_at=clock.now(),
        )
        audit.record(
            actor=actor,
            action="careloop.questionnaire.submitted",
            obj=resident,
            detail={"response": response.public_id, "questionnaire": questionnaire.canonical,
                    "on_behalf": on_behalf},
        )  # fmt: skip
        refresh_tags(resident)
        # Needs-review answers close the resident's invitations and may file demands.
        process_review_answers(actor=actor, response=response)
    return response
