"""Staff pages for demands: the workbench queue (/w/demands/), one demand with its history and
the actions legal now, filing on a resident's behalf, the emergency green channel (/w/green/),
and the console's deadline breaches and re-planning (/console/demands/).

Views parse, read through the scoped selectors, call one service and render; a refused
service call comes back as a form error on the page. Each action form carries a one-use
token that becomes the service's idempotency key, so a double click acts once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.catalogue.models import DeliveryMode, Slot
from careloop.catalogue.selectors import free_slots
from careloop.core import clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.core.views import chrome, page_access
from careloop.demands import selectors, services
from careloop.demands.forms_workbench import (
    ACTIONS,
    DONE,
    GREEN_STEPS,
    PRIMARY_ACTIONS,
    REASON_ACTIONS,
    REASON_LABELS,
    FileDemandForm,
    GreenStepForm,
    QueueFilterForm,
    ReasonForm,
    ScheduleForm,
    TokenForm,
    new_token,
)
from careloop.demands.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    DeadlineBreach,
    Demand,
    DemandOffer,
    DemandStatus,
    DemandTier,
    GreenChannelCase,
    OfferKind,
    OfferStatus,
)
from careloop.demands.services.green import STEPS
from careloop.residents.forms import apply_domain_error
from careloop.residents.selectors import can_list_residents, residents_visible_to
from careloop.residents.views import workbench_chrome

PAGE_SIZE = 25
SCHEDULE_DAYS = 14
SCHEDULE_CHOICES = 30
BREACH_PAGE_SIZE = 25
# Open, not yet booked: the match-by (or respond-by) deadline still runs.
UNBOOKED = (DemandStatus.SUBMITTED, DemandStatus.ESCALATED, DemandStatus.ACCEPTED)
CONSOLE_ROLES = (Role.CENTRE_DIRECTOR, Role.QUALITY_MANAGER, Role.SYSTEM_ADMIN)

# How the history names each event row's action.
EVENT_LABELS = {
    "file": _("Filed"),
    "accept": _("Accepted"),
    "schedule": _("Scheduled"),
    "start": _("Service started"),
    "complete": _("Completed"),
    "withdraw": _("Withdrawn"),
    "reject": _("Sent back"),
    "escalate": _("Escalated"),
    "fail": _("Not completed"),
    "match": _("Matched"),
    "replan": _("Re-planned"),
    "choose": _("Time chosen"),
    "decline_offer": _("Time declined"),
    "green_channel": _("Green channel opened"),
    "confirm": _("Confirmed by the resident"),
    "decline": _("Declined by the resident"),
}
RELAXED_LABELS = {
    "mode": _("another way of delivery"),
    "window+1d": _("one day either side"),
    "window+3d": _("three days either side"),
    "window+7d": _("a week either side"),
    "provider_sex": _("any provider"),
}


def can_oversee_demands(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*CONSOLE_ROLES))


# ---- small helpers --------------------------------------------------------------------------


def _demand_or_404(user: User, public_id: str) -> Demand:
    try:
        return selectors.get_demand_for(user, public_id)
    except NotFoundError:
        raise Http404(str(_("No such demand."))) from None


def _safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def next_due(demand: Demand) -> Any:
    """The deadline that runs now: respond-by until someone accepts, then match-by."""
    return demand.due_respond_at if demand.status in WAITING_STATUSES else demand.due_match_at


def is_overdue(demand: Demand, now: Any) -> bool:
    return demand.status in UNBOOKED and next_due(demand) < now


def _decorate(demands: Any, now: Any) -> None:
    for demand in demands:
        demand.next_due = getattr(demand, "due_at", None) or next_due(demand)
        demand.overdue = demand.status in UNBOOKED and demand.next_due < now


# ---- the queue /w/demands/ ----------------------------------------------------------------


@page_access(can_list_residents)
def queue(request: HttpRequest) -> HttpResponse:
    """Open demands of the residents in my care: critical first, then by deadline."""
    user: User = request.user  # type: ignore[assignment]
    now = clock.now()
    form = QueueFilterForm(request.GET or None)
    demands = selectors.clinician_queue(user)
    filters = form.cleaned_data if form.is_valid() else {}
    if filters.get("status"):
        demands = demands.filter(status=filters["status"])
    if filters.get("tier"):
        demands = demands.filter(tier=filters["tier"])
    if filters.get("mine"):
        demands = demands.filter(accepted_by=user)
    if filters.get("overdue"):
        demands = demands.filter(status__in=UNBOOKED, due_at__lt=now)
    page = Paginator(demands, PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(page.object_list, now)
    context = {
        "form": form,
        "page": page,
        "now": now,
        **workbench_chrome(request, "demands"),
    }
    return render(request, "demands/workbench/queue.html", context)


# ---- one demand /w/demands/<id>/ ----------------------------------------------------------


def legal_actions(demand: Demand) -> list[str]:
    """The actions the transition table allows from the demand's status, in page order;
    matching again while the demand is open, has a service and is not booked."""
    moves = services.TRANSITIONS
    matchable = bool(demand.service_id) and demand.status in OPEN_STATUSES and not demand.booking_id
    return [
        action
        for action in ACTIONS
        if (action == "match" and matchable)
        or (action in moves and demand.status in moves[action].sources)
    ]


def _offers(demand: Demand) -> QuerySet[DemandOffer]:
    return DemandOffer.objects.filter(demand=demand).select_related(
        "slot__provider", "slot__organisation"
    )


def _slot_label(slot: Slot) -> str:
    start = formats.date_format(timezone.localtime(slot.start), "SHORT_DATETIME_FORMAT")
    return (
        f"{start} · {slot.get_mode_display()} · {slot.provider.name} · {slot.organisation.name_zh}"
    )


def schedule_choices(user: User, demand: Demand) -> tuple[list[Any], dict[str, Slot]]:
    """The times staff may schedule into, grouped: the demand's open offers, then free slots
    of its service in the next two weeks. Returns the choices and the slot of each choice."""
    offered: list[tuple[str, str]] = []
    slots: dict[str, Slot] = {}
    alternative = _("alternative")
    for offer in _offers(demand).filter(status=OfferStatus.OFFERED):
        value = f"offer-{offer.number}"
        kind = "" if offer.kind == OfferKind.MATCH else f" ({alternative})"
        offered.append((value, f"{_slot_label(offer.slot)}{kind}"))
        slots[value] = offer.slot
    taken = {slot.pk for slot in slots.values()}
    today = timezone.localdate(clock.now())
    free: list[tuple[str, str]] = []
    rows = free_slots(
        user, start=today, end=today + timedelta(days=SCHEDULE_DAYS), service=demand.service
    )
    for slot in rows[:SCHEDULE_CHOICES]:
        if slot.pk in taken:
            continue
        value = f"slot-{slot.public_id}"
        free.append((value, _slot_label(slot)))
        slots[value] = slot
    choices: list[Any] = []
    if offered:
        choices.append((_("Offered times"), offered))
    if free:
        choices.append((_("Free times in the next two weeks"), free))
    return choices, slots


def _green_case(demand: Demand) -> GreenChannelCase | None:
    return (
        GreenChannelCase.objects.filter(demand=demand)
        .select_related("on_duty", "transfer_to", "demand__resident", "demand__accepted_by")
        .first()
    )


def _action_forms(
    user: User, demand: Demand, bound: tuple[str, TokenForm] | None = None
) -> dict[str, TokenForm]:
    token = new_token()
    forms: dict[str, TokenForm] = {}
    for action in legal_actions(demand):
        if action == "schedule":
            choices, slots = schedule_choices(user, demand)
            forms[action] = ScheduleForm(token=token, choices=choices, slots=slots, prefix=action)
        elif action in REASON_ACTIONS:
            forms[action] = ReasonForm(token=token, prefix=action)
        else:
            forms[action] = TokenForm(token=token, prefix=action)
    if bound is not None and bound[0] in forms:
        forms[bound[0]] = bound[1]
    return forms


def _windows(demand: Demand) -> list[tuple[datetime, datetime]]:
    windows = []
    for window in demand.windows:
        try:
            start = datetime.fromisoformat(window["start"])
            end = datetime.fromisoformat(window["end"])
        except (KeyError, TypeError, ValueError):
            continue
        windows.append((timezone.localtime(start), timezone.localtime(end)))
    return windows


def _render_detail(
    request: HttpRequest,
    demand: Demand,
    *,
    bound: tuple[str, TokenForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    now = clock.now()
    forms = _action_forms(user, demand, bound)
    shown = [(action, ACTIONS[action], forms[action]) for action in ACTIONS if action in forms]
    buttons = [row for row in shown if row[0] not in REASON_ACTIONS and row[0] != "schedule"]
    reasons = [(*row, REASON_LABELS[row[0]]) for row in shown if row[0] in REASON_ACTIONS]
    green = _green_case(demand)
    offers = list(_offers(demand))
    for offer in offers:
        # A display attribute for the template, not a field of the model.
        offer.relaxed_labels = [RELAXED_LABELS.get(r, r) for r in offer.relaxed]  # type: ignore[attr-defined]
    events = demand.events.select_related("actor").order_by("at", "id")
    if error and bound is not None and forms.get(bound[0]) is bound[1]:
        error = ""  # shown on the action's own form
    context = {
        "demand": demand,
        "resident": demand.resident,
        "now": now,
        "modes": [DeliveryMode(m).label for m in demand.modes if m in DeliveryMode.values],
        "windows": _windows(demand),
        "running": demand.status in UNBOOKED,
        "next_due": next_due(demand),
        "overdue": is_overdue(demand, now),
        "events": [(event, EVENT_LABELS.get(event.action, event.action)) for event in events],
        "breaches": demand.breaches.order_by("detected_at", "id"),
        "offers": offers,
        "actions": shown,
        "buttons": buttons,
        "schedule_form": forms.get("schedule"),
        "reason_actions": reasons,
        "primary_actions": PRIMARY_ACTIONS,
        "labels": ACTIONS,
        "error": error,
        "green": green,
        "green_steps": _green_steps(green),
        "green_token": new_token(),
        **workbench_chrome(request, "demands"),
    }
    return render(request, "demands/workbench/detail.html", context, status=status)


@page_access(can_list_residents)
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    demand = _demand_or_404(user, public_id)
    selectors.record_reads(user, [demand], purpose="demands.workbench")
    return _render_detail(request, demand)


def _bound_form(request: HttpRequest, user: User, demand: Demand, action: str) -> TokenForm:
    if action == "schedule":
        choices, slots = schedule_choices(user, demand)
        return ScheduleForm(request.POST, choices=choices, slots=slots, prefix=action)
    if action in REASON_ACTIONS:
        return ReasonForm(request.POST, prefix=action)
    return TokenForm(request.POST, prefix=action)


def _perform(user: User, demand: Demand, action: str, form: Any) -> str:
    """Call the service for ``action``; returns the message to show."""
    key = form.key(action)
    data = form.cleaned_data
    if action == "match":
        if not services.claim_once(kind="match", token=data["token"]):
            return str(_("This was already done."))
        offers = services.match_demand(actor=user, demand=demand)
        if not offers:
            return str(_("No free time fits this demand now."))
        return str(_("%(count)s times are offered.") % {"count": len(offers)})
    if action == "schedule":
        choice = data["choice"]
        if choice.startswith("offer-") and demand.status in services.TRANSITIONS[action].sources:
            # One of the offered times: the offer is taken (booked, and scheduled with it).
            number = int(choice.removeprefix("offer-"))
            services.accept_offer(actor=user, demand=demand, number=number, idempotency_key=key)
        else:
            services.schedule_demand(
                actor=user, demand=demand, slot=form.slots[choice], idempotency_key=key
            )
        return str(DONE[action])
    # accept_demand, start_demand … withdraw_demand: the rest take the same arguments.
    reason = {"reason": data["reason"]} if action in REASON_ACTIONS else {}
    move = getattr(services, f"{action}_demand")
    move(actor=user, demand=demand, idempotency_key=key, **reason)
    return str(DONE[action])


@require_POST
@page_access(can_list_residents)
def act(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """One action button of the demand page."""
    if action not in ACTIONS:
        raise Http404(str(_("No such action.")))
    user: User = request.user  # type: ignore[assignment]
    demand = _demand_or_404(user, public_id)
    form = _bound_form(request, user, demand, action)
    if not form.is_valid():
        return _render_detail(request, demand, bound=(action, form), status=400)
    try:
        done = _perform(user, demand, action, form)
    except NotFoundError:
        raise Http404(str(_("No such demand."))) from None
    except ForbiddenError:
        raise PermissionDenied from None
    except DomainError as error:
        apply_domain_error(form, error)
        demand = _demand_or_404(user, public_id)
        return _render_detail(
            request, demand, bound=(action, form), error=str(error.message), status=error.status
        )
    messages.success(request, done)
    return redirect("demands_workbench:detail", public_id=demand.public_id)


# ---- filing for a resident /w/residents/<id>/demands/new/ ---------------------------------


def _resident_or_404(user: User, public_id: str) -> Any:
    # Not the audited ``get_resident_for``: the page shows the name only, and filing is
    # audited by the service (which checks the scope again).
    resident = residents_visible_to(user).filter(public_id=public_id).first()
    if resident is None:
        raise Http404(str(_("No such resident.")))
    return resident


@page_access(can_list_residents)
def file(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    resident = _resident_or_404(user, public_id)
    form = FileDemandForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            filed = services.file_or_find_demand(
                actor=user,
                resident=resident,
                idempotency_key=form.key("file"),
                **form.service_kwargs(),
            )
        except NotFoundError:
            raise Http404(str(_("No such resident."))) from None
        except ForbiddenError:
            raise PermissionDenied from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            demand = filed.demand
            if filed.found == services.FOUND_RECENT:
                messages.info(
                    request,
                    _("The same demand was filed for this resident a few minutes ago; here it is."),
                )
            else:
                messages.success(request, _("The demand is filed."))
            if demand.tier == DemandTier.CRITICAL:
                messages.warning(request, _("Critical: the green channel is open."))
            return redirect("demands_workbench:detail", public_id=demand.public_id)
    context = {"resident": resident, "form": form, **workbench_chrome(request, "demands")}
    status = 400 if form.errors else 200
    return render(request, "demands/workbench/file.html", context, status=status)


@page_access(can_list_residents)
def resident_demands(request: HttpRequest, public_id: str) -> HttpResponse:
    """The open demands of one resident (the record page loads this list)."""
    user: User = request.user  # type: ignore[assignment]
    resident = _resident_or_404(user, public_id)
    now = clock.now()
    demands = list(
        selectors.demands_visible_to(user)
        .filter(resident=resident, status__in=OPEN_STATUSES)
        .order_by("due_respond_at", "id")
    )
    _decorate(demands, now)
    context = {
        "resident": resident,
        "demands": demands,
        "now": now,
        **workbench_chrome(request, "demands"),
    }
    template = "demands/workbench/resident_demands.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        template += "#list"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# ---- the green channel /w/green/ ----------------------------------------------------------


def _green_steps(case: GreenChannelCase | None) -> list[tuple[str, Any, Any]]:
    """(step, label, recorded at) in order; nothing when there is no case."""
    if case is None:
        return []
    return [(step, GREEN_STEPS[step], getattr(case, field)) for step, field in STEPS.items()]


@page_access(can_list_residents)
def green(request: HttpRequest) -> HttpResponse:
    """Open green-channel cases of the residents I see, the oldest first."""
    user: User = request.user  # type: ignore[assignment]
    cases = (
        GreenChannelCase.objects.filter(
            closed_at__isnull=True,
            demand__in=selectors.demands_visible_to(user).values("pk"),
        )
        .select_related(
            "demand__resident", "demand__service", "demand__accepted_by", "on_duty", "transfer_to"
        )
        .order_by("opened_at", "id")
    )
    context = {
        "cases": [(case, _green_steps(case)) for case in cases],
        "now": clock.now(),
        "token": new_token(),
        **workbench_chrome(request, "green"),
    }
    return render(request, "demands/workbench/green.html", context)


@require_POST
@page_access(can_list_residents)
def green_step(request: HttpRequest, public_id: str, step: str) -> HttpResponse:
    """Record one step of a demand's green-channel case (recording it again keeps the first
    time, so a double click records once)."""
    if step not in GREEN_STEPS:
        raise Http404(str(_("No such step.")))
    user: User = request.user  # type: ignore[assignment]
    demand = _demand_or_404(user, public_id)
    case = _green_case(demand)
    if case is None:
        raise Http404(str(_("This demand has no green-channel case.")))
    form = GreenStepForm(request.POST)
    fallback = reverse("demands_workbench:detail", args=[demand.public_id]) + "#green"
    if not form.is_valid():
        messages.error(request, _("Please correct the marked fields."))
        return redirect(fallback)
    try:
        services.record_green_step(actor=user, case=case, step=step, note=form.cleaned_data["note"])
    except NotFoundError:
        raise Http404(str(_("No such demand."))) from None
    except ForbiddenError:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Recorded: %(step)s.") % {"step": GREEN_STEPS[step]})
    return redirect(_safe_next(request, form.cleaned_data["next"], fallback))


# ---- console /console/demands/ ------------------------------------------------------------


@page_access(can_oversee_demands)
def console(request: HttpRequest) -> HttpResponse:
    """Open demands by tier and status, and the deadline breaches, in my community."""
    user: User = request.user  # type: ignore[assignment]
    visible = selectors.demands_visible_to(user)
    rows = (
        visible.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("tier", "status")
        .annotate(n=Count("id"))
    )
    counts = {(row["tier"], row["status"]): row["n"] for row in rows}
    tiers = [DemandTier.CRITICAL, DemandTier.URGENT, DemandTier.ROUTINE]
    statuses = [s for s in DemandStatus if s in OPEN_STATUSES]
    table = [
        (
            tier,
            [counts.get((tier.value, s.value), 0) for s in statuses],
            sum(counts.get((tier.value, s.value), 0) for s in statuses),
        )
        for tier in tiers
    ]
    totals = [sum(counts.get((t.value, s.value), 0) for t in tiers) for s in statuses]
    breaches = (
        DeadlineBreach.objects.filter(demand__in=visible.values("pk"))
        .select_related("demand__resident", "demand__service", "demand__accepted_by")
        .order_by("-detected_at", "-id")
    )
    page = Paginator(breaches, BREACH_PAGE_SIZE).get_page(request.GET.get("page"))
    overdue = visible.filter(
        Q(status__in=WAITING_STATUSES, due_respond_at__lt=clock.now())
        | Q(status__in=UNBOOKED, booking__isnull=True, due_match_at__lt=clock.now())
    ).count()
    context = {
        "statuses": statuses,
        "table": table,
        "totals": totals,
        "total": sum(totals),
        "overdue": overdue,
        "page": page,
        "token": new_token(),
        **chrome(request, "demands"),
    }
    return render(request, "demands/console/overview.html", context)


@require_POST
@page_access(can_oversee_demands)
def replan(request: HttpRequest) -> HttpResponse:
    """Re-plan every unconfirmed demand now (the batch optimiser) and say what it did."""
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    if not services.claim_once(kind="replan", token=form.cleaned_data["token"]):
        messages.info(request, _("This was already done."))
        return redirect("demands_workbench:console")
    result = services.replan_unconfirmed(actor=user)
    messages.success(
        request,
        _(
            "%(demands)s demands, %(matched)s matched, %(changed)s with a new suggested time,"
            " %(seconds)s seconds"
        )
        % {
            "demands": result.demands,
            "matched": result.matched,
            "changed": result.changed,
            "seconds": result.seconds,
        },
    )
    return redirect("demands_workbench:console")
