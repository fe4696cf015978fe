"""Pages after completion: the resident rates the service; the family doctor works through
the follow-up calls due (回访), records the answers and any rating given on the phone."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import User
from careloop.core.views import can_use_workbench, chrome, page_access
from careloop.demands import selectors
from careloop.demands.forms_evaluation import FollowUpForm, RatingForm
from careloop.demands.models import RATING_DIMENSIONS, FollowUpStatus, RatingSource
from careloop.demands.services.evaluation import rate_demand, record_follow_up
from careloop.residents.forms import apply_domain_error
from careloop.residents.views import workbench_chrome


def _signed_in(user: User) -> bool:
    return user.is_authenticated


@page_access(_signed_in)
def rate(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        demand = selectors.get_demand_for(user, public_id)
    except NotFoundError:
        raise Http404(str(_("No such demand."))) from None
    rating = getattr(demand, "rating", None)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and rating is None and form.is_valid():
        data = form.cleaned_data
        try:
            rate_demand(
                actor=user, demand=demand, overall=data["overall"], comment=data["comment"],
                source=RatingSource.PORTAL,
                **{d: data[d] for d in RATING_DIMENSIONS},
            )  # fmt: skip
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("demands_eval:rate", public_id=public_id)
    context = {"demand": demand, "rating": rating, "form": form, **chrome(request, "demands")}
    status = 400 if form.errors else 200
    return render(request, "demands/evaluation/rate.html", context, status=status)


@page_access(can_use_workbench)
def follow_ups(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    show = request.GET.get("status", FollowUpStatus.DUE)
    if show not in FollowUpStatus.values:
        show = FollowUpStatus.DUE
    calls = selectors.follow_ups_for(user).filter(status=show)
    page = Paginator(calls, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "statuses": FollowUpStatus.choices,
        **workbench_chrome(request, "follow_ups"),
    }
    return render(request, "demands/evaluation/follow_ups.html", context)


@page_access(can_use_workbench)
def follow_up(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    call = selectors.follow_ups_for(user).filter(demand__public_id=public_id).first()
    if call is None:
        raise Http404(str(_("No such follow-up call.")))
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_follow_up(
                actor=user, call=call, reached=data["reached"],
                problem_solved=data["problem_solved"], new_needs=data["new_needs"],
                note=data["note"], new_services=data["new_services"],
            )  # fmt: skip
            if data["reached"] and data["overall"] and not hasattr(call.demand, "rating"):
                rate_demand(
                    actor=user, demand=call.demand, overall=data["overall"],
                    source=RatingSource.FOLLOW_UP,
                )  # fmt: skip
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The follow-up call is recorded."))
            return redirect("demands_eval:follow_ups")
    context = {
        "call": call,
        "demand": call.demand,
        "form": form,
        **workbench_chrome(request, "follow_ups"),
    }
    status = 400 if form.errors else 200
    return render(request, "demands/evaluation/follow_up.html", context, status=status)
