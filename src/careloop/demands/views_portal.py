"""The resident portal's demand pages: file a need (/r/demands/new/), my needs
(/r/demands/), and one need's progress (/r/demands/<id>/) with the times offered, withdrawing,
and answering a need the system suggested. A resident acts for themself and for the
dependants they are guardian of; every read goes through ``demands_visible_to`` (another
resident's demand is 404) and every change through one service call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from careloop.catalogue.models import BookingStatus, DeliveryMode, Service
from careloop.catalogue.selectors import services_for_resident
from careloop.core import clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.views import chrome, is_resident, page_access
from careloop.demands import selectors
from careloop.demands import services as demand_services
from careloop.demands.forms import DemandForm, WithdrawForm
from careloop.demands.models import (
    OPEN_STATUSES,
    Channel,
    Demand,
    DemandEvent,
    DemandOffer,
    DemandStatus,
    DemandTier,
    OfferKind,
    OfferStatus,
)
from careloop.residents.forms import apply_domain_error
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

PAGE_SIZE = 20
S = DemandStatus

# The lifecycle as the resident sees it, in order. Labels carry their own context: a
# resident reads "已受理 / 已安排" where staff read the status names.
STEPS = (
    (S.SUBMITTED, pgettext_lazy("demand step", "Submitted")),
    (S.ACCEPTED, pgettext_lazy("demand step", "Accepted")),
    (S.SCHEDULED, pgettext_lazy("demand step", "Scheduled")),
    (S.IN_PROGRESS, pgettext_lazy("demand step", "In service")),
    (S.COMPLETED, pgettext_lazy("demand step", "Completed")),
)
STEP_INDEX: dict[str, int] = {status: index for index, (status, _label) in enumerate(STEPS)}
STEP_INDEX[S.ESCALATED] = STEP_INDEX[S.SUBMITTED]  # still waiting to be taken on
# Every status in the resident's words (the list's badge).
STATUS_LABELS: dict[str, StrPromise] = {
    **dict(STEPS),
    S.ESCALATED: pgettext_lazy("demand step", "Being sped up"),
    S.WITHDRAWN: pgettext_lazy("demand step", "Withdrawn"),
    S.REJECTED: pgettext_lazy("demand step", "Not taken on"),
    S.FAILED: pgettext_lazy("demand step", "Could not be done"),
}
STOPPED = (S.WITHDRAWN, S.REJECTED, S.FAILED)
TIER_BADGES: dict[str, str] = {DemandTier.URGENT: "tag-warn", DemandTier.CRITICAL: "tag-failure"}
WITHDRAWABLE = demand_services.TRANSITIONS["withdraw"].sources
LIVE_BOOKING = (BookingStatus.BOOKED, BookingStatus.ATTENDED)
# While nothing is booked, the resident may still take an offered time.
OFFERABLE = (S.SUBMITTED, S.ESCALATED, S.ACCEPTED)


# ---- who the resident acts for --------------------------------------------------------------


def own_record(user: User) -> Resident | None:
    return residents_visible_to(user).filter(user=user).first()


def family_of(user: User, me: Resident) -> list[Resident]:
    """The resident, then the dependants they are guardian of (by name)."""
    dependants = (
        residents_visible_to(user).filter(guardian_links__guardian=me).exclude(pk=me.pk)
    ).order_by("name", "id")
    return [me, *dependants]


def askable_services(family: list[Resident]) -> tuple[list[Service], dict[str, set[str]]]:
    """Services any of ``family`` may ask for (catalogue order), and per resident (public
    id) the codes that resident is eligible for."""
    today = clock.today()
    eligible: dict[str, set[str]] = {}
    union: dict[str, Service] = {}
    for resident in family:
        services = services_for_resident(resident, on=today)
        eligible[resident.public_id] = {s.code for s in services}
        for service in services:
            union.setdefault(service.code, service)
    return list(union.values()), eligible


# ---- reads, scoped ------------------------------------------------------------------------


def portal_demands(user: User) -> QuerySet[Demand]:
    """The demands ``user`` sees (``demands_visible_to``) with what the portal shows of each
    loaded in the same query: the booked slot's provider and site, whether offers are open."""
    return (
        selectors.demands_visible_to(user)
        .select_related("booking__slot__provider", "booking__slot__organisation")
        .annotate(
            has_open_offers=Exists(
                DemandOffer.objects.filter(demand=OuterRef("pk"), status=OfferStatus.OFFERED)
            )
        )
    )


def open_first(demands: QuerySet[Demand]) -> QuerySet[Demand]:
    return demands.annotate(
        closed=Case(
            When(status__in=OPEN_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("closed", "-created_at", "-id")


def demand_or_404(user: User, public_id: str, *, detail: bool = False) -> Demand:
    demands = portal_demands(user)
    if detail:
        demands = demands.prefetch_related(
            Prefetch("events", queryset=DemandEvent.objects.order_by("at", "id")),
            Prefetch(
                "offers",
                queryset=DemandOffer.objects.filter(status=OfferStatus.OFFERED)
                .select_related("slot__provider", "slot__organisation")
                .order_by("number"),
                to_attr="open_offers",
            ),
        )
    demand = demands.filter(public_id=public_id).first()
    if demand is None:
        raise Http404(str(_("No such demand.")))
    return demand


# ---- how things read ----------------------------------------------------------------------


def when(moment: datetime) -> str:
    """A time as residents read it: "2月11日 星期三 14:00" / "Wed, Feb 11, 14:00"."""
    return dateformat.format(timezone.localtime(moment), pgettext("demand time", "D, M j, H:i"))


def slot_when(slot: Any) -> str:
    end = dateformat.format(timezone.localtime(slot.end), "H:i")
    return f"{when(slot.start)}–{end}"


def mode_label(mode: str) -> str:
    return str(dict(DeliveryMode.choices).get(mode, mode))


def joined(items: list[str]) -> str:
    return pgettext("list separator", ", ").join(items)


def live_booking(demand: Demand) -> Any:
    booking = demand.booking if demand.booking_id else None
    return booking if booking is not None and booking.status in LIVE_BOOKING else None


def place(slot: Any) -> str:
    site = slot.organisation.name_zh if slot.mode != DeliveryMode.HOME else ""
    return " ".join(part for part in (site, slot.location) if part)


def next_step(demand: Demand) -> str:
    """What happens next, in one line (empty when nothing will)."""
    booking = live_booking(demand)
    if (
        demand.system_suggested
        and demand.resident_confirmed is None
        and demand.status in OPEN_STATUSES
    ):
        return str(_("Please tell us whether you need this."))
    offers_open = getattr(demand, "has_open_offers", False) and demand.status in OFFERABLE
    if offers_open and booking is None:
        return str(_("Choose one of the times offered."))
    if demand.status in (S.SUBMITTED, S.ESCALATED):
        if booking is not None:
            return str(
                _("Your time %(when)s is held; waiting for the care team to take it on.")
                % {"when": when(booking.slot.start)}
            )
        if demand.status == S.ESCALATED:
            return str(_("Passed to the team lead to speed it up."))
        return str(_("Waiting for the care team to take it on."))
    if demand.status == S.ACCEPTED:
        return str(_("Taken on; a time is being arranged."))
    if demand.status == S.SCHEDULED and booking is not None:
        return str(_("Booked for %(when)s.") % {"when": when(booking.slot.start)})
    if demand.status == S.IN_PROGRESS:
        return str(_("Being served now."))
    if demand.status == S.COMPLETED:
        return str(_("The service is done."))
    return ""


def summary(demand: Demand, me: Resident) -> dict[str, Any]:
    return {
        "demand": demand,
        "title": demand.service.name_zh if demand.service is not None else demand.description,
        "status_label": STATUS_LABELS[demand.status],
        "is_open": demand.status in OPEN_STATUSES,
        "badge": TIER_BADGES.get(demand.tier, ""),
        "for_other": demand.resident_id != me.pk,
        "next_step": next_step(demand),
    }


@dataclass
class Step:
    status: str
    label: str
    at: datetime | None = None
    done: bool = False
    current: bool = False


@dataclass
class Progress:
    steps: list[Step] = field(default_factory=list)
    stopped_at: datetime | None = None
    stop_reason: str = ""


def progress(demand: Demand, events: list[DemandEvent]) -> Progress:
    """The five steps with the time each was (last) reached. A demand that stopped
    (withdrawn, rejected, failed) shows the steps it had reached and when it stopped."""
    reached: dict[str, datetime] = {}
    stopped_from, stopped_at, reason = "", None, ""
    for event in events:
        if event.to_status in STEP_INDEX and event.from_status != event.to_status:
            reached[event.to_status] = event.at
        if event.to_status in STOPPED and event.from_status != event.to_status:
            stopped_from, stopped_at = event.from_status, event.at
            reason = str((event.detail or {}).get("reason", ""))
    if demand.status in STOPPED:
        current = STEP_INDEX.get(stopped_from, 0)
    else:
        current = STEP_INDEX.get(demand.status, 0)
    steps = []
    for index, (status, label) in enumerate(STEPS):
        done = index <= current
        steps.append(
            Step(
                status=status,
                label=str(label),
                at=reached.get(status) if done else None,
                done=done,
                current=index == current and demand.status not in STOPPED,
            )
        )
    if demand.status == S.REJECTED and not reason:
        reason = demand.reject_reason
    return Progress(steps=steps, stopped_at=stopped_at, stop_reason=reason)


def offer_card(offer: DemandOffer, demand: Demand) -> dict[str, Any]:
    """An offered time in words; an alternative says what was given up ("上门暂无空位；
    2月11日 星期三 14:00 到院？")."""
    slot = offer.slot
    reasons: list[str] = []
    for relaxed in offer.relaxed:
        if relaxed == "mode":
            wanted = joined([mode_label(m) for m in demand.modes]) or mode_label(slot.mode)
            reasons.append(str(_("Nothing free for %(modes)s") % {"modes": wanted}))
        elif relaxed.startswith("window"):
            text = str(_("Nothing free at the times you chose"))
            if text not in reasons:
                reasons.append(text)
        elif relaxed == "provider_sex":
            reasons.append(
                str(_("No female provider is free"))
                if demand.provider_sex == "F"
                else str(_("No male provider is free"))
            )
    card = {
        "offer": offer,
        "when": slot_when(slot),
        "mode": slot.mode,
        "mode_label": mode_label(slot.mode),
        "provider": slot.provider.name,
        "place": place(slot),
        "is_alternative": offer.kind == OfferKind.ALTERNATIVE,
        "question": "",
    }
    if card["is_alternative"]:
        card["question"] = str(
            _("%(reasons)s; %(when)s, %(mode)s?")
            % {"reasons": joined(reasons), "when": when(slot.start), "mode": card["mode_label"]}
        )
    return card


def serving(demand: Demand) -> dict[str, Any] | None:
    """Who is serving and where: the clinician who took it on, the booked provider, time
    and place."""
    booking = live_booking(demand)
    if demand.accepted_by_id is None and booking is None:
        return None
    slot = booking.slot if booking is not None else None
    return {
        "accepted_by": str(demand.accepted_by) if demand.accepted_by_id else "",
        "provider": slot.provider.name if slot else "",
        "when": slot_when(slot) if slot else "",
        "mode": slot.mode if slot else "",
        "mode_label": mode_label(slot.mode) if slot else "",
        "place": place(slot) if slot else "",
        "confirmed": demand.status not in (S.SUBMITTED, S.ESCALATED),
    }


# ---- pages --------------------------------------------------------------------------------


@page_access(is_resident)
def demand_new(request: HttpRequest) -> HttpResponse:
    """File a need: a service (grouped by category, or preselected with ``?service=``) or
    words, for the resident or a dependant, with the preferences turned into windows."""
    user: User = request.user  # type: ignore[assignment]
    me = own_record(user)
    if me is None:
        return redirect("residents:portal")
    family = family_of(user, me)
    services, eligible = askable_services(family)
    by_code = {s.code: s for s in services}
    source = request.POST if request.method == "POST" else request.GET
    chosen = by_code.get(source.get("service", ""))
    form = DemandForm(
        request.POST if request.method == "POST" else None,
        residents=family,
        services=services,
        today=clock.today(),
        service=chosen,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = next(r for r in family if r.public_id == data["resident"])
        service = data["service"]
        if service is not None and service.code not in eligible[resident.public_id]:
            form.add_error(
                "service",
                _("%(name)s cannot use this service; choose another or describe the need.")
                % {"name": resident.name},
            )
        else:
            try:
                filed = demand_services.file_or_find_demand(
                    actor=user,
                    resident=resident,
                    channel=Channel.RESIDENT_WEB,
                    service=service,
                    description=data["description"],
                    modes=data["modes"],
                    windows=form.windows(),
                    provider_sex=data["provider_sex"],
                    idempotency_key=form.identifier,
                )
            except NotFoundError:
                raise Http404(str(_("No such resident."))) from None
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                if filed.found == demand_services.FOUND_RECENT:
                    messages.info(
                        request,
                        _("You filed the same need a few minutes ago; here is its progress."),
                    )
                else:
                    messages.success(request, _("Your need is filed. You can follow it here."))
                return redirect("demands_portal:detail", filed.demand.public_id)
    context = {
        "form": form,
        "resident": me,
        "chosen": chosen,
        **chrome(request, "demands"),
    }
    return render(request, "demands/portal/new.html", context, status=400 if form.errors else 200)


@page_access(is_resident)
def demand_list(request: HttpRequest) -> HttpResponse:
    """My needs and my dependants': open ones first, newest first within each."""
    user: User = request.user  # type: ignore[assignment]
    me = own_record(user)
    if me is None:
        return redirect("residents:portal")
    page = Paginator(open_first(portal_demands(user)), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": [summary(demand, me) for demand in page],
        "resident": me,
        **chrome(request, "demands"),
    }
    return render(request, "demands/portal/list.html", context)


def _render_detail(
    request: HttpRequest,
    demand: Demand,
    *,
    withdraw_form: WithdrawForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    events = list(demand.events.all())
    booking = live_booking(demand)
    offers: list[DemandOffer] = getattr(demand, "open_offers", [])
    show_offers = demand.status in OFFERABLE and booking is None
    context = {
        "demand": demand,
        "title": demand.service.name_zh if demand.service is not None else demand.description,
        "for_other": demand.resident.user_id != user.pk,
        "status_label": STATUS_LABELS[demand.status],
        "badge": TIER_BADGES.get(demand.tier, ""),
        "is_critical": demand.tier == DemandTier.CRITICAL,
        "stopped": demand.status in STOPPED,
        "escalated": demand.status == S.ESCALATED,
        "progress": progress(demand, events),
        "serving": serving(demand),
        "next_step": next_step(demand),
        "offers": [offer_card(o, demand) for o in offers] if show_offers else [],
        "exact": bool(offers) and offers[0].kind == OfferKind.MATCH,
        "hand_matching": show_offers and not offers,
        "mode_labels": [mode_label(m) for m in demand.modes],
        "may_withdraw": demand.status in WITHDRAWABLE,
        "withdraw_form": withdraw_form or WithdrawForm(),
        "ask_confirm": demand.system_suggested
        and demand.resident_confirmed is None
        and demand.status in OPEN_STATUSES,
        "error": error,
        **chrome(request, "demands"),
    }
    return render(request, "demands/portal/detail.html", context, status=status)


@page_access(is_resident)
def demand_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    demand = demand_or_404(user, public_id, detail=True)
    # A guardian reading a dependant's need is audited (as their readings are); one's own not.
    selectors.record_reads(user, [demand], purpose="demands.portal")
    return _render_detail(request, demand)


def _after(request: HttpRequest, demand: Demand, error: DomainError) -> HttpResponse:
    """A refused change: 404/403 as such, anything else shown on the page with its status
    (nothing was written)."""
    if isinstance(error, NotFoundError):
        raise Http404(str(error.message))
    if isinstance(error, ForbiddenError):
        raise PermissionDenied
    fresh = demand_or_404(request.user, demand.public_id, detail=True)  # type: ignore[arg-type]
    return _render_detail(request, fresh, error=str(error.message), status=error.status)


def _detail_url(demand: Demand) -> str:
    return reverse("demands_portal:detail", args=[demand.public_id])


@require_POST
@page_access(is_resident)
def demand_withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    demand = demand_or_404(user, public_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        fresh = demand_or_404(user, public_id, detail=True)
        return _render_detail(request, fresh, withdraw_form=form, status=400)
    try:
        demand_services.withdraw_demand(
            actor=user,
            demand=demand,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.identifier,
        )
    except DomainError as error:
        return _after(request, demand, error)
    messages.success(request, _("Your need is withdrawn."))
    return redirect(_detail_url(demand))


@require_POST
@page_access(is_resident)
def offer_accept(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    demand = demand_or_404(user, public_id)
    try:
        demand = demand_services.accept_offer(actor=user, demand=demand, number=number)
    except DomainError as error:
        return _after(request, demand, error)
    messages.success(request, _("The time is kept for you."))
    return redirect(_detail_url(demand))


@require_POST
@page_access(is_resident)
def offer_decline(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    demand = demand_or_404(user, public_id)
    try:
        demand_services.decline_offer(actor=user, demand=demand, number=number)
    except DomainError as error:
        return _after(request, demand, error)
    messages.info(
        request, _("Noted. If no time suits you, the care team will arrange one with you.")
    )
    return redirect(_detail_url(demand))


@require_POST
@page_access(is_resident)
def demand_confirm(request: HttpRequest, public_id: str) -> HttpResponse:
    """The resident's answer to a need the system suggested: ``confirmed=1`` or ``0``."""
    user: User = request.user  # type: ignore[assignment]
    demand = demand_or_404(user, public_id)
    answer = request.POST.get("confirmed")
    if answer not in ("0", "1"):
        fresh = demand_or_404(user, public_id, detail=True)
        return _render_detail(request, fresh, error=str(_("Answer yes or no.")), status=400)
    try:
        demand_services.confirm_suggested_demand(actor=user, demand=demand, confirmed=answer == "1")
    except DomainError as error:
        return _after(request, demand, error)
    if answer == "1":
        messages.success(request, _("Thank you. We will arrange it."))
    else:
        messages.success(request, _("Thank you. We will not arrange it."))
    return redirect(_detail_url(demand))
