"""Resident pages in the three portals: the resident's own home (/r/), the workbench's
resident list, record and registration (/w/), and the console's community figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.core import clock
from careloop.core.errors import DomainError, NotFoundError
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
    RegisterResidentForm,
    ResidentEditForm,
    SearchForm,
    apply_domain_error,
)
from careloop.residents.models import (
    CareContract,
    ContractStatus,
    GuardianLink,
    Resident,
)

LIST_PAGE_SIZE = 25
TIMELINE_LENGTH = 20
QUEUE_LENGTH = 10
RENEWAL_HORIZON_DAYS = 60
ELDER_AGE = 60

# How the record timeline names the audit actions about a resident.
TIMELINE_LABELS = {
    "careloop.resident.created": _("Record created"),
    "careloop.resident.updated": _("Record changed"),
    "careloop.resident.viewed": _("Record opened"),
    "careloop.guardian.linked": _("Guardian linked"),
    "careloop.contract.signed": _("Family doctor contract signed"),
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


# ---- small helpers: ages, prefetching, scoped reads ---------------------------------------


def age_on(birth_date: date, today: date) -> int:
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def born_on_or_before(today: date, years: int) -> date:
    """The latest birth date of someone at least ``years`` old today."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def with_active_contract(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    """Attach ``active_contracts`` (a list of zero or one) with team and doctor loaded."""
    return residents.prefetch_related(
        Prefetch(
            "contracts",
            queryset=CareContract.objects.filter(status=ContractStatus.ACTIVE).select_related(
                "team", "doctor"
            ),
            to_attr="active_contracts",
        )
    )


@dataclass(frozen=True)
class Row:
    resident: Resident
    age: int
    contract: CareContract | None


def rows_of(residents: Any, today: date) -> list[Row]:
    return [
        Row(
            resident=r,
            age=age_on(r.birth_date, today),
            contract=(r.active_contracts or [None])[0],
        )
        for r in residents
    ]


def get_or_404(user: User, public_id: str, purpose: str = "view") -> Resident:
    try:
        return selectors.get_resident_for(user, public_id, purpose=purpose)
    except NotFoundError:
        raise Http404(str(_("No such resident."))) from None


def record_context(resident: Resident, today: date) -> dict[str, Any]:
    """Everything shown about one resident (already read through the scoped selector)."""
    contract = (
        resident.contracts.filter(status=ContractStatus.ACTIVE)
        .select_related("team", "doctor")
        .first()
    )
    return {
        "resident": resident,
        "age": age_on(resident.birth_date, today),
        "contract": contract,
        "guardians": GuardianLink.objects.filter(dependant=resident).select_related("guardian"),
        "dependants": GuardianLink.objects.filter(guardian=resident).select_related("dependant"),
    }


# ---- resident portal /r/ ------------------------------------------------------------------


@page_access(is_resident)
def portal(request: HttpRequest) -> HttpResponse:
    user = request.user
    me = selectors.residents_visible_to(user).filter(user=user).first()  # type: ignore[arg-type]
    context: dict[str, Any] = {"resident": None, **chrome(request, "portal")}
    if me is not None:
        context.update(record_context(me, clock.today()))
    return render(request, "residents/portal_home.html", context)


@page_access(is_resident)
def portal_family_member(request: HttpRequest, public_id: str) -> HttpResponse:
    """A guardian's view of one dependant's summary."""
    resident = get_or_404(request.user, public_id, purpose="guardian")  # type: ignore[arg-type]
    if resident.user_id == request.user.pk:
        return redirect("residents:portal")
    context = {**record_context(resident, clock.today()), **chrome(request, "portal")}
    return render(request, "residents/portal_family_member.html", context)


# ---- workbench /w/ ------------------------------------------------------------------------


@page_access(can_use_workbench)
def workbench(request: HttpRequest) -> HttpResponse:
    """My work: the queues that belong to this member of staff."""
    user: User = request.user  # type: ignore[assignment]
    today = clock.today()
    context: dict[str, Any] = workbench_chrome(request, "work")
    if context["can_list_residents"]:
        visible = selectors.residents_visible_to(user)
        horizon = today + timedelta(days=RENEWAL_HORIZON_DAYS)
        renewals = (
            CareContract.objects.filter(
                status=ContractStatus.ACTIVE, ends_on__lte=horizon, resident__in=visible
            )
            .select_related("resident", "team")
            .order_by("ends_on", "id")
        )
        alone = visible.filter(
            living_alone=True, birth_date__lte=born_on_or_before(today, ELDER_AGE)
        ).order_by("birth_date", "id")
        context.update(
            renewal_horizon=RENEWAL_HORIZON_DAYS,
            renewals=renewals[:QUEUE_LENGTH],
            renewals_count=renewals.count(),
            alone=rows_of(with_active_contract(alone)[:QUEUE_LENGTH], today),
            alone_count=alone.count(),
            teams=selectors.teams_of(user).annotate(
                contracted=Count("contracts", filter=Q(contracts__status=ContractStatus.ACTIVE))
            ),
        )
    return render(request, "residents/workbench_home.html", context)


@page_access(selectors.can_list_residents)
def resident_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    residents = with_active_contract(selectors.search_residents(request.user, query))  # type: ignore[arg-type]
    page = Paginator(residents, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "query": query,
        "page": page,
        "rows": rows_of(page.object_list, clock.today()),
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


def _render_record(
    request: HttpRequest, resident: Resident, form: ResidentEditForm, status: int = 200
) -> HttpResponse:
    today = clock.today()
    events = AuditEvent.objects.filter(
        object_type=Resident._meta.label_lower, object_id=resident.public_id
    ).order_by("-occurred_at", "-id")[:TIMELINE_LENGTH]
    context = {
        **record_context(resident, today),
        "form": form,
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
    today = clock.today()
    residents = Resident.objects.all()
    contracts = CareContract.objects.filter(status=ContractStatus.ACTIVE)
    if user.community_id is not None:
        residents = residents.filter(community_id=user.community_id)
        contracts = contracts.filter(resident__community_id=user.community_id)
    figures = residents.aggregate(
        total=Count("id"),
        elders=Count("id", filter=Q(birth_date__lte=born_on_or_before(today, ELDER_AGE))),
        alone=Count("id", filter=Q(living_alone=True)),
    )
    figures["contracts"] = contracts.count()
    total = figures["total"]
    figures["elders_share"] = round(100 * figures["elders"] / total, 1) if total else 0
    figures["contracts_share"] = round(100 * figures["contracts"] / total, 1) if total else 0
    context = {
        "figures": figures,
        "community": user.community,
        "elder_age": ELDER_AGE,
        **chrome(request, "console"),
    }
    return render(request, "residents/console_home.html", context)
