"""Every write of the catalogue app, one module per area; import them from here."""

from careloop.catalogue.services.booking import book_slot, cancel_booking
from careloop.catalogue.services.catalogue import (
    create_service,
    load_catalogue,
    load_holidays,
    update_service,
)
from careloop.catalogue.services.packages import (
    create_package,
    end_enrolment,
    enrol_resident,
    record_delivery,
    set_package_items,
    update_package,
)
from careloop.catalogue.services.providers import (
    create_organisation,
    create_provider,
    record_provider_rating,
    update_organisation,
    update_provider,
)
from careloop.catalogue.services.referrals import (
    cancel_specialist_session,
    create_referral_agreement,
    create_specialist_session,
    end_referral_agreement,
    update_referral_agreement,
    update_specialist_session,
)
from careloop.catalogue.services.schedules import (
    GenerationResult,
    add_schedule_exception,
    create_weekly_schedule,
    end_weekly_schedule,
    generate_slots,
)

__all__ = [
    "GenerationResult", "add_schedule_exception", "book_slot", "cancel_booking",
    "cancel_specialist_session", "create_organisation", "create_package", "create_provider",
    "create_referral_agreement", "create_service", "create_specialist_session",
    "create_weekly_schedule", "end_enrolment", "end_referral_agreement", "end_weekly_schedule",
    "enrol_resident", "generate_slots", "load_catalogue", "load_holidays", "record_delivery",
    "record_provider_rating", "set_package_items", "update_organisation", "update_package",
    "update_provider", "update_referral_agreement", "update_service", "update_specialist_session",
]  # fmt: skip
