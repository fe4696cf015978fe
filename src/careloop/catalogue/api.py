"""Catalogue API: services (with ``eligible`` for the caller), packages, enrolments and due
services, organisations, providers, weekly schedules, free slots and bookings, referral
agreements and visiting specialists' sessions.

Reading the catalogue, providers and free slots needs only a login; writes go through
``catalogue.services`` (which check permissions: 403 for the wrong role, 404 for a resident
outside the caller's scope) and answer field errors with 400.
"""

# No "from __future__ import annotations": ninja resolves the query parameters of the
# paginated operations through the pagination wrapper, which cannot see this module's names.
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate
from ninja.params.functions import Header  # the typed form of ninja.Header(...) as a default
from ninja.responses import Status

from careloop.catalogue import selectors, services
from careloop.catalogue.facts import resident_facts
from careloop.catalogue.models import (
    Booking,
    Organisation,
    Package,
    Provider,
    ReferralAgreement,
    Service,
    Slot,
    SpecialistSession,
    WeeklySchedule,
)
from careloop.catalogue.permissions import can_read_catalogue
from careloop.catalogue.schemas import (
    BookingIn,
    BookingOut,
    CancelSessionOut,
    DueServiceOut,
    EndAgreementIn,
    EnrolmentIn,
    EnrolmentOut,
    GenerateSlotsIn,
    GenerateSlotsOut,
    OrganisationIn,
    OrganisationOut,
    PackageOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
    ReferralAgreementIn,
    ReferralAgreementOut,
    ReferralAgreementPatch,
    ScheduleIn,
    ScheduleOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    SlotOut,
    SpecialistSessionIn,
    SpecialistSessionOut,
    SpecialistSessionPatch,
)
from careloop.core import clock
from careloop.core.api import current_user
from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import Community, User
from careloop.core.roles import Role
from careloop.core.schemas import ErrorOut, IsoDate
from careloop.residents.models import Resident
from careloop.residents.selectors import get_resident_for

MAX_PAGE_SIZE = 100
DEFAULT_SLOT_DAYS = 14
MAX_SLOT_DAYS = 92

router = Router(tags=["catalogue"])


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(
        "catalogue.invalid", _("Please correct the marked fields."), fields={field: [message]}
    )


def _set_facts_for(request: HttpRequest, resident_id: str) -> None:
    """Put the facts ``eligible`` is computed against on the request: the named resident
    (scoped, 404 outside the caller's scope), else a resident user's own record, else none
    (staff see ``eligible: null``)."""
    user = current_user(request)
    resident: Resident | None = None
    if resident_id:
        resident = get_resident_for(user, resident_id, purpose="catalogue.eligibility")
    elif user.has_role(Role.RESIDENT):
        resident = getattr(user, "resident", None)
    if resident is not None:
        request.catalogue_facts = resident_facts(resident)  # type: ignore[attr-defined]


# ---- services ---------------------------------------------------------------------------------


@router.get("/services", response={200: list[ServiceOut], 404: ErrorOut})
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_services(
    request: HttpRequest,
    tier: str = "",
    category: str = "",
    mode: str = "",
    package: str = "",
    group: str = "",
    q: str = "",
    resident: str = "",
) -> QuerySet[Service]:
    """Active services of the catalogue. Filters combine: ``tier``, ``category``, ``mode``
    (home, clinic, online, group), ``package`` (a package code), ``group`` (elderly, child,
    working, special) and ``q`` (part of the code or a name). ``eligible`` is for the caller's
    own record; staff may name a resident with ``resident`` (their id)."""
    _set_facts_for(request, resident)
    return selectors.browse_services(
        current_user(request),
        tier=tier,
        category=category,
        mode=mode,
        package=package or None,
        group=group,
        q=q,
    )


@router.get("/services/{code}", response={200: ServiceOut, 404: ErrorOut})
def get_service(request: HttpRequest, code: str, resident: str = "") -> Service:
    """One service by code (inactive services too)."""
    _set_facts_for(request, resident)
    return selectors.get_service(current_user(request), code)


@router.post("/services", response={201: ServiceOut, 400: ErrorOut, 403: ErrorOut})
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[Service]:
    """Add a local service (catalogue editors: centre directors, health managers, system
    administrators)."""
    data = payload.dict()
    service = services.create_service(actor=current_user(request), **data)
    return Status(201, selectors.get_service(current_user(request), service.code))


@router.patch(
    "/services/{code}", response={200: ServiceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def update_service(request: HttpRequest, code: str, payload: ServicePatch) -> Service:
    """Change the fields sent (catalogue editors)."""
    user = current_user(request)
    service = selectors.get_service(user, code)
    services.update_service(actor=user, service=service, changes=payload.dict(exclude_unset=True))
    return selectors.get_service(user, code)


# ---- packages, enrolments, due services -------------------------------------------------------


@router.get("/packages", response={200: list[PackageOut], 404: ErrorOut})
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_packages(request: HttpRequest, group: str = "", resident: str = "") -> QuerySet[Package]:
    """Life-cycle packages with their items, optionally of one ``group``."""
    _set_facts_for(request, resident)
    return selectors.browse_packages(current_user(request), group=group)


def _package(user: User, code: str) -> Package:
    package = selectors.browse_packages(user).filter(code=code).first()
    if package is None:
        raise NotFoundError("catalogue.package_not_found", _("No such package."))
    return package


@router.get("/packages/{code}", response={200: PackageOut, 404: ErrorOut})
def get_package(request: HttpRequest, code: str, resident: str = "") -> Package:
    _set_facts_for(request, resident)
    return _package(current_user(request), code)


@router.post(
    "/residents/{resident_id}/enrolments",
    response={201: EnrolmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def enrol_resident(request: HttpRequest, resident_id: str, payload: EnrolmentIn) -> Status[Any]:
    """Enrol a resident in a package (care team or community staff)."""
    user = current_user(request)
    resident = get_resident_for(user, resident_id, purpose="catalogue.enrol")
    package = selectors.browse_packages(user).filter(code=payload.package).first()
    if package is None:
        raise _invalid("package", _("No package has this code."))
    enrolment = services.enrol_resident(
        actor=user, resident=resident, package=package, enrolled_on=payload.enrolled_on
    )
    return Status(201, enrolment)


@router.get(
    "/residents/{resident_id}/due-services", response={200: list[DueServiceOut], 404: ErrorOut}
)
def due_services(request: HttpRequest, resident_id: str, horizon_days: int = 0) -> list[Any]:
    """Services the resident is due for through their packages: overdue and due today, plus
    ``horizon_days`` (0–366) ahead."""
    if not 0 <= horizon_days <= 366:
        raise _invalid("horizon_days", _("Enter a number of days between 0 and 366."))
    resident = get_resident_for(current_user(request), resident_id, purpose="catalogue.due")
    today = clock.today()
    return [
        {
            "service": due.service.code,
            "service_name": due.service.name,
            "due_date": due.due_date,
            "overdue": due.is_overdue(today),
            "package": due.enrolment.package.code,
            "enrolment": due.enrolment.public_id,
        }
        for due in selectors.due_services(resident, on=today, horizon_days=horizon_days)
    ]


# ---- organisations ----------------------------------------------------------------------------


@router.get("/organisations", response=list[OrganisationOut])
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_organisations(request: HttpRequest, kind: str = "", q: str = "") -> QuerySet[Organisation]:
    """Organisations of the provider network, by ``kind`` and ``q`` (code or name)."""
    organisations = selectors.organisations_visible_to(current_user(request))
    if kind:
        organisations = organisations.filter(kind=kind)
    if q.strip():
        query = q.strip()
        organisations = organisations.filter(
            Q(code__icontains=query) | Q(name_zh__icontains=query) | Q(name_en__icontains=query)
        )
    return organisations


@router.get("/organisations/{code}", response={200: OrganisationOut, 404: ErrorOut})
def get_organisation(request: HttpRequest, code: str) -> Organisation:
    return _organisation(current_user(request), code)


def _organisation(user: User, code: str) -> Organisation:
    organisation = selectors.organisations_visible_to(user).filter(code=code).first()
    if organisation is None:
        raise NotFoundError("catalogue.organisation_not_found", _("No such organisation."))
    return organisation


@router.post(
    "/organisations", response={201: OrganisationOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut}
)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    """Add an organisation managed by a community's staff (default: the caller's)."""
    user = current_user(request)
    data: dict[str, Any] = payload.dict()
    code = data.pop("community")
    community: Community | None = user.community if code is None else None
    if code is not None:
        community = Community.objects.filter(code=code).first()
        if community is None:
            raise _invalid("community", _("No community has this code."))
    organisation = services.create_organisation(actor=user, community=community, **data)
    return Status(201, _organisation(user, organisation.code))


# ---- providers and their schedules ------------------------------------------------------------


@router.get("/providers", response=list[ProviderOut])
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_providers(
    request: HttpRequest,
    organisation: str = "",
    kind: str = "",
    service: str = "",
    skill: str = "",
    q: str = "",
    include_inactive: bool = False,
) -> QuerySet[Provider]:
    """People of the provider network, by ``organisation`` code, ``kind``, ``service`` code,
    ``skill`` code and ``q`` (part of the name). Active ones unless ``include_inactive``."""
    providers = selectors.providers_visible_to(current_user(request))
    if not include_inactive:
        providers = providers.filter(active=True)
    if organisation:
        providers = providers.filter(organisation__code=organisation)
    if kind:
        providers = providers.filter(kind=kind)
    if service:
        providers = providers.filter(services__code=service)
    if skill:
        providers = providers.filter(skills__code=skill)
    if q.strip():
        providers = providers.filter(name__icontains=q.strip())
    return providers.distinct()


def _provider(user: User, public_id: str) -> Provider:
    provider = selectors.providers_visible_to(user).filter(public_id=public_id).first()
    if provider is None:
        raise NotFoundError("catalogue.provider_not_found", _("No such provider."))
    return provider


@router.get("/providers/{provider_id}", response={200: ProviderOut, 404: ErrorOut})
def get_provider(request: HttpRequest, provider_id: str) -> Provider:
    return _provider(current_user(request), provider_id)


@router.post("/providers", response={201: ProviderOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut})
def create_provider(request: HttpRequest, payload: ProviderIn) -> Status[Provider]:
    """Add a person to an organisation (its community's editors)."""
    user = current_user(request)
    data: dict[str, Any] = payload.dict()
    organisation = selectors.organisations_visible_to(user).filter(code=data.pop("organisation"))
    found = organisation.first()
    if found is None:
        raise _invalid("organisation", _("No organisation has this code."))
    provider = services.create_provider(actor=user, organisation=found, **data)
    return Status(201, _provider(user, provider.public_id))


@router.patch(
    "/providers/{provider_id}",
    response={200: ProviderOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def update_provider(request: HttpRequest, provider_id: str, payload: ProviderPatch) -> Provider:
    """Change the fields sent (editors of the provider's organisation)."""
    user = current_user(request)
    provider = _provider(user, provider_id)
    services.update_provider(
        actor=user, provider=provider, changes=payload.dict(exclude_unset=True)
    )
    return _provider(user, provider_id)


def _schedules() -> QuerySet[WeeklySchedule]:
    return WeeklySchedule.objects.select_related("provider", "organisation").prefetch_related(
        "services"
    )


@router.get("/providers/{provider_id}/schedules", response={200: list[ScheduleOut], 404: ErrorOut})
def list_schedules(request: HttpRequest, provider_id: str) -> QuerySet[WeeklySchedule]:
    """The provider's active weekly schedules."""
    provider = _provider(current_user(request), provider_id)
    return _schedules().filter(provider=provider, active=True)


@router.post(
    "/providers/{provider_id}/schedules",
    response={201: ScheduleOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def create_schedule(
    request: HttpRequest, provider_id: str, payload: ScheduleIn
) -> Status[WeeklySchedule]:
    """Add a recurring weekly session (editors of the provider's organisation or the site)."""
    user = current_user(request)
    provider = _provider(user, provider_id)
    data: dict[str, Any] = payload.dict()
    site_code = data.pop("organisation")
    site = None
    if site_code is not None:
        site = selectors.organisations_visible_to(user).filter(code=site_code).first()
        if site is None:
            raise _invalid("organisation", _("No organisation has this code."))
    codes = set(data.pop("services"))
    offered = list(Service.objects.filter(code__in=codes))
    if len(offered) != len(codes):
        raise _invalid("services", _("Unknown code in the list."))
    schedule = services.create_weekly_schedule(
        actor=user, provider=provider, organisation=site, services=offered, **data
    )
    return Status(201, _schedules().get(pk=schedule.pk))


@router.post(
    "/providers/{provider_id}/generate-slots",
    response={200: GenerateSlotsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def generate_slots(
    request: HttpRequest, provider_id: str, payload: GenerateSlotsIn
) -> dict[str, int]:
    """Create the provider's slots for ``days`` days from ``start`` (idempotent)."""
    user = current_user(request)
    provider = _provider(user, provider_id)
    result = services.generate_slots(
        actor=user, provider=provider, start=payload.start, days=payload.days
    )
    return {"created": result.created, "existing": result.existing}


# ---- slots and bookings -----------------------------------------------------------------------


@router.get("/slots", response={200: list[SlotOut], 400: ErrorOut, 404: ErrorOut})
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_free_slots(
    request: HttpRequest,
    service: str = "",
    mode: str = "",
    provider: str = "",
    organisation: str = "",
    start: IsoDate | None = None,
    end: IsoDate | None = None,
) -> QuerySet[Slot]:
    """Slots with a place left, from ``start`` (default today) to ``end`` (both inclusive,
    default two weeks; at most 92 days), by ``service`` code, ``mode``, ``provider`` id and
    ``organisation`` (site) code."""
    user = current_user(request)
    first = start or clock.today()
    last = end or first + timedelta(days=DEFAULT_SLOT_DAYS - 1)
    if last < first:
        raise _invalid("end", _("The end date must not be before the start date."))
    if (last - first).days >= MAX_SLOT_DAYS:
        raise _invalid("end", _("Ask for at most 92 days at a time."))
    return selectors.free_slots(
        user,
        start=first,
        end=last,
        service=selectors.get_service(user, service) if service else None,
        mode=mode,
        provider=_provider(user, provider) if provider else None,
        organisation=_organisation(user, organisation) if organisation else None,
    )


def _slot(user: User, public_id: str) -> Slot:
    """Any slot by id (full, closed or past too: booking it then says why it cannot)."""
    slot = (
        Slot.objects.select_related("provider", "organisation").filter(public_id=public_id).first()
        if can_read_catalogue(user)
        else None
    )
    if slot is None:
        raise NotFoundError("catalogue.slot_not_found", _("No such slot."))
    return slot


def _booking(user: User, public_id: str) -> Booking:
    booking = selectors.bookings_visible_to(user).filter(public_id=public_id).first()
    if booking is None:
        raise NotFoundError("catalogue.booking_not_found", _("No such booking."))
    return booking


@router.post(
    "/slots/{slot_id}/bookings",
    response={200: BookingOut, 201: BookingOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def book_slot(
    request: HttpRequest,
    slot_id: str,
    payload: BookingIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Status[Booking]:
    """Book a place for a resident the caller may see. Send an ``Idempotency-Key`` header
    (at most 64 characters): a retry with the same key answers 200 with the same booking. A
    full slot is 409 ``catalogue.slot_full``."""
    user = current_user(request)
    slot = _slot(user, slot_id)
    resident = get_resident_for(user, payload.resident, purpose="catalogue.book")
    service = None
    if payload.service:
        service = Service.objects.filter(code=payload.service, active=True).first()
        if service is None:
            raise _invalid("service", _("No service has this code."))
    key = idempotency_key.strip()
    replay = bool(key) and Booking.objects.filter(booked_by=user, idempotency_key=key).exists()
    booking = services.book_slot(
        actor=user, slot=slot, resident=resident, service=service, idempotency_key=key
    )
    return Status(200 if replay else 201, _booking(user, booking.public_id))


@router.get("/bookings/{booking_id}", response={200: BookingOut, 404: ErrorOut})
def get_booking(request: HttpRequest, booking_id: str) -> Booking:
    return _booking(current_user(request), booking_id)


@router.delete("/bookings/{booking_id}", response={200: BookingOut, 404: ErrorOut, 409: ErrorOut})
def cancel_booking(request: HttpRequest, booking_id: str, reason: str = "") -> Booking:
    """Cancel a booking before its slot starts; the place is free again."""
    user = current_user(request)
    booking = _booking(user, booking_id)
    services.cancel_booking(actor=user, booking=booking, reason=reason)
    return _booking(user, booking_id)


# ---- the medical alliance: referral agreements and visiting specialists -----------------------


def _check_state(state: str, allowed: tuple[str, ...]) -> None:
    if state and state not in allowed:
        raise _invalid("state", _("Choose a value from the list."))


def _agreement(user: User, public_id: str) -> ReferralAgreement:
    agreement = selectors.agreements_visible_to(user).filter(public_id=public_id).first()
    if agreement is None:
        raise NotFoundError("catalogue.agreement_not_found", _("No such referral agreement."))
    return agreement


def _organisation_field(user: User, code: str, field: str) -> Organisation:
    organisation = selectors.organisations_visible_to(user).filter(code=code).first()
    if organisation is None:
        raise _invalid(field, _("No organisation has this code."))
    return organisation


@router.get("/referral-agreements", response={200: list[ReferralAgreementOut], 400: ErrorOut})
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_referral_agreements(
    request: HttpRequest, state: str = "", partner: str = "", kind: str = "", q: str = ""
) -> QuerySet[ReferralAgreement]:
    """Referral agreements (双向转诊, 医联体) by ``state`` today (active, upcoming, ended),
    ``partner`` (an organisation code, either side), ``kind`` and ``q`` (code or name of
    either organisation, or the note). Newest first."""
    _check_state(state, selectors.AGREEMENT_STATES)
    return selectors.agreements_visible_to(
        current_user(request), state=state, partner=partner, kind=kind, q=q
    )


@router.get(
    "/referral-agreements/{agreement_id}", response={200: ReferralAgreementOut, 404: ErrorOut}
)
def get_referral_agreement(request: HttpRequest, agreement_id: str) -> ReferralAgreement:
    return _agreement(current_user(request), agreement_id)


@router.post(
    "/referral-agreements",
    response={201: ReferralAgreementOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
)
def create_referral_agreement(
    request: HttpRequest, payload: ReferralAgreementIn
) -> Status[ReferralAgreement]:
    """Sign an agreement between an organisation the caller manages and a partner. One of
    the same kind between the same two organisations that overlaps in time is 409
    ``catalogue.agreement_overlaps``."""
    user = current_user(request)
    data: dict[str, Any] = payload.dict()
    organisation = _organisation_field(user, data.pop("organisation"), "organisation")
    partner = _organisation_field(user, data.pop("partner"), "partner")
    agreement = services.create_referral_agreement(
        actor=user, organisation=organisation, partner=partner, **data
    )
    return Status(201, _agreement(user, agreement.public_id))


@router.patch(
    "/referral-agreements/{agreement_id}",
    response={
        200: ReferralAgreementOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut
    },
)  # fmt: skip
def update_referral_agreement(
    request: HttpRequest, agreement_id: str, payload: ReferralAgreementPatch
) -> ReferralAgreement:
    """Change the fields sent (editors of the signing organisation)."""
    user = current_user(request)
    agreement = _agreement(user, agreement_id)
    changes: dict[str, Any] = payload.dict(exclude_unset=True)
    if "partner" in changes:
        changes["partner"] = _organisation_field(user, changes["partner"], "partner")
    services.update_referral_agreement(actor=user, agreement=agreement, changes=changes)
    return _agreement(user, agreement_id)


@router.post(
    "/referral-agreements/{agreement_id}/end",
    response={
        200: ReferralAgreementOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut
    },
)  # fmt: skip
def end_referral_agreement(
    request: HttpRequest, agreement_id: str, payload: EndAgreementIn
) -> ReferralAgreement:
    """End the agreement after ``last_day`` (default today); 409 if it already ends then."""
    user = current_user(request)
    agreement = _agreement(user, agreement_id)
    services.end_referral_agreement(actor=user, agreement=agreement, last_day=payload.last_day)
    return _agreement(user, agreement_id)


def _session(user: User, public_id: str) -> SpecialistSession:
    session = selectors.specialist_sessions_visible_to(user).filter(public_id=public_id).first()
    if session is None:
        raise NotFoundError("catalogue.session_not_found", _("No such specialist session."))
    return session


@router.get("/specialist-sessions", response={200: list[SpecialistSessionOut], 400: ErrorOut})
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_specialist_sessions(
    request: HttpRequest, state: str = "", host: str = "", provider: str = "", q: str = ""
) -> QuerySet[SpecialistSession]:
    """Visiting specialists' weekly sessions (专家坐诊) by ``state`` today (active, upcoming,
    ended, cancelled), ``host`` (organisation code), ``provider`` (id) and ``q`` (specialty
    or the specialist's name)."""
    _check_state(state, selectors.SESSION_STATES)
    return selectors.specialist_sessions_visible_to(
        current_user(request), state=state, host=host, provider=provider, q=q
    )


@router.get(
    "/specialist-sessions/{session_id}", response={200: SpecialistSessionOut, 404: ErrorOut}
)
def get_specialist_session(request: HttpRequest, session_id: str) -> SpecialistSession:
    return _session(current_user(request), session_id)


@router.post(
    "/specialist-sessions", response={201: SpecialistSessionOut, 400: ErrorOut, 403: ErrorOut}
)
def create_specialist_session(
    request: HttpRequest, payload: SpecialistSessionIn
) -> Status[SpecialistSession]:
    """Add a visiting specialist's weekly session at a host the caller manages. A session
    overlapping another of the same specialist is refused (400)."""
    user = current_user(request)
    data: dict[str, Any] = payload.dict()
    host = _organisation_field(user, data.pop("host"), "host")
    provider = selectors.providers_visible_to(user).filter(public_id=data.pop("provider")).first()
    if provider is None:
        raise _invalid("provider", _("No provider has this id."))
    codes = set(data.pop("services"))
    offered = list(Service.objects.filter(code__in=codes))
    if len(offered) != len(codes):
        raise _invalid("services", _("Unknown code in the list."))
    session = services.create_specialist_session(
        actor=user, host=host, provider=provider, services=offered, **data
    )
    return Status(201, _session(user, session.public_id))


@router.patch(
    "/specialist-sessions/{session_id}",
    response={
        200: SpecialistSessionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut
    },
)  # fmt: skip
def update_specialist_session(
    request: HttpRequest, session_id: str, payload: SpecialistSessionPatch
) -> SpecialistSession:
    """Change the fields sent (editors of the host). Later free slots are dropped so the
    next generation follows the new timing; stranding a booked slot is 409
    ``catalogue.session_booked``; a cancelled session is 409 ``catalogue.session_cancelled``."""
    user = current_user(request)
    session = _session(user, session_id)
    services.update_specialist_session(
        actor=user, session=session, changes=payload.dict(exclude_unset=True)
    )
    return _session(user, session_id)


@router.post(
    "/specialist-sessions/{session_id}/cancel",
    response={200: CancelSessionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def cancel_specialist_session(request: HttpRequest, session_id: str) -> dict[str, Any]:
    """Cancel the session: its schedule stops, later free slots close; ``booked_slots_left``
    counts later slots that still hold bookings (to rebook). Twice is 409."""
    user = current_user(request)
    session = _session(user, session_id)
    left = services.cancel_specialist_session(actor=user, session=session)
    return {"session": _session(user, session_id), "booked_slots_left": left}
