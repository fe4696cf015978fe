"""Medical-alliance pages of the console catalogue: referral agreements (转诊协议, 双向转诊)
and visiting specialists' sessions (专家坐诊) under /console/catalogue/.

Every member of staff reads them, like the organisations; editors of the signing
organisation (an agreement) or of the host (a session) change them (the services check
again). Lists filter with plain GET forms that htmx enhances (results swapped in place).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.catalogue import selectors, services
from careloop.catalogue.forms import apply_domain_error
from careloop.catalogue.forms_referrals import (
    AgreementFilterForm,
    AgreementForm,
    EndAgreementForm,
    SessionFilterForm,
    SessionForm,
)
from careloop.catalogue.models import (
    Organisation,
    Provider,
    ReferralAgreement,
    SpecialistSession,
)
from careloop.catalogue.permissions import can_manage_organisation
from careloop.catalogue.views import GENERATE_DAYS, _manageable_organisations, is_staff, page_chrome
from careloop.core import clock
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import User
from careloop.core.views import page_access


def _render_list(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The whole page, or only its results for an htmx search (``#results`` partial)."""
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and not htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _active_organisations(user: User) -> Any:
    return selectors.organisations_visible_to(user).filter(active=True)


# ---- referral agreements ------------------------------------------------------------------


def _mark_rows(
    user: User,
    rows: Sequence[ReferralAgreement] | Sequence[SpecialistSession],
    owner: Callable[[Any], Organisation],
) -> None:
    """Give each listed row its state today and whether ``user`` may change it (asked once
    per owning organisation)."""
    today = clock.today()
    managed: dict[int, bool] = {}
    for row in rows:
        organisation = owner(row)
        if organisation.pk not in managed:
            managed[organisation.pk] = can_manage_organisation(user, organisation)
        row.can_manage = managed[organisation.pk]  # type: ignore[union-attr]
        row.state = row.state_on(today)  # type: ignore[union-attr]


@page_access(is_staff)
def agreement_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    partners = list(
        selectors.organisations_visible_to(user).select_related(None).only("code", "name_zh")
    )
    form = AgreementFilterForm(request.GET, partners=partners)
    filters = form.filters()
    agreements = list(selectors.agreements_visible_to(user, **filters))
    _mark_rows(user, agreements, lambda agreement: agreement.organisation)
    context = {
        "form": form,
        "agreements": agreements,
        "filtered": bool(filters),
        **page_chrome(request),
    }
    return _render_list(request, "catalogue/agreement_list.html", context)


def _get_agreement(user: User, public_id: str) -> ReferralAgreement:
    agreement = selectors.agreements_visible_to(user).filter(public_id=public_id).first()
    if agreement is None:
        raise Http404(str(_("No such referral agreement.")))
    return agreement


@page_access(is_staff)
def agreement_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    organisations = _manageable_organisations(user)
    if not organisations.exists():
        raise PermissionDenied
    form = AgreementForm(
        request.POST or None,
        organisations=organisations,
        partners=_active_organisations(user),
        initial={"valid_from": clock.today()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.create_referral_agreement(
                    actor=user, organisation=form.cleaned_data["organisation"], **form.changes()
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The referral agreement is added."))
                return redirect("catalogue:agreements")
        status = 400
    context = {"form": form, "agreement": None, **page_chrome(request)}
    return render(request, "catalogue/agreement_form.html", context, status=status)


@page_access(is_staff)
def agreement_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    agreement = _get_agreement(user, public_id)
    if not can_manage_organisation(user, agreement.organisation):
        raise PermissionDenied
    partners = _active_organisations(user) | Organisation.objects.filter(pk=agreement.partner_id)
    status = 200
    if request.method == "POST":
        form = AgreementForm(request.POST, partners=partners)
        if form.is_valid():
            try:
                services.update_referral_agreement(
                    actor=user, agreement=agreement, changes=form.changes()
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The referral agreement is saved."))
                return redirect("catalogue:agreements")
        status = 400
    else:
        form = AgreementForm.for_agreement(agreement, partners)
    return _agreement_page(request, agreement, form, EndAgreementForm(), status)


def _agreement_page(
    request: HttpRequest,
    agreement: ReferralAgreement,
    form: AgreementForm,
    end_form: EndAgreementForm,
    status: int,
) -> HttpResponse:
    today = clock.today()
    if not end_form.is_bound:
        end_form.initial.setdefault("last_day", max(today, agreement.valid_from))
    context = {
        "form": form,
        "end_form": end_form,
        "agreement": agreement,
        "state": agreement.state_on(today),
        "can_end": agreement.valid_to is None or agreement.valid_to > today,
        **page_chrome(request),
    }
    return render(request, "catalogue/agreement_form.html", context, status=status)


@require_POST
@page_access(is_staff)
def agreement_end(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    agreement = _get_agreement(user, public_id)
    if not can_manage_organisation(user, agreement.organisation):
        raise PermissionDenied
    end_form = EndAgreementForm(request.POST)
    if end_form.is_valid():
        try:
            services.end_referral_agreement(
                actor=user, agreement=agreement, last_day=end_form.cleaned_data["last_day"]
            )
        except ForbiddenError:
            raise PermissionDenied from None
        except DomainError as error:
            apply_domain_error(end_form, error)
        else:
            messages.success(request, _("The referral agreement is ended."))
            return redirect("catalogue:agreements")
    partners = _active_organisations(user) | Organisation.objects.filter(pk=agreement.partner_id)
    form = AgreementForm.for_agreement(agreement, partners)
    return _agreement_page(request, agreement, form, end_form, 400)


# ---- specialist sessions ------------------------------------------------------------------


@page_access(is_staff)
def session_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    hosts = list(_active_organisations(user).select_related(None).only("code", "name_zh"))
    form = SessionFilterForm(request.GET, hosts=hosts)
    filters = form.filters()
    sessions = list(selectors.specialist_sessions_visible_to(user, **filters))
    _mark_rows(user, sessions, lambda session: session.host)
    context = {
        "form": form,
        "sessions": sessions,
        "filtered": bool(filters),
        **page_chrome(request),
    }
    return _render_list(request, "catalogue/session_list.html", context)


def _get_session(user: User, public_id: str) -> SpecialistSession:
    session = selectors.specialist_sessions_visible_to(user).filter(public_id=public_id).first()
    if session is None:
        raise Http404(str(_("No such specialist session.")))
    return session


def _generate(provider: Provider) -> int:
    """Slots of the next weeks from the specialist's schedules, as after adding a schedule.
    The write that leads here was authorised and audited; the specialist usually belongs to
    the partner hospital, which the host's director does not manage, so the generation runs
    as the system, for this specialist only."""
    return services.generate_slots(
        actor=None, provider=provider, start=clock.today(), days=GENERATE_DAYS
    ).created


@page_access(is_staff)
def session_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    hosts = _manageable_organisations(user)
    if not hosts.exists():
        raise PermissionDenied
    providers = (
        selectors.providers_visible_to(user)
        .filter(active=True, organisation__active=True)
        .order_by("organisation__kind", "name")
    )
    form = SessionForm(
        request.POST or None,
        hosts=hosts,
        providers=providers,
        initial={"valid_from": clock.today()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.create_specialist_session(
                    actor=user,
                    host=form.cleaned_data["host"],
                    provider=form.cleaned_data["provider"],
                    **form.changes(),
                )
                created = _generate(form.cleaned_data["provider"])
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(
                    request,
                    _("The specialist session is added; %(count)s new slots generated.")
                    % {"count": created},
                )
                return redirect("catalogue:sessions")
        status = 400
    context = {"form": form, "session": None, **page_chrome(request)}
    return render(request, "catalogue/session_form.html", context, status=status)


@page_access(is_staff)
def session_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    session = _get_session(user, public_id)
    if not can_manage_organisation(user, session.host):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = SessionForm(request.POST)
        if form.is_valid():
            try:
                services.update_specialist_session(
                    actor=user, session=session, changes=form.changes()
                )
                _generate(session.provider)
            except ForbiddenError:
                raise PermissionDenied from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The specialist session is saved."))
                return redirect("catalogue:sessions")
        status = 400
    else:
        form = SessionForm.for_session(session)
    context = {
        "form": form,
        "session": session,
        "state": session.state_on(clock.today()),
        **page_chrome(request),
    }
    return render(request, "catalogue/session_form.html", context, status=status)


@require_POST
@page_access(is_staff)
def session_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    session = _get_session(user, public_id)
    if not can_manage_organisation(user, session.host):
        raise PermissionDenied
    try:
        left = services.cancel_specialist_session(actor=user, session=session)
    except ForbiddenError:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("catalogue:session_edit", public_id=session.public_id)
    if left:
        messages.warning(
            request,
            _(
                "The specialist session is cancelled; %(count)s later slots still hold "
                "bookings to rebook."
            )
            % {"count": left},
        )
    else:
        messages.success(request, _("The specialist session is cancelled."))
    return redirect("catalogue:sessions")
