"""Permission-scoped reads of residents. Every read of a resident by id goes through here."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock, crypto
from careloop.core.errors import NotFoundError
from careloop.core.models import User
from careloop.core.roles import CARE_TEAM_ROLES, COMMUNITY_ROLES, Role
from careloop.residents.models import CareContract, CareTeam, ContractStatus, Resident

ELDER_AGE = 60


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


def with_active_contract(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    """Prefetch the contract in force (team and doctor loaded) for ``Resident.active_contract``:
    one query for a whole page of residents."""
    return residents.prefetch_related(
        Prefetch(
            "contracts",
            queryset=CareContract.objects.filter(status=ContractStatus.ACTIVE).select_related(
                "team", "doctor"
            ),
            to_attr="active_contracts",
        )
    )


def contracts_to_renew(user: User, *, within_days: int) -> QuerySet[CareContract]:
    """Contracts in force of residents ``user`` sees that end within ``within_days``."""
    horizon = clock.today() + timedelta(days=within_days)
    return (
        CareContract.objects.filter(
            status=ContractStatus.ACTIVE,
            ends_on__lte=horizon,
            resident__in=residents_visible_to(user),
        )
        .select_related("resident", "team")
        .order_by("ends_on", "id")
    )


def elders_living_alone(user: User) -> QuerySet[Resident]:
    born_by = clock.years_before(clock.today(), ELDER_AGE)
    return with_active_contract(
        residents_visible_to(user).filter(living_alone=True, birth_date__lte=born_by)
    ).order_by("birth_date", "id")


def teams_with_counts(user: User) -> QuerySet[CareTeam]:
    return teams_of(user).annotate(
        contracted=Count("contracts", filter=Q(contracts__status=ContractStatus.ACTIVE))
    )


def community_figures(user: User, *, today: date | None = None) -> dict[str, float]:
    """Counts for the console (no personal data): residents, aged 60+, living alone and
    contracts in force, in the user's community (all communities for a superuser)."""
    today = today or clock.today()
    residents = Resident.objects.all()
    contracts = CareContract.objects.filter(status=ContractStatus.ACTIVE)
    if user.community_id is not None:
        residents = residents.filter(community_id=user.community_id)
        contracts = contracts.filter(resident__community_id=user.community_id)
    elif not user.is_superuser:
        return {"total": 0, "elders": 0, "alone": 0, "contracts": 0,
                "elders_share": 0, "contracts_share": 0}  # fmt: skip
    figures: dict[str, float] = residents.aggregate(
        total=Count("id"),
        elders=Count("id", filter=Q(birth_date__lte=clock.years_before(today, ELDER_AGE))),
        alone=Count("id", filter=Q(living_alone=True)),
    )
    figures["contracts"] = contracts.count()
    total = figures["total"]
    figures["elders_share"] = round(100 * figures["elders"] / total, 1) if total else 0
    figures["contracts_share"] = round(100 * figures["contracts"] / total, 1) if total else 0
    return figures
