"""Life events on the workbench record page: the small form posts here
(POST /w/residents/…/life-events/); a refused form is shown again on its own page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.views import page_access
from careloop.residents.forms import apply_domain_error
from careloop.residents.forms_events import LifeEventForm
from careloop.residents.services.events import record_life_event
from careloop.residents.views import can_edit_residents, get_or_404, workbench_chrome


@page_access(can_edit_residents)
def life_event_new(request: HttpRequest, public_id: str) -> HttpResponse:
    resident = get_or_404(request.user, public_id, purpose="life_event")  # type: ignore[arg-type]
    form = LifeEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_life_event(
                actor=request.user,  # type: ignore[arg-type]
                resident=resident,
                **form.cleaned_data,
            )
        except ForbiddenError:
            raise PermissionDenied from None
        except NotFoundError:
            raise Http404(str(_("No such resident."))) from None
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(
                request,
                _("The life event is recorded and the resident is asked about their needs."),
            )
            return redirect("residents:detail", public_id=resident.public_id)
    context = {
        "resident": resident,
        "form": form,
        "back_url": reverse("residents:detail", args=[resident.public_id]),
        **workbench_chrome(request, "residents"),
    }
    return render(request, "residents/life_event.html", context, status=400 if form.errors else 200)
