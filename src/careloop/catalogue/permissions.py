"""Who may read and change the supply side.

- Reading the catalogue, providers and free slots: any active logged-in user.
- Changing the catalogue (services, packages): superusers and users with an editor role
  (centre director, health manager, system administrator). The catalogue is shared reference
  data, so there is no community check (see the open question on per-community catalogues).
- Changing an organisation and what hangs off it (providers, schedules, leave, slots,
  agreements): superusers, or an editor of the organisation's community.
- Enrolling residents and booking for them: anyone who may see the resident through
  ``residents_visible_to`` (the resident, a guardian, the care team, community staff).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Organisation
from careloop.core.errors import ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to

EDITOR_ROLES = (Role.CENTRE_DIRECTOR, Role.HEALTH_MANAGER, Role.SYSTEM_ADMIN)


def can_read_catalogue(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_edit_catalogue(user: User | None) -> bool:
    if not can_read_catalogue(user):
        return False
    assert user is not None
    return user.is_superuser or user.has_role(*EDITOR_ROLES)


def can_manage_organisation(user: User | None, organisation: Organisation) -> bool:
    if not can_read_catalogue(user):
        return False
    assert user is not None
    if user.is_superuser:
        return True
    return (
        user.has_role(*EDITOR_ROLES)
        and organisation.community_id is not None
        and organisation.community_id == user.community_id
    )


def require_catalogue_editor(user: User | None) -> None:
    if not can_edit_catalogue(user):
        raise ForbiddenError("catalogue.forbidden", _("You may not change the service catalogue."))


def require_organisation_manager(user: User | None, organisation: Organisation) -> None:
    if not can_manage_organisation(user, organisation):
        raise ForbiddenError(
            "catalogue.forbidden", _("You may not change the providers of this organisation.")
        )


def require_resident_in_scope(user: User | None, resident: Resident) -> None:
    """Outside the actor's scope a resident does not exist (404, as everywhere)."""
    if user is None or not residents_visible_to(user).filter(pk=resident.pk).exists():
        raise NotFoundError("residents.not_found", _("No such resident."))
