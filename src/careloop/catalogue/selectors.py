"""Reads of the supply side. The catalogue, providers and free slots are readable by any
logged-in user; bookings are scoped to whoever may see the resident (or run the slot)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.due import DueService, due_services
from careloop.catalogue.eligibility import ResidentFacts, is_eligible
from careloop.catalogue.facts import TagProvider, resident_facts
from careloop.catalogue.models import (
    Booking,
    Enrolment,
    EnrolmentStatus,
    Organisation,
    Package,
    PackageItem,
    Provider,
    ReferralAgreement,
    Service,
    Slot,
    SlotStatus,
    SpecialistSession,
)
from careloop.catalogue.permissions import can_manage_organisation, can_read_catalogue
from careloop.core import clock
from careloop.core.errors import NotFoundError
from careloop.core.models import User
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to

__all__ = [
    "DayLoad", "DueService", "ProviderWeek", "agreements_visible_to", "bookings_visible_to",
    "browse_packages", "browse_services", "due_services", "free_slots", "get_service",
    "organisations_visible_to", "packages_for_resident", "provider_week",
    "providers_for_service", "providers_visible_to", "resident_facts", "services_for_resident",
    "specialist_sessions_visible_to",
]  # fmt: skip


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _service_base() -> QuerySet[Service]:
    return Service.objects.prefetch_related("delivery_modes", "required_tags", "required_skills")


def browse_services(
    user: User | None,
    *,
    tier: str = "",
    category: str = "",
    mode: str = "",
    package: Package | str | None = None,
    group: str = "",
    q: str = "",
    include_inactive: bool = False,
) -> QuerySet[Service]:
    """Catalogue browse/search: filters combine with AND; ``package`` is a Package or its
    code; ``group`` a LifeGroup (services of that group's packages); ``q`` matches code,
    Chinese or English name. Inactive services only on request (editors' pages)."""
    if not can_read_catalogue(user):
        return Service.objects.none()
    services = _service_base()
    if not include_inactive:
        services = services.filter(active=True)
    if tier:
        services = services.filter(tier=tier)
    if category:
        services = services.filter(category=category)
    if mode:
        services = services.filter(delivery_modes__mode=mode)
    if package is not None:
        code = package if isinstance(package, str) else package.code
        services = services.filter(package_items__package__code=code)
    if group:
        services = services.filter(package_items__package__group=group)
    query = q.strip()
    if query:
        services = services.filter(
            Q(code__icontains=query) | Q(name_zh__icontains=query) | Q(name_en__icontains=query)
        )
    return services.distinct()


def get_service(user: User | None, code: str) -> Service:
    service = browse_services(user, include_inactive=True).filter(code=code).first()
    if service is None:
        raise NotFoundError("catalogue.service_not_found", _("No such service."))
    return service


def browse_packages(
    user: User | None, *, group: str = "", include_inactive: bool = False
) -> QuerySet[Package]:
    if not can_read_catalogue(user):
        return Package.objects.none()
    packages = Package.objects.all() if include_inactive else Package.objects.filter(active=True)
    packages = packages.prefetch_related(
        "required_tags",
        Prefetch(
            "items",
            queryset=PackageItem.objects.select_related("service").prefetch_related(
                "service__delivery_modes"
            ),
        ),
    )
    return packages.filter(group=group) if group else packages


def services_for_resident(
    resident: Resident,
    *,
    on: date | None = None,
    tag_providers: Iterable[TagProvider] | None = None,
) -> list[Service]:
    """Active services ``resident`` is eligible for ("services for me"), in catalogue order.
    The caller scopes ``resident`` first (``residents_visible_to`` / ``get_resident_for``)."""
    facts = resident_facts(resident, on=on, tag_providers=tag_providers)
    return [s for s in _service_base().filter(active=True) if is_eligible(s, facts)]


def packages_for_resident(
    resident: Resident, *, facts: ResidentFacts | None = None
) -> list[tuple[Package, Enrolment | None]]:
    """Packages the resident is enrolled in or eligible for, with the active enrolment."""
    facts = facts or resident_facts(resident)
    active = {
        e.package_id: e
        for e in Enrolment.objects.filter(resident=resident, status=EnrolmentStatus.ACTIVE)
    }
    packages = Package.objects.filter(active=True).prefetch_related("required_tags")
    return [(p, active.get(p.pk)) for p in packages if p.pk in active or is_eligible(p, facts)]


def providers_visible_to(user: User | None) -> QuerySet[Provider]:
    if not can_read_catalogue(user):
        return Provider.objects.none()
    return Provider.objects.select_related("organisation").prefetch_related(
        "skills", "languages", "services"
    )


def organisations_visible_to(user: User | None) -> QuerySet[Organisation]:
    if not can_read_catalogue(user):
        return Organisation.objects.none()
    return Organisation.objects.select_related("community")


AGREEMENT_STATES = ("active", "upcoming", "ended")
SESSION_STATES = ("active", "upcoming", "ended", "cancelled")


def agreements_visible_to(
    user: User | None, *, state: str = "", partner: str = "", kind: str = "", q: str = ""
) -> QuerySet[ReferralAgreement]:
    """Referral agreements of the provider network (readable like organisations), by
    ``state`` on today (active, upcoming, ended), ``partner`` (an organisation code, on
    either side), ``kind`` and ``q`` (part of either organisation's code or name)."""
    if not can_read_catalogue(user):
        return ReferralAgreement.objects.none()
    rows = ReferralAgreement.objects.select_related(
        "organisation", "organisation__community", "partner"
    ).order_by("-valid_from", "id")
    today = clock.today()
    if state == "active":
        rows = rows.filter(valid_from__lte=today).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
    elif state == "upcoming":
        rows = rows.filter(valid_from__gt=today)
    elif state == "ended":
        rows = rows.filter(valid_to__lt=today)
    if partner:
        rows = rows.filter(Q(partner__code=partner) | Q(organisation__code=partner))
    if kind:
        rows = rows.filter(kind=kind)
    query = q.strip()
    if query:
        rows = rows.filter(
            Q(partner__code__icontains=query)
            | Q(partner__name_zh__icontains=query)
            | Q(partner__name_en__icontains=query)
            | Q(organisation__code__icontains=query)
            | Q(organisation__name_zh__icontains=query)
            | Q(note__icontains=query)
        )
    return rows


def specialist_sessions_visible_to(
    user: User | None, *, state: str = "", host: str = "", provider: str = "", q: str = ""
) -> QuerySet[SpecialistSession]:
    """Visiting specialists' sessions (readable like providers), by ``state`` on today
    (active, upcoming, ended, cancelled), ``host`` (organisation code), ``provider`` (id)
    and ``q`` (part of the specialty or the specialist's name)."""
    if not can_read_catalogue(user):
        return SpecialistSession.objects.none()
    rows = SpecialistSession.objects.select_related(
        "host", "host__community", "provider", "provider__organisation", "schedule"
    ).order_by("schedule__weekday", "schedule__start_time", "id")
    today = clock.today()
    live = Q(schedule__active=True)
    if state == "active":
        rows = rows.filter(live, schedule__valid_from__lte=today).filter(
            Q(schedule__valid_to__isnull=True) | Q(schedule__valid_to__gte=today)
        )
    elif state == "upcoming":
        rows = rows.filter(live, schedule__valid_from__gt=today)
    elif state == "ended":
        rows = rows.filter(live, schedule__valid_to__lt=today)
    elif state == "cancelled":
        rows = rows.filter(schedule__active=False)
    if host:
        rows = rows.filter(host__code=host)
    if provider:
        rows = rows.filter(provider__public_id=provider)
    query = q.strip()
    if query:
        rows = rows.filter(
            Q(specialty_zh__icontains=query)
            | Q(specialty_en__icontains=query)
            | Q(provider__name__icontains=query)
        )
    return rows


def providers_for_service(
    user: User | None, service: Service, *, mode: str = "", sex: str = "", language: str = ""
) -> QuerySet[Provider]:
    """Active providers who offer ``service`` and hold at least one of its required skills
    (any skill when none is required), optionally by slot mode, sex and language code."""
    providers = providers_visible_to(user).filter(
        active=True, organisation__active=True, services=service
    )
    skills = list(service.required_skills.all())
    if skills:
        providers = providers.filter(skills__in=skills)
    if mode:
        providers = providers.filter(schedules__mode=mode, schedules__active=True)
    if sex:
        providers = providers.filter(sex=sex)
    if language:
        providers = providers.filter(languages__code=language)
    return providers.distinct()


def free_slots(
    user: User | None,
    *,
    start: date,
    end: date,
    service: Service | None = None,
    mode: str = "",
    provider: Provider | None = None,
    organisation: Organisation | None = None,
) -> QuerySet[Slot]:
    """Open slots with a place left, starting on ``start``..``end`` (local dates, both
    inclusive) and not in the past, by service, mode, provider and site."""
    if not can_read_catalogue(user):
        return Slot.objects.none()
    tz = _tz()
    low = max(datetime.combine(start, time.min, tzinfo=tz), clock.now())
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    slots = Slot.objects.filter(
        status=SlotStatus.OPEN,
        booked_count__lt=F("capacity"),
        start__gte=low,
        start__lt=high,
        provider__active=True,
    )
    if service is not None:
        slots = slots.filter(services=service)
    if mode:
        slots = slots.filter(mode=mode)
    if provider is not None:
        slots = slots.filter(provider=provider)
    if organisation is not None:
        slots = slots.filter(organisation=organisation)
    return (
        slots.select_related("provider", "organisation")
        .prefetch_related("services")
        .order_by("start", "provider_id")
        .distinct()
    )


@dataclass
class DayLoad:
    day: date
    slots: list[Slot] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.slots if s.status == SlotStatus.OPEN)

    @property
    def booked(self) -> int:
        return sum(s.booked_count for s in self.slots)

    @property
    def load(self) -> float:
        """Booked share of open places, 0–1 (0 when nothing is open)."""
        return self.booked / self.capacity if self.capacity else 0.0


@dataclass
class ProviderWeek:
    provider: Provider
    days: list[DayLoad]

    @property
    def booked(self) -> int:
        return sum(d.booked for d in self.days)

    @property
    def capacity(self) -> int:
        return sum(d.capacity for d in self.days)


def provider_week(user: User | None, provider: Provider, week_start: date) -> ProviderWeek:
    """Seven days from ``week_start`` (any weekday; pages pass a Monday): every slot of the
    provider (open and closed) per local day, with capacity and booked counts. Two queries."""
    if not can_read_catalogue(user):
        raise NotFoundError("catalogue.provider_not_found", _("No such provider."))
    tz = _tz()
    low = datetime.combine(week_start, time.min, tzinfo=tz)
    high = low + timedelta(days=7)
    days = [DayLoad(week_start + timedelta(days=i)) for i in range(7)]
    slots = (
        Slot.objects.filter(provider=provider, start__gte=low, start__lt=high)
        .prefetch_related("services")
        .order_by("start")
    )
    for slot in slots:
        days[(slot.start.astimezone(tz).date() - week_start).days].slots.append(slot)
    return ProviderWeek(provider=provider, days=days)


def bookings_visible_to(user: User | None) -> QuerySet[Booking]:
    """Bookings of residents ``user`` may see, bookings on the user's own slots (a provider
    with a login), and bookings at organisations the user manages."""
    base = Booking.objects.select_related("slot", "slot__provider", "resident", "service")
    if user is None or not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base.all()
    scope = Q(resident__in=residents_visible_to(user).values("pk")) | Q(slot__provider__user=user)
    managed = (
        [
            o.pk
            for o in Organisation.objects.filter(community_id=user.community_id)
            if can_manage_organisation(user, o)
        ]
        if user.community_id
        else []
    )
    if managed:
        scope |= Q(slot__organisation_id__in=managed)
    return base.filter(scope)
