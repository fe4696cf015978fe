"""API schemas for the catalogue: services, packages, enrolments, organisations, providers,
weekly schedules, slots and bookings. Output carries codes and public ids, never a database
key. Choice fields are plain strings here: the services check them and answer with
translated field errors."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.utils.translation import get_language
from ninja import Schema
from pydantic import ConfigDict, Field

from careloop.catalogue.eligibility import ResidentFacts, is_eligible
from careloop.catalogue.models import (
    Booking,
    Enrolment,
    Organisation,
    Package,
    PackageItem,
    Provider,
    ReferralAgreement,
    Service,
    Slot,
    SpecialistSession,
    WeeklySchedule,
)
from careloop.core import clock
from careloop.core.schemas import IsoDate

# ---- eligibility for the caller -------------------------------------------------------------
# The operation stores the facts it checks against on the request (``request.catalogue_facts``)
# and the output schemas read them through the serialisation context: one facts object for
# the whole page, no query per row.


def _facts(context: Any) -> ResidentFacts | None:
    request = (context or {}).get("request")
    return getattr(request, "catalogue_facts", None)


def _eligible(obj: Service | Package, context: Any) -> bool | None:
    facts = _facts(context)
    return None if facts is None else is_eligible(obj, facts)


# ---- services ---------------------------------------------------------------------------------


class ServiceOut(Schema):
    code: str
    name: str = Field(description="in the active language")
    name_zh: str
    name_en: str
    description: str
    tier: str = Field(description="basic, maintenance or development")
    category: str
    modes: list[str] = Field(description="home, clinic, online, group")
    duration_minutes: int
    price_fen: int
    insurance_covered_fen: int
    resident_pays_fen: int
    is_public_health_basic: bool
    min_age: int | None
    max_age: int | None
    sex: str = Field(description='"M", "F" or "" (any)')
    required_tags: list[str]
    required_skills: list[str]
    active: bool
    eligible: bool | None = Field(
        description="For a resident: whether their own record qualifies. For staff: null "
        "unless ?resident=<id> names a resident they may see."
    )

    @staticmethod
    def resolve_required_tags(obj: Service) -> list[str]:
        return sorted(tag.code for tag in obj.required_tags.all())

    @staticmethod
    def resolve_required_skills(obj: Service) -> list[str]:
        return sorted(skill.code for skill in obj.required_skills.all())

    @staticmethod
    def resolve_eligible(obj: Service, context: Any) -> bool | None:
        return _eligible(obj, context)


class ServiceIn(Schema):
    """A new local service. Skills and tags are lists of codes."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=60)
    name_zh: str = Field(max_length=100)
    name_en: str = Field("", max_length=120)
    description_zh: str = ""
    description_en: str = ""
    tier: str = Field(max_length=12)
    category: str = Field(max_length=20)
    modes: list[str]
    duration_minutes: int = Field(ge=1, le=1440)
    price_fen: int = Field(0, ge=0)
    insurance_covered_fen: int = Field(0, ge=0)
    is_public_health_basic: bool = False
    min_age: int | None = Field(None, ge=0, le=150)
    max_age: int | None = Field(None, ge=0, le=150)
    sex: str = Field("", max_length=1)
    required_skills: list[str] = Field(default_factory=list)
    required_tags: list[str] = Field(default_factory=list)
    sort_order: int = Field(0, ge=0)


class ServicePatch(Schema):
    """Fields to change; only the fields sent are changed. The code never changes."""

    model_config = ConfigDict(extra="forbid")

    name_zh: str = Field("", max_length=100)
    name_en: str = Field("", max_length=120)
    description_zh: str = ""
    description_en: str = ""
    tier: str = Field("", max_length=12)
    category: str = Field("", max_length=20)
    modes: list[str] = Field(default_factory=list)
    duration_minutes: int = Field(1, ge=1, le=1440)
    price_fen: int = Field(0, ge=0)
    insurance_covered_fen: int = Field(0, ge=0)
    is_public_health_basic: bool = False
    min_age: int | None = Field(None, ge=0, le=150)
    max_age: int | None = Field(None, ge=0, le=150)
    sex: str = Field("", max_length=1)
    required_skills: list[str] = Field(default_factory=list)
    required_tags: list[str] = Field(default_factory=list)
    active: bool = True
    sort_order: int = Field(0, ge=0)


# ---- packages and enrolments ------------------------------------------------------------------


class PackageItemOut(Schema):
    service: str = Field(description="service code")
    service_name: str
    modes: list[str]
    interval_count: int
    interval_unit: str = Field(description="day, week, month, year, once or on_request")
    note: str

    @staticmethod
    def resolve_service(obj: PackageItem) -> str:
        return obj.service.code

    @staticmethod
    def resolve_service_name(obj: PackageItem) -> str:
        return obj.service.name

    @staticmethod
    def resolve_modes(obj: PackageItem) -> list[str]:
        return obj.service.modes

    @staticmethod
    def resolve_note(obj: PackageItem) -> str:
        language = get_language() or "zh-hans"
        if language.startswith("zh") or not obj.note_en:
            return obj.note_zh
        return obj.note_en


class PackageOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    group: str = Field(description="elderly, child, working or special")
    min_age: int | None
    max_age: int | None
    sex: str
    required_tags: list[str]
    items: list[PackageItemOut]
    eligible: bool | None

    @staticmethod
    def resolve_required_tags(obj: Package) -> list[str]:
        return sorted(tag.code for tag in obj.required_tags.all())

    @staticmethod
    def resolve_items(obj: Package) -> list[PackageItem]:
        return list(obj.items.all())

    @staticmethod
    def resolve_eligible(obj: Package, context: Any) -> bool | None:
        return _eligible(obj, context)


class EnrolmentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    package: str = Field(max_length=60, description="package code")
    enrolled_on: date | None = Field(None, description="default: today")


class EnrolmentOut(Schema):
    id: str
    resident: str
    package: str
    package_name: str
    enrolled_on: date
    ended_on: date | None
    status: str

    @staticmethod
    def resolve_id(obj: Enrolment) -> str:
        return obj.public_id

    @staticmethod
    def resolve_resident(obj: Enrolment) -> str:
        return obj.resident.public_id

    @staticmethod
    def resolve_package(obj: Enrolment) -> str:
        return obj.package.code

    @staticmethod
    def resolve_package_name(obj: Enrolment) -> str:
        return obj.package.name


class DueServiceOut(Schema):
    service: str = Field(description="service code")
    service_name: str
    due_date: date
    overdue: bool
    package: str = Field(description="package code")
    enrolment: str = Field(description="enrolment id")


# ---- organisations and providers --------------------------------------------------------------


class OrganisationOut(Schema):
    id: str
    code: str
    name: str
    name_zh: str
    name_en: str
    kind: str
    community: str | None = Field(description="community code")
    address: str
    phone: str
    latitude: float | None
    longitude: float | None
    active: bool

    @staticmethod
    def resolve_id(obj: Organisation) -> str:
        return obj.public_id

    @staticmethod
    def resolve_community(obj: Organisation) -> str | None:
        return obj.community.code if obj.community is not None else None


class OrganisationIn(Schema):
    """A new organisation. ``community`` (a community code) defaults to the caller's own;
    a superuser may leave it empty (e.g. a city hospital)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=60)
    name_zh: str = Field(max_length=100)
    name_en: str = Field("", max_length=120)
    kind: str = Field(max_length=20)
    community: str | None = Field(None, max_length=40)
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class ProviderOut(Schema):
    id: str
    name: str
    kind: str = Field(description="practitioner, health_manager or volunteer")
    title: str
    sex: str
    organisation: str = Field(description="organisation code")
    skills: list[str]
    services: list[str]
    languages: list[str]
    radius_km: float
    rating_avg: float
    rating_count: int
    active: bool

    @staticmethod
    def resolve_id(obj: Provider) -> str:
        return obj.public_id

    @staticmethod
    def resolve_organisation(obj: Provider) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_skills(obj: Provider) -> list[str]:
        return sorted(skill.code for skill in obj.skills.all())

    @staticmethod
    def resolve_services(obj: Provider) -> list[str]:
        return sorted(service.code for service in obj.services.all())

    @staticmethod
    def resolve_languages(obj: Provider) -> list[str]:
        return sorted(language.code for language in obj.languages.all())


class ProviderIn(Schema):
    """A new provider. Skills, services and languages are lists of codes."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(max_length=60, description="organisation code")
    name: str = Field(max_length=50)
    kind: str = Field(max_length=16)
    sex: str = Field(max_length=1)
    title: str = Field("", max_length=60)
    skills: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    radius_km: float = Field(3.0, ge=0, le=100)
    base_latitude: float | None = Field(None, ge=-90, le=90)
    base_longitude: float | None = Field(None, ge=-180, le=180)
    active: bool = True


class ProviderPatch(Schema):
    """Fields to change; only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=50)
    kind: str = Field("", max_length=16)
    sex: str = Field("", max_length=1)
    title: str = Field("", max_length=60)
    skills: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    radius_km: float = Field(3.0, ge=0, le=100)
    base_latitude: float | None = Field(None, ge=-90, le=90)
    base_longitude: float | None = Field(None, ge=-180, le=180)
    active: bool = True


# ---- schedules, slots and bookings ------------------------------------------------------------


class ScheduleIn(Schema):
    """A recurring weekly session. ``weekday`` 0 is Monday. ``organisation`` (a code) is the
    site, by default the provider's own; ``services`` (codes) default to all the provider
    offers."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6)
    start_time: time
    end_time: time
    slot_minutes: int = Field(ge=5, le=1440)
    mode: str = Field(max_length=8)
    valid_from: date
    valid_to: date | None = None
    capacity: int = Field(1, ge=1, le=500)
    organisation: str | None = Field(None, max_length=60)
    location: str = Field("", max_length=120)
    services: list[str] = Field(default_factory=list)
    runs_on_holidays: bool = False


class ScheduleOut(Schema):
    id: str
    provider: str = Field(description="provider id")
    organisation: str = Field(description="site: organisation code")
    weekday: int
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int
    mode: str
    location: str
    services: list[str]
    valid_from: date
    valid_to: date | None
    runs_on_holidays: bool
    active: bool

    @staticmethod
    def resolve_id(obj: WeeklySchedule) -> str:
        return obj.public_id

    @staticmethod
    def resolve_provider(obj: WeeklySchedule) -> str:
        return obj.provider.public_id

    @staticmethod
    def resolve_organisation(obj: WeeklySchedule) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_services(obj: WeeklySchedule) -> list[str]:
        return sorted(service.code for service in obj.services.all())


class GenerateSlotsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    start: date
    days: int = Field(28, ge=1, le=92)


class GenerateSlotsOut(Schema):
    created: int
    existing: int


class SlotProviderOut(Schema):
    id: str
    name: str

    @staticmethod
    def resolve_id(obj: Provider) -> str:
        return obj.public_id


class SlotOut(Schema):
    id: str
    start: datetime
    end: datetime
    mode: str
    location: str
    capacity: int
    booked_count: int
    places_left: int
    provider: SlotProviderOut
    organisation: str = Field(description="site: organisation code")
    services: list[str]

    @staticmethod
    def resolve_id(obj: Slot) -> str:
        return obj.public_id

    @staticmethod
    def resolve_organisation(obj: Slot) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_services(obj: Slot) -> list[str]:
        return sorted(service.code for service in obj.services.all())


class BookingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    resident: str = Field(max_length=32, description="resident id")
    service: str | None = Field(
        None, max_length=60, description="service code; default: the slot's only service"
    )


class BookingOut(Schema):
    id: str
    slot: str = Field(description="slot id")
    resident: str = Field(description="resident id")
    service: str | None = Field(description="service code")
    status: str = Field(description="booked, cancelled, attended or no_show")
    start: datetime
    end: datetime
    created_at: datetime
    cancelled_at: datetime | None

    @staticmethod
    def resolve_id(obj: Booking) -> str:
        return obj.public_id

    @staticmethod
    def resolve_slot(obj: Booking) -> str:
        return obj.slot.public_id

    @staticmethod
    def resolve_resident(obj: Booking) -> str:
        return obj.resident.public_id

    @staticmethod
    def resolve_service(obj: Booking) -> str | None:
        return obj.service.code if obj.service is not None else None

    @staticmethod
    def resolve_start(obj: Booking) -> datetime:
        return obj.slot.start

    @staticmethod
    def resolve_end(obj: Booking) -> datetime:
        return obj.slot.end


# ---- the medical alliance: referral agreements and visiting specialists -----------------------


class ReferralAgreementOut(Schema):
    id: str
    organisation: str = Field(description="the signing organisation: code")
    organisation_name: str
    partner: str = Field(description="the partner organisation: code")
    partner_name: str
    kind: str = Field(
        description="two_way, specialist_alliance, remote_consultation or service_contract"
    )
    valid_from: date
    valid_to: date | None
    note: str
    state: str = Field(description="upcoming, active or ended (today)")

    @staticmethod
    def resolve_id(obj: ReferralAgreement) -> str:
        return obj.public_id

    @staticmethod
    def resolve_organisation(obj: ReferralAgreement) -> str:
        return obj.organisation.code

    @staticmethod
    def resolve_organisation_name(obj: ReferralAgreement) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_partner(obj: ReferralAgreement) -> str:
        return obj.partner.code

    @staticmethod
    def resolve_partner_name(obj: ReferralAgreement) -> str:
        return obj.partner.name

    @staticmethod
    def resolve_state(obj: ReferralAgreement) -> str:
        return obj.state_on(clock.today())


class ReferralAgreementIn(Schema):
    """A new agreement signed by ``organisation`` (a code; an organisation the caller
    manages) with ``partner`` (a code)."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(max_length=60, description="organisation code")
    partner: str = Field(max_length=60, description="organisation code")
    kind: str = Field(max_length=20)
    valid_from: IsoDate
    valid_to: IsoDate | None = Field(None, description="empty: open-ended")
    note: str = Field("", max_length=200)


class ReferralAgreementPatch(Schema):
    """Fields to change; only the fields sent are changed. The signing organisation never
    changes; ``valid_to`` ends the agreement (null: open-ended)."""

    model_config = ConfigDict(extra="forbid")

    partner: str = Field("", max_length=60, description="organisation code")
    kind: str = Field("", max_length=20)
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    note: str = Field("", max_length=200)


class EndAgreementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    last_day: IsoDate | None = Field(None, description="default: today")


class SpecialistSessionOut(Schema):
    id: str
    host: str = Field(description="host organisation code")
    host_name: str
    provider: str = Field(description="provider id")
    provider_name: str
    provider_organisation: str = Field(description="the specialist's organisation code")
    specialty: str = Field(description="in the active language")
    specialty_zh: str
    specialty_en: str
    schedule: str = Field(description="weekly schedule id")
    weekday: int = Field(description="0 is Monday")
    start_time: time
    end_time: time
    slot_minutes: int
    capacity: int
    mode: str
    location: str
    valid_from: date
    valid_to: date | None
    runs_on_holidays: bool
    state: str = Field(description="upcoming, active, ended or cancelled (today)")

    @staticmethod
    def resolve_id(obj: SpecialistSession) -> str:
        return obj.public_id

    @staticmethod
    def resolve_host(obj: SpecialistSession) -> str:
        return obj.host.code

    @staticmethod
    def resolve_host_name(obj: SpecialistSession) -> str:
        return obj.host.name

    @staticmethod
    def resolve_provider(obj: SpecialistSession) -> str:
        return obj.provider.public_id

    @staticmethod
    def resolve_provider_name(obj: SpecialistSession) -> str:
        return obj.provider.name

    @staticmethod
    def resolve_provider_organisation(obj: SpecialistSession) -> str:
        return obj.provider.organisation.code

    @staticmethod
    def resolve_specialty(obj: SpecialistSession) -> str:
        language = get_language() or "zh-hans"
        if language.startswith("zh") or not obj.specialty_en:
            return obj.specialty_zh
        return obj.specialty_en

    @staticmethod
    def resolve_schedule(obj: SpecialistSession) -> str:
        return obj.schedule.public_id

    @staticmethod
    def resolve_state(obj: SpecialistSession) -> str:
        return obj.state_on(clock.today())

    @staticmethod
    def resolve_slot_minutes(obj: SpecialistSession) -> int:
        return obj.schedule.slot_minutes

    @staticmethod
    def resolve_capacity(obj: SpecialistSession) -> int:
        return obj.schedule.capacity

    @staticmethod
    def resolve_mode(obj: SpecialistSession) -> str:
        return obj.schedule.mode

    @staticmethod
    def resolve_location(obj: SpecialistSession) -> str:
        return obj.schedule.location

    @staticmethod
    def resolve_valid_from(obj: SpecialistSession) -> date:
        return obj.schedule.valid_from

    @staticmethod
    def resolve_valid_to(obj: SpecialistSession) -> date | None:
        return obj.schedule.valid_to

    @staticmethod
    def resolve_runs_on_holidays(obj: SpecialistSession) -> bool:
        return obj.schedule.runs_on_holidays


class SpecialistSessionIn(Schema):
    """A visiting specialist's weekly session at ``host`` (a code; an organisation the
    caller manages). ``weekday`` 0 is Monday; ``services`` (codes) default to all the
    specialist offers."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(max_length=60, description="host organisation code")
    provider: str = Field(max_length=32, description="provider id")
    specialty_zh: str = Field(max_length=60)
    specialty_en: str = Field("", max_length=60)
    weekday: int = Field(ge=0, le=6)
    start_time: time
    end_time: time
    slot_minutes: int = Field(ge=5, le=1440)
    capacity: int = Field(1, ge=1, le=500)
    mode: str = Field("clinic", max_length=8)
    location: str = Field("", max_length=120)
    valid_from: IsoDate
    valid_to: IsoDate | None = None
    services: list[str] = Field(default_factory=list)
    runs_on_holidays: bool = False


class SpecialistSessionPatch(Schema):
    """Fields to change; only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    specialty_zh: str = Field("", max_length=60)
    specialty_en: str = Field("", max_length=60)
    weekday: int = Field(0, ge=0, le=6)
    start_time: time | None = None
    end_time: time | None = None
    slot_minutes: int = Field(30, ge=5, le=1440)
    capacity: int = Field(1, ge=1, le=500)
    location: str = Field("", max_length=120)
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None
    runs_on_holidays: bool = False


class CancelSessionOut(Schema):
    session: SpecialistSessionOut
    booked_slots_left: int = Field(description="later slots that still hold bookings")
