"""Life events and needs reviews (seed 002 §2.3 "dynamic updates"): a life event, or the
quarterly review of key groups, invites the resident to answer the needs-review
questionnaire; their answers may file demands.

- ``record_life_event``: staff who see the resident, or the resident (a guardian for a
  dependant), record an event; the resident is invited and told how to answer.
- ``invite_periodic_reviews``: once a quarter, elders (65+), chronic patients (hypertension,
  diabetes) and pregnant women are invited; safe to run every day.
- ``process_review_answers``: a submitted response answers the resident's open invitations
  and files a demand for each need it names (``demands.services.intake``).

Elders and people with disabilities need not fill in a form: a health manager interviews
them at home or on the phone and answers the same questionnaire on their behalf
(``/w/residents/<id>/questionnaires/needs-review/``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.residents.models import (
    ConditionStatus,
    LifeEvent,
    LifeEventKind,
    Pregnancy,
    Questionnaire,
    QuestionnaireResponse,
    Resident,
    ResidentCondition,
    ReviewInvitation,
    ReviewReason,
)
from careloop.residents.selectors import residents_visible_to, with_active_contract
from careloop.residents.services.people import EDITOR_ROLES, FieldErrors
from careloop.residents.services.tags import OVERDUE_GRACE
from careloop.residents.tagging import ELDERLY_AGE

if TYPE_CHECKING:
    from careloop.demands.models import Demand

logger = logging.getLogger(__name__)

NEEDS_REVIEW = "needs-review"
# Chronic patients of the quarterly review: residents with one of these conditions active.
REVIEW_CONDITION_TAGS = ("hypertension", "diabetes")
MAX_NOTE = 200
BATCH = 500


def quarter_key(day: date) -> str:
    """The period key of a quarterly review: ``2026Q1``."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


# ---- messages ---------------------------------------------------------------------------------


def _format(template: Any, values: dict[str, Any]) -> str:
    return str(template) % {k: str(v) for k, v in values.items()}


# Rendered in the recipient's language when the outbox writes the message.
_lazy_format = lazy(_format, str)


def _title(questionnaire: Questionnaire) -> str:
    return questionnaire.title  # the active language's title


def _answer_link(resident: Resident) -> str:
    """Where the resident answers; a dependant without an account is answered by a guardian."""
    if resident.user_id:
        return reverse("residents:questionnaire", args=[NEEDS_REVIEW])
    return reverse("residents:family_questionnaire", args=[resident.public_id, NEEDS_REVIEW])


def _notify(invitation: ReviewInvitation) -> None:
    from careloop.notifications.services import notify

    if invitation.reason == ReviewReason.LIFE_EVENT and invitation.life_event is not None:
        body = _lazy_format(
            _(
                "We noted a change in your life (%(event)s). Please answer the short "
                "questionnaire “%(title)s” in the resident portal: %(link)s. If you prefer, "
                "your health manager can go through it with you at home or on the phone."
            ),
            {
                "event": LifeEventKind(invitation.life_event.kind).label,
                "title": lazy(_title, str)(invitation.questionnaire),
                "link": _answer_link(invitation.resident),
            },
        )
    else:
        body = _lazy_format(
            _(
                "It is time for your quarterly health review. Please answer the short "
                "questionnaire “%(title)s” in the resident portal: %(link)s. If you prefer, "
                "your health manager can go through it with you at home or on the phone."
            ),
            {
                "title": lazy(_title, str)(invitation.questionnaire),
                "link": _answer_link(invitation.resident),
            },
        )
    notify(
        actor=None,
        kind="text",
        resident=invitation.resident,
        context={"subject": _("Please tell us what you need"), "body": body},
        dedupe_key=f"review:{invitation.public_id}",
    )


# ---- life events ------------------------------------------------------------------------------


def _require_recorder(actor: User, resident: Resident) -> None:
    """Staff who edit records, or a resident for themself or a dependant; each only for the
    residents they see."""
    if not (actor.is_superuser or actor.has_role(*EDITOR_ROLES, Role.RESIDENT)):
        raise ForbiddenError("residents.life_event_forbidden", _("You may not record life events."))
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise NotFoundError("residents.not_found", _("No such resident."))


def record_life_event(
    *, actor: User, resident: Resident, kind: str, occurred_on: date, note: str = ""
) -> LifeEvent:
    """Record a life event of ``resident`` and invite them to the needs review (told through
    the outbox, by phone when that is how they are reached)."""
    _require_recorder(actor, resident)
    note = (note or "").strip()
    errors = FieldErrors({})
    if kind not in LifeEventKind.values:
        errors.add("kind", _("Choose a life event from the list."))
    if occurred_on > clock.today():
        errors.add("occurred_on", _("The date cannot be in the future."))
    elif occurred_on < resident.birth_date:
        errors.add("occurred_on", _("The date cannot be before the resident's birth."))
    if len(note) > MAX_NOTE:
        errors.add("note", _("A note has at most 200 characters."))
    if errors.errors:
        raise DomainError(
            "residents.invalid", _("Please correct the marked fields."), fields=errors.errors
        )
    questionnaire = Questionnaire.objects.filter(code=NEEDS_REVIEW, active=True).first()
    now = clock.now()
    with transaction.atomic():
        event = LifeEvent.objects.create(
            resident=resident, kind=kind, occurred_on=occurred_on, note=note,
            recorded_by=actor, created_at=now,
        )  # fmt: skip
        invitation = None
        if questionnaire is None:
            logger.warning(
                "no active %s questionnaire: life event without invitation", NEEDS_REVIEW
            )
        else:
            invitation = ReviewInvitation.objects.create(
                resident=resident, questionnaire=questionnaire, reason=ReviewReason.LIFE_EVENT,
                life_event=event, period_key=event.public_id, sent_at=now,
            )  # fmt: skip
        audit.record(
            actor=actor,
            action="careloop.life_event.recorded",
            obj=resident,
            detail={
                "event": event.public_id,
                "kind": kind,
                "occurred_on": occurred_on.isoformat(),
                "invitation": invitation.public_id if invitation else "",
            },
        )
        if invitation is not None:
            _notify(invitation)
    return event


# ---- the quarterly review of key groups ---------------------------------------------------


def key_group_ids(on: date) -> set[int]:
    """Residents of the quarterly review on ``on``: elders (65+), chronic patients with an
    active hypertension or diabetes condition, women pregnant now (three queries)."""
    elders = Resident.objects.filter(birth_date__lte=clock.years_before(on, ELDERLY_AGE))
    chronic = ResidentCondition.objects.filter(
        status=ConditionStatus.ACTIVE, condition__tag__in=REVIEW_CONDITION_TAGS
    )
    pregnant = Pregnancy.objects.filter(
        delivered_on__isnull=True, ended=False, due_date__gte=on - OVERDUE_GRACE
    )
    return (
        set(elders.values_list("pk", flat=True))
        | set(chronic.values_list("resident_id", flat=True))
        | set(pregnant.values_list("resident_id", flat=True))
    )


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def invite_periodic_reviews(*, today: date | None = None) -> int:
    """Invite every resident of a key group not yet invited this quarter; return how many
    were invited. Reads in batches; an invitation already written (a second run, a
    concurrent one) is left alone, so no one is invited or told twice."""
    today = today or clock.today()
    questionnaire = Questionnaire.objects.filter(code=NEEDS_REVIEW, active=True).first()
    if questionnaire is None:
        logger.warning("no active %s questionnaire: no periodic reviews", NEEDS_REVIEW)
        return 0
    period = quarter_key(today)
    done = set(
        ReviewInvitation.objects.filter(
            reason=ReviewReason.PERIODIC_REVIEW, period_key=period
        ).values_list("resident_id", flat=True)
    )
    invited = 0
    for chunk in _chunks(key_group_ids(today) - done):
        now = clock.now()
        residents = with_active_contract(
            Resident.objects.filter(pk__in=chunk).select_related("user")
        )
        with transaction.atomic():
            drafts = [
                ReviewInvitation(
                    resident=resident,
                    questionnaire=questionnaire,
                    reason=ReviewReason.PERIODIC_REVIEW,
                    period_key=period,
                    sent_at=now,
                )
                for resident in residents
            ]
            ReviewInvitation.objects.bulk_create(drafts, ignore_conflicts=True)
            # Ours are the rows that carry the public ids drafted here.
            written = set(
                ReviewInvitation.objects.filter(
                    public_id__in=[d.public_id for d in drafts]
                ).values_list("public_id", flat=True)
            )
            mine = [d for d in drafts if d.public_id in written]
            if not mine:
                continue
            audit.record(
                actor=None,
                action="careloop.review.invited",
                object_type=ReviewInvitation._meta.label_lower,
                detail={
                    "reason": ReviewReason.PERIODIC_REVIEW,
                    "period": period,
                    "residents": [d.resident.public_id for d in mine],
                },
            )
            for draft in mine:
                _notify(draft)
        invited += len(mine)
    return invited


# ---- answers ----------------------------------------------------------------------------------


def process_review_answers(*, actor: User, response: QuestionnaireResponse) -> list[Demand]:
    """Called by ``submit_questionnaire_response`` in its transaction: the response answers
    the resident's open invitations to its questionnaire, and each need it names files a
    demand (nothing for a questionnaire that maps no answer to a service)."""
    open_invitations = ReviewInvitation.objects.filter(
        resident=response.resident,
        questionnaire__code=response.questionnaire.code,
        answered_at__isnull=True,
    )
    open_invitations.update(answered_at=response.submitted_at, response=response)
    if not any(
        item.get("service") or item.get("describe")
        for item in response.questionnaire.schema.get("items", [])
    ):
        return []
    # demands imports residents: import it here, not when residents is loaded.
    from careloop.demands.services.intake import file_demands_from_answers

    return file_demands_from_answers(response, actor=actor)
