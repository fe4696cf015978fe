"""Catalogue pages: the console's catalogue, packages, providers, a provider's week and the
Excel import/export (/console/catalogue/…), and the resident's "services for me" (/r/services/).

Every member of staff may read the console catalogue (the catalogue is readable by any
signed-in user); changes follow ``catalogue.permissions`` (the services check again).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.catalogue import excel, selectors, services
from careloop.catalogue.forms import (
    ExcelImportForm,
    GenerateSlotsForm,
    LeaveForm,
    OrganisationForm,
    PackageForm,
    PackageItemFormSet,
    ProviderForm,
    ServiceFilterForm,
    ServiceForm,
    WeeklyScheduleForm,
    apply_domain_error,
)
from careloop.catalogue.models import (
    Category,
    Enrolment,
    EnrolmentStatus,
    Package,
    PackageItem,
    Provider,
    PublicHoliday,
    ScheduleException,
    WeeklySchedule,
)
from careloop.catalogue.permissions import can_edit_catalogue, can_manage_organisation
from careloop.core import clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import Community, User
from careloop.core.views import (
    can_use_console,
    can_use_workbench,
    chrome,
    is_resident,
    page_access,
)
from careloop.residents.selectors import residents_visible_to

SECTION = "catalogue"
FREE_SLOT_DAYS = 14
FREE_SLOT_DATES = 3
GENERATE_DAYS = 28
IMPORT_SESSION_KEY = "catalogue_import"
ERRORS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_staff(user: User) -> bool:
    """Console catalogue pages: every member of staff reads; residents do not."""
    return can_use_workbench(user)


def page_chrome(request: HttpRequest) -> dict[str, Any]:
    """Console users see the pages in the console, other staff in the workbench."""
    user: User = request.user  # type: ignore[assignment]
    context = chrome(request, SECTION)
    if can_use_console(user):
        context["layout"] = "layouts/console.html"
    else:
        from careloop.residents.views import workbench_chrome

        context = workbench_chrome(request, SECTION)
        context["layout"] = "layouts/workbench.html"
    context["can_edit_catalogue"] = can_edit_catalogue(user)
    context["can_add_providers"] = _manageable_organisations(user).exists()
    return context


def _manageable_organisations(user: User) -> Any:
    organisations = selectors.organisations_visible_to(user).filter(active=True)
    if user.is_superuser:
        return organisations
    if not can_edit_catalogue(user) or user.community_id is None:
        return organisations.none()
    return organisations.filter(community_id=user.community_id)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _get_provider(user: User, public_id: str) -> Provider:
    provider = selectors.providers_visible_to(user).filter(public_id=public_id).first()
    if provider is None:
        raise Http404(str(_("No such provider.")))
    return provider


# ---- catalogue ------------------------------------------------------------------------------


@page_access(is_staff)
def service_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    packages = list(selectors.browse_packages(user).only("code", "name_zh", "name_en", "group"))
    form = ServiceFilterForm(request.GET, packages=packages)
    filters = form.filters()
    services_ = list(
        selectors.browse_services(
            user,
            tier=filters.get("tier", ""),
            mode=filters.get("mode", ""),
            group=filters.get("group", ""),
            package=filters.get("package"),
            q=filters.get("q", ""),
            include_inactive=can_edit_catalogue(user),
        )
    )
    context = {"form": form, "services": services_, "filtered": bool(filters)}
    context.update(page_chrome(request))
    template = "catalogue/service_list.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@page_access(is_staff)
def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        service = selectors.get_service(user, code)
    except NotFoundError:
        raise Http404(str(_("No such service."))) from None
    editable = can_edit_catalogue(user)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = ServiceForm(request.POST)
        if form.is_valid():
            try:
                services.update_service(actor=user, service=service, changes=form.changes())
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error, ServiceForm.ALIASES)
            else:
                messages.success(request, _("The service is saved."))
                return redirect("catalogue:service", code=service.code)
        status = 400
    else:
        form = ServiceForm.for_service(service)
    packages = PackageItem.objects.filter(service=service).select_related("package")
    context = {
        "service": service,
        "form": form if editable else None,
        "package_items": packages,
        **page_chrome(request),
    }
    return render(request, "catalogue/service_detail.html", context, status=status)


@page_access(is_staff)
def package_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    packages = selectors.browse_packages(user, include_inactive=can_edit_catalogue(user))
    context = {"packages": packages, **page_chrome(request)}
    return render(request, "catalogue/package_list.html", context)


def _save_package(
    user: User, package: Package | None, form: PackageForm, items: PackageItemFormSet
) -> Package:
    """Fields and items in one transaction: an error in either writes nothing."""
    with transaction.atomic():
        if package is None:
            fields = form.changes()
            package = services.create_package(
                actor=user,
                code=form.cleaned_data["code"],
                name_zh=fields.pop("name_zh"),
                group=fields.pop("group"),
                **fields,
            )
        else:
            package = services.update_package(actor=user, package=package, changes=form.changes())
        services.set_package_items(actor=user, package=package, items=items.rows())
    return package


def _package_form_page(request: HttpRequest, package: Package | None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not can_edit_catalogue(user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = PackageForm(request.POST, editing=package is not None)
        items = PackageItemFormSet.for_package(package, request.POST)
        if form.is_valid() and items.is_valid():
            try:
                package = _save_package(user, package, form, items)
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                placed = items.apply_domain_error(error)
                rest = {k: v for k, v in error.fields.items() if not k.startswith("items.")}
                if rest or not placed:
                    apply_domain_error(form, DomainError(error.code, error.message, fields=rest))
            else:
                messages.success(request, _("The package is saved."))
                return redirect("catalogue:package_edit", code=package.code)
        status = 400
    elif package is None:
        form = PackageForm()
        items = PackageItemFormSet.for_package(None)
    else:
        form = PackageForm.for_package(package)
        items = PackageItemFormSet.for_package(package)
    context = {"form": form, "items": items, "package": package, **page_chrome(request)}
    return render(request, "catalogue/package_form.html", context, status=status)


@page_access(is_staff)
def package_new(request: HttpRequest) -> HttpResponse:
    return _package_form_page(request, None)


@page_access(is_staff)
def package_edit(request: HttpRequest, code: str) -> HttpResponse:
    package = Package.objects.filter(code=code).first()
    if package is None:
        raise Http404(str(_("No such package.")))
    return _package_form_page(request, package)


def _may_add_organisations(user: User) -> bool:
    return user.is_superuser or (can_edit_catalogue(user) and user.community_id is not None)


@page_access(is_staff)
def organisation_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    organisations = list(
        selectors.organisations_visible_to(user).prefetch_related(
            Prefetch("providers", queryset=Provider.objects.only("id", "organisation_id", "active"))
        )
    )
    for organisation in organisations:
        organisation.can_manage = can_manage_organisation(user, organisation)  # type: ignore[attr-defined]
    context = {
        "organisations": organisations,
        "can_add_organisations": _may_add_organisations(user),
        **page_chrome(request),
    }
    return render(request, "catalogue/organisation_list.html", context)


@page_access(is_staff)
def organisation_new(request: HttpRequest) -> HttpResponse:
    """A superuser picks the managing community (or none); an editor adds to their own."""
    user: User = request.user  # type: ignore[assignment]
    if not _may_add_organisations(user):
        raise PermissionDenied
    communities = Community.objects.all() if user.is_superuser else None
    form = OrganisationForm(request.POST or None, communities=communities)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: "" if v is None else v for k, v in form.changes().items()}
            community = form.cleaned_data.get("community") if user.is_superuser else None
            try:
                services.create_organisation(
                    actor=user,
                    code=form.cleaned_data["code"],
                    community=community or (None if user.is_superuser else user.community),
                    **data,
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The organisation is added."))
                return redirect("catalogue:organisations")
        status = 400
    context = {"form": form, "organisation": None, **page_chrome(request)}
    return render(request, "catalogue/organisation_form.html", context, status=status)


@page_access(is_staff)
def organisation_edit(request: HttpRequest, code: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    organisation = selectors.organisations_visible_to(user).filter(code=code).first()
    if organisation is None:
        raise Http404(str(_("No such organisation.")))
    if not can_manage_organisation(user, organisation):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = OrganisationForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.update_organisation(
                    actor=user, organisation=organisation, changes=form.changes()
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The organisation is saved."))
                return redirect("catalogue:organisations")
        status = 400
    else:
        form = OrganisationForm.for_organisation(organisation)
    context = {"form": form, "organisation": organisation, **page_chrome(request)}
    return render(request, "catalogue/organisation_form.html", context, status=status)


# ---- providers ----------------------------------------------------------------------------


@page_access(is_staff)
def provider_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    providers = selectors.providers_visible_to(user).order_by("organisation__kind", "name")
    query = request.GET.get("q", "").strip()[:50]
    if query:
        providers = providers.filter(name__icontains=query)
    context = {"providers": providers, "query": query, **page_chrome(request)}
    return render(request, "catalogue/provider_list.html", context)


@page_access(is_staff)
def provider_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    organisations = _manageable_organisations(user)
    if not organisations.exists():
        raise PermissionDenied
    form = ProviderForm(request.POST or None, organisations=organisations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                provider = services.create_provider(
                    actor=user,
                    organisation=form.cleaned_data["organisation"],
                    **form.fields_for_service(),
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The provider is added."))
                return redirect("catalogue:provider_week", public_id=provider.public_id)
        status = 400
    context = {"form": form, "provider": None, **page_chrome(request)}
    return render(request, "catalogue/provider_form.html", context, status=status)


@page_access(is_staff)
def provider_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    provider = _get_provider(user, public_id)
    if not can_manage_organisation(user, provider.organisation):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ProviderForm(request.POST, editing=True)
        if form.is_valid():
            try:
                services.update_provider(
                    actor=user, provider=provider, changes=form.fields_for_service()
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The provider is saved."))
                return redirect("catalogue:provider_week", public_id=provider.public_id)
        status = 400
    else:
        form = ProviderForm.for_provider(provider)
    context = {"form": form, "provider": provider, **page_chrome(request)}
    return render(request, "catalogue/provider_form.html", context, status=status)


# ---- a provider's week ----------------------------------------------------------------------


def _week_start(request: HttpRequest) -> date:
    try:
        return _monday(date.fromisoformat(request.GET.get("start", "")))
    except ValueError:
        return _monday(clock.today())


@page_access(is_staff)
def provider_week(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    provider = _get_provider(user, public_id)
    return _render_week(request, provider, _week_start(request))


def _render_week(
    request: HttpRequest,
    provider: Provider,
    start: date,
    *,
    schedule_form: WeeklyScheduleForm | None = None,
    leave_form: LeaveForm | None = None,
    generate_form: GenerateSlotsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    today = clock.today()
    week = selectors.provider_week(user, provider, start)
    end = start + timedelta(days=6)
    holidays = {h.date: h for h in PublicHoliday.objects.filter(date__range=(start, end))}
    leave = list(
        ScheduleException.objects.filter(
            provider=provider, start_date__lte=end, end_date__gte=start
        )
    )
    days = []
    for day in week.days:
        percent = round(day.load * 100)
        days.append(
            {
                "load": day,
                "is_today": day.day == today,
                "holiday": holidays.get(day.day),
                "leave": next((x for x in leave if x.start_date <= day.day <= x.end_date), None),
                "percent": percent,
                "bar": min(100, (percent + 9) // 10 * 10),
            }
        )
    manage = can_manage_organisation(user, provider.organisation)
    context: dict[str, Any] = {
        "provider": provider,
        "week": week,
        "days": days,
        "start": start,
        "end": end,
        "previous": start - timedelta(days=7),
        "next": start + timedelta(days=7),
        "this_week": _monday(today),
        "schedules": WeeklySchedule.objects.filter(provider=provider, active=True)
        .select_related("organisation")
        .prefetch_related("services"),
        "upcoming_leave": ScheduleException.objects.filter(provider=provider, end_date__gte=today),
        "can_manage": manage,
        **page_chrome(request),
    }
    if manage:
        context["schedule_form"] = schedule_form or WeeklyScheduleForm(
            provider=provider, today=today
        )
        context["leave_form"] = leave_form or LeaveForm(initial={"start_date": today})
        context["generate_form"] = generate_form or GenerateSlotsForm(
            initial={"start": today, "days": GENERATE_DAYS}
        )
    return render(request, "catalogue/provider_week.html", context, status=status)


def _week_url(provider: Provider, start: date) -> str:
    url = reverse("catalogue:provider_week", kwargs={"public_id": provider.public_id})
    return f"{url}?start={_monday(start).isoformat()}"


@require_POST
@page_access(is_staff)
def schedule_add(request: HttpRequest, public_id: str) -> HttpResponse:
    """Add a weekly schedule, then generate its slots for the next weeks so they show."""
    user: User = request.user  # type: ignore[assignment]
    provider = _get_provider(user, public_id)
    today = clock.today()
    form = WeeklyScheduleForm(request.POST, provider=provider, today=today)
    if form.is_valid():
        try:
            schedule = services.create_weekly_schedule(
                actor=user, provider=provider, **form.schedule_kwargs()
            )
            first = max(today, schedule.valid_from)
            result = services.generate_slots(
                actor=user, provider=provider, start=first, days=GENERATE_DAYS
            )
        except ForbiddenError:
            raise PermissionDenied from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("The schedule is added; %(count)s new slots generated.")
                % {"count": result.created},
            )
            return redirect(_week_url(provider, first))
    return _render_week(request, provider, _week_start(request), schedule_form=form, status=400)


@require_POST
@page_access(is_staff)
def slots_generate(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    provider = _get_provider(user, public_id)
    form = GenerateSlotsForm(request.POST)
    if form.is_valid():
        try:
            result = services.generate_slots(
                actor=user,
                provider=provider,
                start=form.cleaned_data["start"],
                days=form.cleaned_data["days"],
            )
        except ForbiddenError:
            raise PermissionDenied from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("%(created)s new slots generated (%(existing)s already there).")
                % {"created": result.created, "existing": result.existing},
            )
            return redirect(_week_url(provider, form.cleaned_data["start"]))
    return _render_week(request, provider, _week_start(request), generate_form=form, status=400)


@require_POST
@page_access(is_staff)
def leave_add(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    provider = _get_provider(user, public_id)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            _exception, booked = services.add_schedule_exception(
                actor=user, provider=provider, **form.cleaned_data
            )
        except ForbiddenError:
            raise PermissionDenied from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The leave is recorded; free slots of those days closed."))
            if booked:
                messages.warning(
                    request,
                    _("%(count)s slots already have bookings: rebook those residents.")
                    % {"count": len(booked)},
                )
            return redirect(_week_url(provider, form.cleaned_data["start_date"]))
    return _render_week(request, provider, _week_start(request), leave_form=form, status=400)


# ---- Excel --------------------------------------------------------------------------------


@page_access(is_staff)
def excel_page(request: HttpRequest) -> HttpResponse:
    context = {"kinds": _kinds(), **page_chrome(request)}
    return render(request, "catalogue/excel.html", context)


def _kinds(kind: str = "", form: ExcelImportForm | None = None) -> list[dict[str, Any]]:
    """One card per sheet kind, each with its own upload form (the bound one for ``kind``)."""
    labels = [(excel.PROVIDERS, _("Providers")), (excel.SCHEDULES, _("Weekly schedules"))]
    return [
        {
            "code": code,
            "label": label,
            "form": form
            if code == kind and form is not None
            else ExcelImportForm(auto_id=f"id_{code}_%s"),
        }
        for code, label in labels
    ]


def _check_kind(kind: str) -> None:
    if kind not in excel.COLUMNS:
        raise Http404


@page_access(is_staff)
def excel_export(request: HttpRequest, kind: str) -> HttpResponse:
    _check_kind(kind)
    user: User = request.user  # type: ignore[assignment]
    providers = selectors.providers_visible_to(user).order_by("organisation__code", "name")
    if kind == excel.PROVIDERS:
        data = excel.export_providers(providers)
    else:
        schedules = (
            WeeklySchedule.objects.filter(active=True, provider__in=providers)
            .select_related("provider", "organisation")
            .prefetch_related("services")
            .order_by("provider__name", "weekday", "start_time")
        )
        data = excel.export_schedules(schedules)
    response = HttpResponse(data, content_type=XLSX)
    filename = f"careloop-{kind}-{clock.today():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@page_access(is_staff)
def excel_import(request: HttpRequest, kind: str) -> HttpResponse:
    """Upload → dry-run report; a second POST (``confirm``) imports the checked file."""
    _check_kind(kind)
    user: User = request.user  # type: ignore[assignment]
    if not (can_edit_catalogue(user) or user.is_superuser):
        raise PermissionDenied
    if "confirm" in request.POST:
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending or pending.get("digest") != request.POST.get("digest"):
            problem = _("The checked file is no longer available: upload it again.")
            return _render_excel(request, kind, None, None, problem=problem)
        del request.session[IMPORT_SESSION_KEY]
        data = base64.b64decode(pending["data"])
        if pending.get("kind") != kind:
            raise Http404
        report = excel.import_rows(actor=user, kind=kind, data=data, commit=True)
        if report.committed:
            messages.success(
                request,
                _("Imported from %(file)s: %(created)s added, %(updated)s updated.")
                % {"file": pending["filename"], "created": report.created,
                   "updated": report.updated},
            )  # fmt: skip
            target = "catalogue:providers" if kind == excel.PROVIDERS else "catalogue:excel"
            return redirect(target)
        return _render_excel(request, kind, None, report)
    form = ExcelImportForm(request.POST, request.FILES, auto_id=f"id_{kind}_%s")
    preview: excel.ImportReport | None = None
    digest = ""
    request.session.pop(IMPORT_SESSION_KEY, None)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        preview = excel.import_rows(actor=user, kind=kind, data=data, commit=False)
        if preview.ok:
            digest = hashlib.sha256(data).hexdigest()
            request.session[IMPORT_SESSION_KEY] = {
                "kind": kind,
                "digest": digest,
                "filename": upload.name[:200],
                "data": base64.b64encode(data).decode("ascii"),
            }
    return _render_excel(request, kind, form, preview, digest=digest)


def _render_excel(
    request: HttpRequest,
    kind: str,
    form: ExcelImportForm | None,
    report: excel.ImportReport | None,
    *,
    digest: str = "",
    problem: Any = None,
) -> HttpResponse:
    failed = bool(
        (form is not None and form.errors) or problem or (report is not None and not report.ok)
    )
    context = {
        "kinds": _kinds(kind, form),
        "kind": kind,
        "kind_label": {k["code"]: k["label"] for k in _kinds()}[kind],
        "report": report,
        "errors": report.errors[:ERRORS_SHOWN] if report else [],
        "errors_hidden": max(len(report.errors) - ERRORS_SHOWN, 0) if report else 0,
        "digest": digest,
        "problem": problem,
        **page_chrome(request),
    }
    return render(request, "catalogue/excel.html", context, status=400 if failed else 200)


# ---- resident portal: services for me -------------------------------------------------------


@page_access(is_resident)
def my_services(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    me = residents_visible_to(user).filter(user=user).first()
    context: dict[str, Any] = {"resident": me, **chrome(request, "portal")}
    if me is None:
        return render(request, "catalogue/my_services.html", context)
    today = clock.today()
    eligible = selectors.services_for_resident(me, on=today)
    by_pk = {s.pk: s for s in eligible}
    enrolled_pks = list(
        Enrolment.objects.filter(resident=me, status=EnrolmentStatus.ACTIVE).values_list(
            "package_id", flat=True
        )
    )
    packages = selectors.browse_packages(user).filter(pk__in=enrolled_pks)
    groups = []
    in_packages: set[int] = set()
    for package in packages:
        items = [
            (item, by_pk[item.service_id])
            for item in package.items.all()
            if item.service_id in by_pk
        ]
        in_packages.update(service.pk for _item, service in items)
        groups.append({"package": package, "items": items})
    order = {value: index for index, value in enumerate(Category.values)}
    others = sorted(
        (s for s in eligible if s.pk not in in_packages), key=lambda s: order.get(s.category, 99)
    )
    free: dict[int, list[date]] = {}
    slots = selectors.free_slots(user, start=today, end=today + timedelta(days=FREE_SLOT_DAYS))
    for slot in slots:
        day = timezone.localtime(slot.start).date()
        for service in slot.services.all():
            dates = free.setdefault(service.pk, [])
            if day not in dates and len(dates) < FREE_SLOT_DATES:
                dates.append(day)
    for service in eligible:
        service.free_dates = free.get(service.pk, [])  # type: ignore[attr-defined]
    context.update(groups=groups, others=others, free_days=FREE_SLOT_DAYS)
    return render(request, "catalogue/my_services.html", context)
