"""Outbox pages: the inbox of the resident portal (/r/messages/) and of the workbench
(/w/messages/), marking a message read, and the care team's phone-call tasks (/w/calls/)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.core.errors import DomainError, NotFoundError
from careloop.core.models import User
from careloop.core.views import can_use_workbench, chrome, is_resident, page_access
from careloop.notifications import selectors, services
from careloop.notifications.forms import PhoneOutcomeForm
from careloop.residents.forms import apply_domain_error
from careloop.residents.views import workbench_chrome

INBOX_PAGE_SIZE = 20
TASKS_PAGE_SIZE = 25
RECENT_CALLS = 10


def can_read_messages(user: User) -> bool:
    return is_resident(user) or can_use_workbench(user)


# ---- inbox --------------------------------------------------------------------------------


def _inbox(request: HttpRequest, *, portal: str, context: dict[str, Any]) -> HttpResponse:
    """The inbox in the resident portal (``portal="resident"``) or the workbench."""
    user: User = request.user  # type: ignore[assignment]
    inbox = selectors.inbox_for(user)
    page = Paginator(inbox, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    in_portal = portal == "resident"
    context.update(
        layout="layouts/resident.html" if in_portal else "layouts/workbench.html",
        in_portal=in_portal,
        read_url="notifications:mark_read" if in_portal else "notifications:staff_mark_read",
        page=page,
        unread=inbox.filter(read_at=None).count(),
    )
    return render(request, "notifications/inbox.html", context)


@page_access(is_resident)
def resident_inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request, portal="resident", context=chrome(request, "messages"))


@page_access(can_use_workbench)
def staff_inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request, portal="workbench", context=workbench_chrome(request, "messages"))


@require_POST
@page_access(can_read_messages)
def mark_read(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        message = selectors.get_message_for(user, public_id)
        services.mark_read(actor=user, message=message)
    except NotFoundError:
        raise Http404(str(_("No such message."))) from None
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        in_portal = request.resolver_match.url_name == "mark_read"  # type: ignore[union-attr]
        target = reverse("notifications:inbox" if in_portal else "notifications:staff_inbox")
    return redirect(target)


# ---- phone-call tasks of the care team ----------------------------------------------------


def _phone_tasks_page(
    request: HttpRequest,
    *,
    failed: tuple[str, PhoneOutcomeForm] | None = None,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    tasks = selectors.phone_tasks_for(user)
    page = Paginator(tasks, TASKS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for task in page.object_list:
        form = failed[1] if failed and failed[0] == task.public_id else PhoneOutcomeForm()
        rows.append((task, form))
    context = {
        "page": page,
        "rows": rows,
        "recent": selectors.done_phone_tasks_for(user)[:RECENT_CALLS],
        **workbench_chrome(request, "calls"),
    }
    return render(request, "notifications/phone_tasks.html", context, status=400 if failed else 200)


@page_access(can_use_workbench)
def phone_tasks(request: HttpRequest) -> HttpResponse:
    return _phone_tasks_page(request)


@require_POST
@page_access(can_use_workbench)
def complete_phone_task(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        task = selectors.get_phone_task_for(user, public_id)
    except NotFoundError:
        raise Http404(str(_("No such phone task."))) from None
    form = PhoneOutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.complete_phone_task(
                actor=user, message=task, outcome=form.cleaned_data["outcome"]
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            # services only ever create phone-call tasks for a resident (deleted with them)
            assert task.resident is not None
            messages.success(
                request, _("The call to %(name)s is recorded.") % {"name": task.resident.name}
            )
            return redirect("notifications:phone_tasks")
    return _phone_tasks_page(request, failed=(task.public_id, form))
