"""Resident pages in the three portals: the resident's own home (/r/), the workbench's
resident list, record and registration (/w/), and the console's community figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import AuditEvent, User
from careloop.core.views import (
    can_use_console,
    can_use_workbench,
    chrome,
    is_resident,
    page_access,
)
from careloop.residents import selectors, services
from careloop.residents.forms import (
    ContactPreferencesForm,
    HomeLocationForm,
    RegisterResidentForm,
    ResidentEditForm,
    SearchForm,
    apply_domain_error,
)
from careloop.residents.models import (
    GuardianLink,
    Resident,
)

LIST_PAGE_SIZE = 25
TIMELINE_LENGTH = 20
QUEUE_LENGTH = 10
RENEWAL_HORIZON_DAYS = 60

# How the record timeline names the audit actions about a resident.
TIMELINE_LABELS = {
    "careloop.resident.created": _("Record created"),
    "careloop.resident.updated": _("Record changed"),
    "careloop.resident.contact_updated": _("Contact preferences changed"),
    "careloop.resident.viewed": _("Record opened"),
    "careloop.guardian.linked": _("Guardian linked"),
    "careloop.contract.signed": _("Family doctor contract signed"),
    "careloop.condition.recorded": _("Condition recorded"),
    "careloop.condition.resolved": _("Condition resolved"),
    "careloop.medication.recorded": _("Medicine recorded"),
    "careloop.medication.updated": _("Medicine changed"),
    "careloop.allergy.recorded": _("Allergy recorded"),
    "careloop.family_history.recorded": _("Family history recorded"),
    "careloop.pregnancy.recorded": _("Pregnancy recorded"),
    "careloop.pregnancy.delivered": _("Delivery recorded"),
    "careloop.questionnaire.submitted": _("Questionnaire answered"),
    "careloop.life_event.recorded": _("Life event recorded"),
    "careloop.device.registered": _("Device registered"),
    "careloop.device.revoked": _("Device revoked"),
    "careloop.alert.opened": _("Alert opened"),
    "careloop.alert.acknowledged": _("Alert acknowledged"),
    "careloop.alert.closed": _("Alert closed"),
    "careloop.catalogue.enrolled": _("Enrolled in a package"),
    "careloop.catalogue.slot_booked": _("Appointment booked"),
}


def can_edit_residents(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*services.EDITOR_ROLES))


def workbench_chrome(request: HttpRequest, section: str) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    return {
        "can_list_residents": selectors.can_list_residents(user),
        "can_edit_residents": can_edit_residents(user),
        **chrome(request, section),
    }


# ---- small helpers --------------------------------------------------------------------------


def get_or_404(user: User, public_id: str, purpose: str = "view") -> Resident:
    try:
        return selectors.get_resident_for(user, public_id, purpose=purpose)
    except NotFoundError:
        raise Http404(str(_("No such resident."))) from None


def record_context(resident: Resident) -> dict[str, Any]:
    """Everything shown about one resident (already read through the scoped selector)."""
    return {
        "resident": resident,
        "age": resident.age,
        "contract": resident.active_contract,
        "guardians": GuardianLink.objects.filter(dependant=resident).select_related("guardian"),
        "dependants": GuardianLink.objects.filter(guardian=resident).select_related("dependant"),
    }


# ---- resident portal /r/ ------------------------------------------------------------------


@page_access(is_resident)
def portal(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    me = selectors.residents_visible_to(user).filter(user=user).first()
    context: dict[str, Any] = {"resident": None, **chrome(request, "portal")}
    if me is not None:
        context.update(record_context(me))
    return render(request, "residents/portal_home.html", context)


@page_access(is_resident)
def portal_family_member(request: HttpRequest, public_id: str) -> HttpResponse:
    """A guardian's view of one dependant's summary."""
    resident = get_or_404(request.user, public_id, purpose="guardian")  # type: ignore[arg-type]
    if resident.user_id == request.user.pk:
        return redirect("residents:portal")
    context = {**record_context(resident), **chrome(request, "portal")}
    return render(request, "residents/portal_family_member.html", context)


# ---- workbench /w/ ------------------------------------------------------------------------


@page_access(can_use_workbench)
def workbench(request: HttpRequest) -> HttpResponse:
    """My work: the queues that belong to this member of staff."""
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = workbench_chrome(request, "work")
    if context["can_list_residents"]:
        renewals = selectors.contracts_to_renew(user, within_days=RENEWAL_HORIZON_DAYS)
        alone = selectors.elders_living_alone(user)
        context.update(
            renewal_horizon=RENEWAL_HORIZON_DAYS,
            renewals=renewals[:QUEUE_LENGTH],
            renewals_count=renewals.count(),
            alone=alone[:QUEUE_LENGTH],
            alone_count=alone.count(),
            teams=selectors.teams_with_counts(user),
        )
    return render(request, "residents/workbench_home.html", context)


@page_access(selectors.can_list_residents)
def resident_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    residents = selectors.with_active_contract(
        selectors.search_residents(request.user, query)  # type: ignore[arg-type]
    )
    page = Paginator(residents, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "query": query,
        "page": page,
        **workbench_chrome(request, "residents"),
    }
    template = "residents/list.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@page_access(can_use_workbench)
def resident_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    resident = get_or_404(request.user, public_id)  # type: ignore[arg-type]
    return _render_record(request, resident, ResidentEditForm.for_resident(resident))


@require_POST
@page_access(can_edit_residents)
def resident_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    resident = get_or_404(request.user, public_id, purpose="edit")  # type: ignore[arg-type]
    form = ResidentEditForm(request.POST)
    if form.is_valid():
        try:
            services.update_resident(
                actor=request.user,  # type: ignore[arg-type]
                resident=resident,
                changes=form.cleaned_data,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The record is saved."))
            return redirect("residents:detail", public_id=resident.public_id)
    return _render_record(request, resident, form, status=400)


@require_POST
@page_access(can_edit_residents)
def resident_home_location(request: HttpRequest, public_id: str) -> HttpResponse:
    """Locate the resident's household on the map (or clear its location)."""
    resident = get_or_404(request.user, public_id, purpose="edit")  # type: ignore[arg-type]
    if resident.household is None:
        raise Http404(str(_("This resident has no household.")))
    form = HomeLocationForm(request.POST)
    if form.is_valid():
        try:
            services.set_household_location(
                actor=request.user,  # type: ignore[arg-type]
                household=resident.household,
                **form.cleaned_data,
            )
        except ForbiddenError:
            raise PermissionDenied from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The home location is saved."))
            return redirect(reverse("residents:detail", args=[resident.public_id]) + "#home")
    return _render_record(
        request, resident, ResidentEditForm.for_resident(resident), 400, home_form=form
    )


def _render_record(
    request: HttpRequest,
    resident: Resident,
    form: ResidentEditForm,
    status: int = 200,
    contact_form: ContactPreferencesForm | None = None,
    home_form: HomeLocationForm | None = None,
) -> HttpResponse:
    # Readings are shown in the charts; the history lists the record's other events.
    events = AuditEvent.objects.filter(
        object_type=Resident._meta.label_lower,
        object_id=resident.public_id,
        action__in=TIMELINE_LABELS,
    ).order_by("-occurred_at", "-id")[:TIMELINE_LENGTH]
    context = {
        **record_context(resident),
        "form": form,
        "contact_form": contact_form or ContactPreferencesForm.for_resident(resident),
        "home_form": home_form
        or (HomeLocationForm.for_household(resident.household) if resident.household else None),
        "timeline": [(event, TIMELINE_LABELS.get(event.action, event.action)) for event in events],
        **workbench_chrome(request, "residents"),
    }
    return render(request, "residents/detail.html", context, status=status)


@page_access(can_edit_residents)
def resident_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    choose_community = user.community_id is None
    form = RegisterResidentForm(request.POST or None, choose_community=choose_community)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        community = data.pop("community", None) or user.community
        assert community is not None  # chosen in the form when the user has no community
        try:
            resident = services.register_resident(actor=user, community=community, **data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": resident.name})
            if selectors.residents_visible_to(user).filter(pk=resident.pk).exists():
                return redirect("residents:detail", public_id=resident.public_id)
            messages.info(
                request,
                _("The record will show in your list once a contract with your team is signed."),
            )
            return redirect("residents:list")
    status = 400 if form.errors else 200
    context = {"form": form, **workbench_chrome(request, "new")}
    return render(request, "residents/register.html", context, status=status)


# ---- console /console/ --------------------------------------------------------------------


@page_access(can_use_console)
def console(request: HttpRequest) -> HttpResponse:
    """Community figures. Counts only: no personal data, so no per-record scope is needed
    beyond the community."""
    user: User = request.user  # type: ignore[assignment]
    figures = selectors.community_figures(user)
    context = {
        "figures": figures,
        "community": user.community,
        "elder_age": selectors.ELDER_AGE,
        **chrome(request, "console"),
    }
    return render(request, "residents/console_home.html", context)
