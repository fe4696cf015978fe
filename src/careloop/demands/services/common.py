"""Shared by the demand services: constants, permission helpers, row locking."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import CARE_TEAM_ROLES, COMMUNITY_ROLES
from careloop.demands.models import Channel, Demand, DemandStatus
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to

S = DemandStatus
MAX_KEY_LENGTH = 64
MAX_DESCRIPTION = 500
STAFF_CHANNELS = frozenset(
    {Channel.STAFF_PHONE, Channel.HOME_VISIT, Channel.WALK_IN, Channel.CLINICIAN_PUSH}
)
SYSTEM_CHANNELS = frozenset(
    {Channel.DEVICE_ALERT, Channel.PACKAGE_DUE, Channel.LIFE_EVENT, Channel.PERIODIC_REVIEW}
)
STAFF_ROLES = (*CARE_TEAM_ROLES, *COMMUNITY_ROLES)
# A person filing the same need again this soon (back and submit again, a second call about
# it) gets the demand already open; the system channels have their own idempotency keys.
RECENT_DUPLICATE_WINDOW = timedelta(minutes=10)
PERSON_CHANNELS = frozenset({Channel.RESIDENT_WEB, *STAFF_CHANNELS})


# ---- permissions ----------------------------------------------------------------------------


def _is_staff(actor: User) -> bool:
    return actor.is_superuser or actor.has_role(*STAFF_ROLES)


def _require_visible(actor: User, resident: Resident) -> None:
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise NotFoundError("demands.not_found", _("No such demand."))


def _clean_key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError("demands.invalid_key", _("The request key is longer than 64 characters."))
    return key


def _locked(demand: Demand) -> Demand:
    return (
        Demand.objects.select_for_update(of=("self",))
        .select_related("resident", "service", "booking")
        .get(pk=demand.pk)
    )


def _refresh(target: Demand, source: Demand) -> Demand:
    for field in Demand._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target
