"""Permission-scoped reads of residents. Every read of a resident by id goes through here."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, crypto
from careloop.core.errors import NotFoundError
from careloop.core.models import User
from careloop.core.roles import CARE_TEAM_ROLES, COMMUNITY_ROLES, Role
from careloop.residents.models import CareTeam, ContractStatus, Resident


def residents_visible_to(user: User) -> QuerySet[Resident]:
    """Residents ``user`` may see: their own record and dependants for a resident, the care
    team's contracted residents for a clinician, the whole community for directors."""
    base = Resident.objects.select_related("community", "household")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base.all()
    scope = Q(pk__in=[])
    if user.has_role(*COMMUNITY_ROLES) and user.community_id:
        scope |= Q(community_id=user.community_id)
    if user.has_role(*CARE_TEAM_ROLES):
        scope |= Q(
            contracts__status=ContractStatus.ACTIVE,
            contracts__team__memberships__user=user,
        )
    if user.has_role(Role.RESIDENT):
        scope |= Q(user=user) | Q(guardian_links__guardian__user=user)
    return base.filter(scope).distinct()


def can_list_residents(user: User) -> bool:
    return user.is_superuser or user.has_role(*CARE_TEAM_ROLES, *COMMUNITY_ROLES)


def search_residents(user: User, query: str) -> QuerySet[Resident]:
    """Name contains ``query``, or the ID number / phone equals it (blind-index lookup)."""
    residents = residents_visible_to(user)
    query = query.strip()
    if not query:
        return residents
    return residents.filter(
        Q(name__icontains=query)
        | Q(id_number_hash=crypto.blind_index(query, purpose="id_number"))
        | Q(phone_hash=crypto.blind_index(query, purpose="phone"))
    )


def get_resident_for(user: User, public_id: str, *, purpose: str = "view") -> Resident:
    """One resident by public id, or NotFoundError when outside ``user``'s scope. A staff
    member's read is written to the audit trail."""
    resident = residents_visible_to(user).filter(public_id=public_id).first()
    if resident is None:
        raise NotFoundError("residents.not_found", _("No such resident."))
    if resident.user_id != user.pk:
        audit.record(
            actor=user, action="careloop.resident.viewed", obj=resident, detail={"purpose": purpose}
        )
    return resident


def teams_of(user: User) -> QuerySet[CareTeam]:
    return CareTeam.objects.filter(memberships__user=user)
