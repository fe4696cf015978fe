"""Observation pages: the health panels of the workbench record (profile, alerts, charts,
devices), acknowledging an alert, registering a device (its token shown once) and revoking it,
the workbench alert queue (/w/alerts/), the resident's "my readings" with a blood pressure form
(/r/readings/), and plotly.js served from the installed package."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Max, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from careloop.core import clock
from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import User
from careloop.core.views import chrome, is_resident, page_access
from careloop.observations import charts, codes, selectors, services
from careloop.observations.forms import BloodPressureForm, DeviceForm
from careloop.observations.models import (
    ACTIVE_STATUSES,
    Alert,
    AlertStatus,
    Device,
    Observation,
    Source,
)
from careloop.residents import profile_selectors
from careloop.residents import selectors as resident_selectors
from careloop.residents.forms import apply_domain_error
from careloop.residents.models import Resident
from careloop.residents.services import EDITOR_ROLES
from careloop.residents.views import workbench_chrome

CHART_DAYS = (30, 90)
CHART_CODES = (codes.BP, *sorted(codes.GLUCOSE_CODES), codes.STEPS)
QUEUE_PAGE_SIZE = 25
RECENT_BP = 7
SEVERITY_ORDER = Case(
    When(severity="critical", then=Value(3)),
    When(severity="urgent", then=Value(2)),
    default=Value(1),
    output_field=IntegerField(),
)
STATUS_ORDER = Case(When(status=AlertStatus.OPEN, then=Value(0)), default=Value(1))


def can_handle_alerts(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*EDITOR_ROLES))


def can_manage_devices(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*EDITOR_ROLES))


def most_pressing_first(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Open before acknowledged, then the most severe, then the newest."""
    return alerts.order_by(STATUS_ORDER, -SEVERITY_ORDER, "-last_triggered_at", "-id")


# ---- the record page's health panels (``{% record_health %}`` in residents/detail.html) ---


def chart_days(request: HttpRequest) -> int:
    raw = request.GET.get("chart", "")
    return int(raw) if raw.isdigit() and int(raw) in CHART_DAYS else CHART_DAYS[0]


def record_health(request: HttpRequest, resident: Resident) -> dict[str, Any]:
    """Profile, active alerts, chart data and devices of a resident the caller has already
    opened through the scoped selector (so no second audited read)."""
    user: User = request.user  # type: ignore[assignment]
    days = chart_days(request)
    until = clock.now()
    since = until - timedelta(days=days)
    alerts = selectors.alerts_visible_to(user).filter(resident=resident)
    readings = selectors.readings_of(resident, since=since).filter(code__in=CHART_CODES)
    data = charts.chart_data(
        readings.only("code", "value", "value2", "effective_at"),
        alerts.filter(last_triggered_at__gte=since).select_related("last_reading"),
        selectors.active_rules(),
        since=since,
        until=until,
    )
    return {
        "profile": profile_selectors.health_profile(resident),
        "alerts": most_pressing_first(alerts.filter(status__in=ACTIVE_STATUSES)),
        "can_handle_alerts": can_handle_alerts(user),
        "chart_data": data,
        "chart_days": days,
        "chart_choices": CHART_DAYS,
        "has_readings": bool(data["bp"]["x"] or data["glucose"]["x"] or data["steps"]["x"]),
        # Devices are shown to editors only (the panel checks ``can_manage_devices``).
        "can_manage_devices": can_manage_devices(user),
        "devices": Device.objects.filter(resident=resident).order_by("-registered_at", "-id"),
        "device_form": DeviceForm(),
    }


@require_POST
@page_access(can_handle_alerts)
def acknowledge(request: HttpRequest, public_id: str, alert_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        alert = selectors.get_alert_for(user, public_id, alert_id)
        services.acknowledge_alert(actor=user, alert=alert)
    except NotFoundError:
        raise Http404(str(_("No such alert."))) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The alert is acknowledged."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("residents:detail", args=[public_id]) + "#alerts"
    return redirect(target)


# ---- devices of a resident: register (token shown once) and revoke ------------------------


def device_endpoints(request: HttpRequest) -> dict[str, str]:
    """Where a device sends its readings (absolute URLs for the setup instructions)."""
    return {
        "api_url": request.build_absolute_uri(reverse("api:post_observations")),
        "fhir_url": request.build_absolute_uri(reverse("fhir:type", args=["Observation"])),
    }


@require_POST
@page_access(can_manage_devices)
def register_device(request: HttpRequest, public_id: str) -> HttpResponse:
    """Register a device and show its token in this response only: it is never stored, put
    in a URL or the session, so it cannot be shown again."""
    user: User = request.user  # type: ignore[assignment]
    # Not the audited ``get_resident_for``: a refused form writes nothing at all (the service
    # checks the scope and role again and audits the registration).
    resident = resident_selectors.residents_visible_to(user).filter(public_id=public_id).first()
    if resident is None:
        raise Http404(str(_("No such resident.")))
    form = DeviceForm(request.POST)
    if form.is_valid():
        try:
            issued = services.register_device(actor=user, resident=resident, **form.cleaned_data)
        except NotFoundError:
            raise Http404(str(_("No such resident."))) from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            context = {
                "resident": resident,
                "device": issued.device,
                "token": issued.key,
                **device_endpoints(request),
                **workbench_chrome(request, "residents"),
            }
            response = render(request, "observations/device_issued.html", context, status=201)
            add_never_cache_headers(response)
            return response
    context = {"resident": resident, "form": form, **workbench_chrome(request, "residents")}
    return render(request, "observations/device_register.html", context, status=400)


@require_POST
@page_access(can_manage_devices)
def revoke_device(request: HttpRequest, public_id: str, device_id: str) -> HttpResponse:
    """Revoke a device in two POSTs: the panel's button asks for confirmation, the
    confirmation (``confirm=1``) revokes."""
    user: User = request.user  # type: ignore[assignment]
    try:
        device = selectors.get_device_for(user, device_id)
    except NotFoundError:
        raise Http404(str(_("No such device."))) from None
    if device.resident.public_id != public_id:
        raise Http404(str(_("No such device.")))
    if request.POST.get("confirm") != "1":
        context = {
            "resident": device.resident,
            "device": device,
            **workbench_chrome(request, "residents"),
        }
        return render(request, "observations/device_revoke.html", context)
    try:
        services.revoke_device(actor=user, device=device)
    except NotFoundError:
        raise Http404(str(_("No such device."))) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The device is revoked: its token no longer works."))
    return redirect(reverse("residents:detail", args=[public_id]) + "#devices")


# ---- workbench alert queue /w/alerts/ -----------------------------------------------------


@page_access(resident_selectors.can_list_residents)
def alert_queue(request: HttpRequest) -> HttpResponse:
    """Active alerts of the residents in my care (my teams; the community for directors)."""
    user: User = request.user  # type: ignore[assignment]
    show = request.GET.get("status", AlertStatus.OPEN)
    if show not in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
        show = AlertStatus.OPEN
    alerts = selectors.active_alerts_visible_to(user)
    counts = {
        status: alerts.filter(status=status).count()
        for status in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
    }
    queue = most_pressing_first(alerts.filter(status=show)).select_related("resident")
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "counts": counts,
        "statuses": [
            (AlertStatus.OPEN, AlertStatus.OPEN.label),
            (AlertStatus.ACKNOWLEDGED, AlertStatus.ACKNOWLEDGED.label),
        ],
        "can_handle_alerts": can_handle_alerts(user),
        **workbench_chrome(request, "alerts"),
    }
    return render(request, "observations/alert_queue.html", context)


# ---- resident portal: my readings /r/readings/ --------------------------------------------


def _latest(readings: QuerySet[Observation], active: list[Any]) -> dict[str, Any] | None:
    obs = readings.first()
    if obs is None:
        return None
    status = charts.reading_status(obs, active)
    return {"reading": obs, "status": status, "label": charts.status_label(status)}


def readings_summary(resident: Resident) -> dict[str, Any]:
    active = list(selectors.active_rules())
    glucose = selectors.readings_of(resident).filter(code__in=codes.GLUCOSE_CODES)
    latest_steps = selectors.readings_of(resident, code=codes.STEPS).first()
    steps = None
    if latest_steps is not None:
        # The largest counter of the latest local day with steps (daily counters add up).
        day = timezone.localtime(latest_steps.effective_at).date()
        start = timezone.make_aware(datetime.combine(day, time.min))
        same_day = selectors.readings_of(
            resident, code=codes.STEPS, since=start, until=start + timedelta(days=1)
        )
        steps = {"day": day, "value": same_day.aggregate(top=Max("value"))["top"]}
    return {
        "bp": _latest(selectors.readings_of(resident, code=codes.BP), active),
        "glucose": _latest(glucose, active),
        "steps": steps,
        "recent_bp": selectors.readings_of(resident, code=codes.BP)[:RECENT_BP],
    }


@page_access(is_resident)
def my_readings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    me = resident_selectors.residents_visible_to(user).filter(user=user).first()
    if me is None:
        return redirect("residents:portal")
    return _readings_page(request, me, reverse("observations:my_readings"))


@page_access(is_resident)
def family_readings(request: HttpRequest, public_id: str) -> HttpResponse:
    """A guardian reads and enters a dependant's readings (an elder who cannot use a phone)."""
    try:
        dependant = resident_selectors.get_resident_for(
            request.user,  # type: ignore[arg-type]
            public_id,
            purpose="guardian",
        )
    except NotFoundError:
        raise Http404(str(_("No such resident."))) from None
    if dependant.user_id == request.user.pk:
        return redirect("observations:my_readings")
    return _readings_page(
        request, dependant, reverse("observations:family_readings", args=[dependant.public_id])
    )


def _readings_page(request: HttpRequest, resident: Resident, here: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    own = resident.user_id == user.pk
    form = BloodPressureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = services.record_reading(
                actor=user,
                resident=resident,
                code=codes.BP,
                value=data["systolic"],
                value2=data["diastolic"],
                effective_at=data["effective_at"] or clock.now(),
                source=Source.MANUAL,
                identifier=form.identifier,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            if not recorded.created:
                messages.info(request, _("This reading was already saved."))
            elif own:
                messages.success(request, _("Your blood pressure is saved."))
            else:
                messages.success(
                    request,
                    _("%(name)s's blood pressure is saved.") % {"name": resident.name},
                )
            return redirect(here)
    context = {
        "resident": resident,
        "own": own,
        "here": here,
        "back": reverse("residents:portal")
        if own
        else reverse("residents:family_member", args=[resident.public_id]),
        "form": form,
        **readings_summary(resident),
        **chrome(request, "readings" if own else "portal"),
    }
    return render(
        request, "observations/my_readings.html", context, status=400 if form.errors else 200
    )


# ---- plotly.js from the installed ``plotly`` package (no CDN) -----------------------------


@cache
def _plotly() -> tuple[bytes, bytes, str]:
    """The bundle, its gzip and an ETag, read once per process."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    body = path.read_bytes()
    return body, gzip.compress(body, 6), hashlib.sha256(body).hexdigest()[:16]


def plotly_version() -> str:
    import plotly

    return str(plotly.__version__)


@require_GET
def plotly_js(request: HttpRequest) -> HttpResponse:
    """plotly.min.js, cached for a year: the URL carries the package version (``?v=``)."""
    body, zipped, etag = _plotly()
    quoted = f'"{etag}"'
    if request.headers.get("If-None-Match") == quoted:
        response: HttpResponse = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(zipped, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = quoted
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Vary"] = "Accept-Encoding"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def plotly_url() -> str:
    return f"{reverse('observations:plotly_js')}?v={plotly_version()}"
