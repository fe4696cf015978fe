"""Health-profile pages: questionnaires answered by a resident (/r/questionnaires/…), by a
guardian for a dependant (/r/family/…/questionnaires/…) or by staff on a resident's behalf
(/w/residents/…/questionnaires/…), and the resident import with its dry-run report
(/w/residents/import/).

The import page keeps the checked file in the session (as base64 bytes, at most
``forms_questionnaire.IMPORT_MAX_BYTES``) between the dry run and the confirmation, with its
SHA-256 in the confirmation form: the file never stays on disk beyond the upload request,
and what is committed is exactly what was checked.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import Community, User
from careloop.core.views import chrome, is_resident, page_access
from careloop.residents import selectors
from careloop.residents.forms import apply_domain_error
from careloop.residents.forms_questionnaire import ImportForm, QuestionnaireForm
from careloop.residents.importers import ImportReport, import_residents
from careloop.residents.models import Questionnaire, QuestionnaireResponse, Resident
from careloop.residents.profile_selectors import active_questionnaire, latest_response, tag_labels
from careloop.residents.services.questionnaires import submit_questionnaire_response
from careloop.residents.views import can_edit_residents, get_or_404, workbench_chrome

IMPORT_SESSION_KEY = "residents.import.pending"
REPORT_ERROR_LIMIT = 200

# How a questionnaire is reached: the resident themself, a guardian, or staff.
SELF, FAMILY, STAFF = "self", "family", "staff"


# ---- what the record pages show ---------------------------------------------------------


@dataclass(frozen=True)
class QuestionnaireStatus:
    questionnaire: Questionnaire
    latest: QuestionnaireResponse | None
    url: str


def questionnaire_url(mode: str, resident: Resident, code: str, *, done: bool = False) -> str:
    name = {
        SELF: "questionnaire",
        FAMILY: "family_questionnaire",
        STAFF: "staff_questionnaire",
    }[mode] + ("_done" if done else "")
    args = [code] if mode == SELF else [resident.public_id, code]
    return reverse(f"residents:{name}", args=args)


def questionnaire_statuses(resident: Resident, mode: str) -> list[QuestionnaireStatus]:
    """Every questionnaire in use, with the resident's latest answer (of any version)."""
    return [
        QuestionnaireStatus(
            q, latest_response(resident, q.code), questionnaire_url(mode, resident, q.code)
        )
        for q in Questionnaire.objects.filter(active=True).order_by("code")
    ]


# ---- questionnaires -------------------------------------------------------------------------


def _own_record(request: HttpRequest) -> Resident:
    user: User = request.user  # type: ignore[assignment]
    me = selectors.residents_visible_to(user).filter(user=user).first()
    if me is None:
        raise Http404(str(_("No such resident.")))
    return me


def _questionnaire_or_404(code: str) -> Questionnaire:
    questionnaire = active_questionnaire(code)
    if questionnaire is None:
        raise Http404(str(_("No such questionnaire.")))
    return questionnaire


def _page_chrome(request: HttpRequest, mode: str) -> dict[str, Any]:
    if mode == STAFF:
        return {"layout": "layouts/workbench.html", **workbench_chrome(request, "residents")}
    return {"layout": "layouts/resident.html", **chrome(request, "portal")}


def _back_url(mode: str, resident: Resident) -> str:
    if mode == STAFF:
        return reverse("residents:detail", args=[resident.public_id])
    if mode == FAMILY:
        return reverse("residents:family_member", args=[resident.public_id])
    return reverse("residents:portal")


def _answer(request: HttpRequest, resident: Resident, code: str, mode: str) -> HttpResponse:
    questionnaire = _questionnaire_or_404(code)
    latest = latest_response(resident, code)
    if request.method == "POST":
        form = QuestionnaireForm(questionnaire, request.POST)
        if request.POST.get("version") != str(questionnaire.version):
            form.is_valid()
            form.add_error(
                None, _("This questionnaire version is no longer in use; please reload it.")
            )
        elif form.is_valid():
            try:
                submit_questionnaire_response(
                    actor=request.user,  # type: ignore[arg-type]
                    resident=resident,
                    questionnaire=questionnaire,
                    answers=form.answers(),
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except NotFoundError:
                raise Http404(str(_("No such resident."))) from None
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                return redirect(questionnaire_url(mode, resident, code, done=True))
    else:
        form = QuestionnaireForm(questionnaire, previous=latest.answers if latest else None)
    context = {
        "resident": resident,
        "questionnaire": questionnaire,
        "form": form,
        "latest": latest,
        "mode": mode,
        "on_behalf": mode != SELF,
        "back_url": _back_url(mode, resident),
        **_page_chrome(request, mode),
    }
    status = 400 if form.errors else 200
    return render(request, "residents/questionnaire.html", context, status=status)


def _done(request: HttpRequest, resident: Resident, code: str, mode: str) -> HttpResponse:
    questionnaire = _questionnaire_or_404(code)
    latest = latest_response(resident, code)
    if latest is None:
        return redirect(questionnaire_url(mode, resident, code))
    context = {
        "resident": resident,
        "questionnaire": questionnaire,
        "response": latest,
        "tags": tag_labels(resident),
        "mode": mode,
        "back_url": _back_url(mode, resident),
        "edit_url": questionnaire_url(mode, resident, code),
        **_page_chrome(request, mode),
    }
    return render(request, "residents/questionnaire_done.html", context)


@page_access(is_resident)
def questionnaire(request: HttpRequest, code: str) -> HttpResponse:
    return _answer(request, _own_record(request), code, SELF)


@page_access(is_resident)
def questionnaire_done(request: HttpRequest, code: str) -> HttpResponse:
    return _done(request, _own_record(request), code, SELF)


def _dependant(request: HttpRequest, public_id: str) -> Resident:
    resident = get_or_404(request.user, public_id, purpose="guardian")  # type: ignore[arg-type]
    if resident.user_id == request.user.pk:
        raise Http404(str(_("No such resident.")))
    return resident


@page_access(is_resident)
def family_questionnaire(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    return _answer(request, _dependant(request, public_id), code, FAMILY)


@page_access(is_resident)
def family_questionnaire_done(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    return _done(request, _dependant(request, public_id), code, FAMILY)


@page_access(can_edit_residents)
def staff_questionnaire(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    resident = get_or_404(request.user, public_id, purpose="questionnaire")  # type: ignore[arg-type]
    return _answer(request, resident, code, STAFF)


@page_access(can_edit_residents)
def staff_questionnaire_done(request: HttpRequest, public_id: str, code: str) -> HttpResponse:
    resident = get_or_404(request.user, public_id, purpose="questionnaire")  # type: ignore[arg-type]
    return _done(request, resident, code, STAFF)


# ---- import -------------------------------------------------------------------------------


@page_access(can_edit_residents)
def resident_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry-run report; a second POST (``confirm``) commits the checked file."""
    user: User = request.user  # type: ignore[assignment]
    choose_community = user.community_id is None
    if request.method == "POST" and "confirm" in request.POST:
        return _commit_import(request, choose_community)
    form = ImportForm(
        request.POST or None, request.FILES or None, choose_community=choose_community
    )
    report: ImportReport | None = None
    digest = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        community = form.cleaned_data.get("community") or user.community
        assert community is not None  # chosen in the form when the user has no community
        report = _run_import(user, community, data, dry_run=True)
        request.session.pop(IMPORT_SESSION_KEY, None)
        if report.ok:
            digest = hashlib.sha256(data).hexdigest()
            request.session[IMPORT_SESSION_KEY] = {
                "digest": digest,
                "community": community.pk,
                "filename": upload.name[:200],
                "data": base64.b64encode(data).decode("ascii"),
            }
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return _render_import(request, form, report, digest, status)


def _commit_import(request: HttpRequest, choose_community: bool) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    pending = request.session.get(IMPORT_SESSION_KEY)
    form = ImportForm(choose_community=choose_community)
    if not pending or pending.get("digest") != request.POST.get("digest"):
        problem = _("The checked file is no longer available: upload it again.")
        return _render_import(request, form, None, "", 400, problem=problem)
    del request.session[IMPORT_SESSION_KEY]
    community = Community.objects.get(pk=pending["community"])
    data = base64.b64decode(pending["data"])
    report = _run_import(user, community, data, dry_run=False)
    if report.committed:
        messages.success(
            request,
            _("%(count)s residents imported from %(file)s.")
            % {"count": report.created, "file": pending["filename"]},
        )
        return redirect("residents:list")
    return _render_import(request, form, report, "", 400)


def _run_import(user: User, community: Community, data: bytes, *, dry_run: bool) -> ImportReport:
    try:
        return import_residents(actor=user, community=community, file=data, dry_run=dry_run)
    except ForbiddenError:
        raise PermissionDenied from None


def _render_import(
    request: HttpRequest,
    form: ImportForm,
    report: ImportReport | None,
    digest: str,
    status: int,
    *,
    problem: Any = "",
) -> HttpResponse:
    errors = sorted(report.errors, key=lambda e: (e.row, e.column)) if report else []
    context = {
        "form": form,
        "report": report,
        "errors": errors[:REPORT_ERROR_LIMIT],
        "errors_hidden": max(0, len(errors) - REPORT_ERROR_LIMIT),
        "digest": digest,
        "problem": problem,
        **workbench_chrome(request, "import"),
    }
    return render(request, "residents/import.html", context, status=status)
