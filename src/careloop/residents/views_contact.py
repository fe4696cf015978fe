"""Contact preferences (how and when to reach a resident): the resident's own page in the
portal (/r/contact/), a guardian's for a dependant (/r/family/…/contact/), and the form on the
workbench record page (POST /w/residents/…/contact/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.views import chrome, is_resident, page_access
from careloop.residents import services
from careloop.residents.forms import ContactPreferencesForm, ResidentEditForm, apply_domain_error
from careloop.residents.models import Resident
from careloop.residents.views import _render_record, can_edit_residents, get_or_404
from careloop.residents.views_profile import _dependant, _own_record


def _save(request: HttpRequest, resident: Resident, form: ContactPreferencesForm) -> bool:
    """Run the service with the form's data; False (errors on the form) when refused."""
    if not form.is_valid():
        return False
    try:
        services.update_contact_preferences(
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
        return False
    return True


def _portal_page(request: HttpRequest, resident: Resident, back_url: str) -> HttpResponse:
    form = ContactPreferencesForm(request.POST or None)
    if request.method == "POST":
        if _save(request, resident, form):
            messages.success(request, _("Your contact preferences are saved."))
            return redirect(request.path)
    else:
        form = ContactPreferencesForm.for_resident(resident)
    context = {
        "resident": resident,
        "form": form,
        "back_url": back_url,
        "for_self": resident.user_id == request.user.pk,
        **chrome(request, "contact"),
    }
    status = 400 if form.errors else 200
    return render(request, "residents/contact_preferences.html", context, status=status)


@page_access(is_resident)
def contact_preferences(request: HttpRequest) -> HttpResponse:
    return _portal_page(request, _own_record(request), reverse("residents:portal"))


@page_access(is_resident)
def family_contact_preferences(request: HttpRequest, public_id: str) -> HttpResponse:
    resident = _dependant(request, public_id)
    return _portal_page(
        request, resident, reverse("residents:family_member", args=[resident.public_id])
    )


@require_POST
@page_access(can_edit_residents)
def resident_contact_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    resident = get_or_404(user, public_id, purpose="edit")
    form = ContactPreferencesForm(request.POST)
    if _save(request, resident, form):
        messages.success(request, _("The contact preferences are saved."))
        return redirect(reverse("residents:detail", args=[resident.public_id]) + "#contact")
    return _render_record(
        request, resident, ResidentEditForm.for_resident(resident), 400, contact_form=form
    )
