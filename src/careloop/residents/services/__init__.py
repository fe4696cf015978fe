"""Every write to residents and their health profile. Import the functions from here
(``from careloop.residents import services``); each module holds one area:

- ``people``: residents, households, guardians, family-doctor contracts
- ``contact``: contact preferences (channel, smartphone, note for staff, time of day)
- ``profile``: conditions, medications, allergies, family history, pregnancy
- ``questionnaires``: questionnaire responses
- ``tags``: derived profile tags (``refresh_tags``)
"""

from careloop.residents.services.contact import update_contact_preferences
from careloop.residents.services.people import (
    EDITOR_ROLES,
    PROFILE_FIELDS,
    SELF_EDITABLE,
    STAFF_EDITABLE,
    FieldErrors,
    _apply_hashes,
    _clean,
    _require_editor,
    create_household,
    link_guardian,
    register_resident,
    set_household_location,
    sign_contract,
    update_resident,
    validate_new_resident,
)
from careloop.residents.services.profile import (
    POSTPARTUM_DAYS,
    find_condition_type,
    load_reference_data,
    record_allergy,
    record_condition,
    record_delivery,
    record_family_history,
    record_medication,
    record_pregnancy,
    resolve_condition,
    update_medication,
)
from careloop.residents.services.questionnaires import submit_questionnaire_response
from careloop.residents.services.tags import profile_facts, refresh_tags

__all__ = [
    "EDITOR_ROLES",
    "POSTPARTUM_DAYS",
    "PROFILE_FIELDS",
    "SELF_EDITABLE",
    "STAFF_EDITABLE",
    "FieldErrors",
    "_apply_hashes",
    "_clean",
    "_require_editor",
    "create_household",
    "find_condition_type",
    "link_guardian",
    "load_reference_data",
    "profile_facts",
    "record_allergy",
    "record_condition",
    "record_delivery",
    "record_family_history",
    "record_medication",
    "record_pregnancy",
    "refresh_tags",
    "register_resident",
    "resolve_condition",
    "set_household_location",
    "sign_contract",
    "submit_questionnaire_response",
    "update_contact_preferences",
    "update_medication",
    "update_resident",
    "validate_new_resident",
]
