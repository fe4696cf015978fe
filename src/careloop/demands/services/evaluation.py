"""After completion: the resident's rating and the family doctor's follow-up call (回访).

A rating is one per demand: the resident (or a guardian) rates in the portal, staff record
a rating given by phone. Sending the same rating again changes nothing; a different one is
refused (409), so a retried form never double-counts in the satisfaction KPI.

The follow-up call is created when the demand completes (``complete_demand``), due 24 h later
for the resident's family doctor. Its short script asks whether the problem was solved and
whether there are new needs; each new need named as a service files a new demand, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Service
from careloop.core import audit, clock
from careloop.core.errors import ConflictError, DomainError, ForbiddenError
from careloop.core.models import User
from careloop.demands.models import (
    RATING_DIMENSIONS,
    Channel,
    Demand,
    FollowUpCall,
    FollowUpStatus,
    Rating,
    RatingSource,
)
from careloop.demands.services.common import S, _is_staff, _require_visible


def _clean_stars(values: dict[str, Any]) -> dict[str, int | None]:
    errors: dict[str, list[Any]] = {}
    clean: dict[str, int | None] = {}
    for name, value in values.items():
        if value in (None, ""):
            if name == "overall":
                errors[name] = [_("Give 1 to 5 stars.")]
            clean[name] = None
            continue
        try:
            stars = int(value)
        except (TypeError, ValueError):
            stars = 0
        if not 1 <= stars <= 5:
            errors[name] = [_("Give 1 to 5 stars.")]
        clean[name] = stars
    if errors:
        raise DomainError("demands.invalid_rating", _("Check the rating."), fields=errors)
    return clean


def rate_demand(
    *,
    actor: User,
    demand: Demand,
    overall: int | None,
    comment: str = "",
    source: str | None = None,
    **dimensions: int | None,
) -> Rating:
    """Rate a completed demand: ``overall`` and any of ``RATING_DIMENSIONS`` (1–5)."""
    _require_visible(actor, demand.resident)
    unknown = set(dimensions) - set(RATING_DIMENSIONS)
    if unknown:
        raise DomainError("demands.invalid_rating", _("Check the rating."))
    staff = _is_staff(actor)
    source = source or (RatingSource.PHONE if staff else RatingSource.PORTAL)
    if source not in RatingSource.values or (source != RatingSource.PORTAL and not staff):
        raise ForbiddenError("demands.forbidden", _("Only staff record a rating by phone."))
    stars = _clean_stars({"overall": overall, **{d: dimensions.get(d) for d in RATING_DIMENSIONS}})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise DomainError(
            "demands.invalid_rating",
            _("A comment has at most 500 characters."),
            fields={"comment": [_("A comment has at most 500 characters.")]},
        )
    if demand.status != S.COMPLETED:
        raise ConflictError("demands.not_completed", _("Only a completed service can be rated."))
    existing = Rating.objects.filter(demand=demand).first()
    if existing is not None:
        return _same_or_conflict(existing, stars, comment)
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                demand=demand, comment=comment, source=source, recorded_by=actor,
                created_at=clock.now(), **stars,
            )  # fmt: skip
            audit.record(
                actor=actor, action="careloop.demand.rated", obj=demand,
                detail={"source": source, **stars},
            )  # fmt: skip
    except IntegrityError:
        return _same_or_conflict(Rating.objects.get(demand=demand), stars, comment)
    return rating


def _same_or_conflict(existing: Rating, stars: dict[str, int | None], comment: str) -> Rating:
    same = all(getattr(existing, k) == v for k, v in stars.items()) and existing.comment == comment
    if not same:
        raise ConflictError("demands.already_rated", _("This service has already been rated."))
    return existing


def record_follow_up(
    *,
    actor: User,
    call: FollowUpCall,
    reached: bool,
    problem_solved: bool | None = None,
    new_needs: str = "",
    note: str = "",
    new_services: Iterable[Service] = (),
) -> FollowUpCall:
    """Record the follow-up call. ``reached=False`` marks the resident unreachable. Each of
    ``new_services`` files a new demand on the phone channel (once, however often the form is
    sent). Recording a done call again changes nothing."""
    from careloop.demands.services.filing import file_demand

    demand = call.demand
    _require_visible(actor, demand.resident)
    if not _is_staff(actor):
        raise ForbiddenError("demands.forbidden", _("Only staff record follow-up calls."))
    new_needs, note = (new_needs or "").strip()[:500], (note or "").strip()[:500]
    with transaction.atomic():
        locked = FollowUpCall.objects.select_for_update().get(pk=call.pk)
        if locked.status != FollowUpStatus.DUE:
            return locked
        now = clock.now()
        locked.status = FollowUpStatus.DONE if reached else FollowUpStatus.UNREACHABLE
        locked.problem_solved = problem_solved if reached else None
        locked.new_needs, locked.note = new_needs, note
        locked.done_by, locked.done_at = actor, now
        locked.save()
        filed = []
        if reached:
            for service in new_services:
                filed.append(
                    file_demand(
                        actor=actor, resident=demand.resident, channel=Channel.STAFF_PHONE,
                        service=service, description=new_needs,
                        source_ref=f"follow_up:{demand.public_id}",
                        idempotency_key=f"followup:{locked.pk}:{service.code}"[:64],
                    ).public_id
                )  # fmt: skip
        audit.record(
            actor=actor, action="careloop.demand.followed_up", obj=demand,
            detail={
                "status": locked.status, "problem_solved": locked.problem_solved,
                "new_demands": filed,
            },
        )  # fmt: skip
    return locked
