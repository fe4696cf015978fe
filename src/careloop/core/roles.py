"""Roles: one table in code. A migration turns it into Django groups; selectors and views ask
``has_role`` instead of inspecting groups by hand."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    FAMILY_DOCTOR = "family_doctor", _("Family doctor")
    NURSE = "nurse", _("Nurse")
    HEALTH_MANAGER = "health_manager", _("Health manager")
    TRIAGE_NURSE = "triage_nurse", _("Triage nurse")
    CASHIER = "cashier", _("Cashier")
    CASHIER_SUPERVISOR = "cashier_supervisor", _("Cashier supervisor")
    FINANCE_AUDITOR = "finance_auditor", _("Finance auditor")
    LAB_STAFF = "lab_staff", _("Lab staff")
    VOLUNTEER = "volunteer", _("Volunteer")
    VOLUNTEER_COORDINATOR = "volunteer_coordinator", _("Volunteer coordinator")
    COMPLAINTS_OFFICER = "complaints_officer", _("Complaints officer")
    QUALITY_MANAGER = "quality_manager", _("Quality manager")
    CENTRE_DIRECTOR = "centre_director", _("Centre director")
    AUDITOR = "auditor", _("Auditor")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# Clinicians see the residents of the care teams they belong to.
CARE_TEAM_ROLES = frozenset({Role.FAMILY_DOCTOR, Role.NURSE, Role.HEALTH_MANAGER})
# These roles see every resident of their own community.
COMMUNITY_ROLES = frozenset(
    {Role.CENTRE_DIRECTOR, Role.QUALITY_MANAGER, Role.AUDITOR, Role.SYSTEM_ADMIN}
)
# Staff whose landing page is the management console rather than the workbench.
CONSOLE_ROLES = frozenset(
    {
        Role.CENTRE_DIRECTOR,
        Role.QUALITY_MANAGER,
        Role.AUDITOR,
        Role.SYSTEM_ADMIN,
        Role.FINANCE_AUDITOR,
    }
)
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}
