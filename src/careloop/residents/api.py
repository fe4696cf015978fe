"""Residents API: list (scoped, paginated, searchable), register, read and change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from careloop.core.api import current_user
from careloop.core.errors import DomainError, ForbiddenError
from careloop.core.models import Community, User
from careloop.core.schemas import ErrorOut
from careloop.residents import selectors, services
from careloop.residents.models import Resident
from careloop.residents.schemas import ResidentIn, ResidentOut, ResidentPatch

MAX_PAGE_SIZE = 100

router = Router(tags=["residents"])


@router.get("", response={200: list[ResidentOut], 403: ErrorOut})
@paginate(PageNumberPagination, page_size=settings.CARELOOP_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_residents(request: HttpRequest, q: str = "") -> QuerySet[Resident]:
    """Residents the caller may see; ``q`` matches part of a name, or a whole ID number or
    mobile number. Staff of a care team or of the community only."""
    user = current_user(request)
    if not selectors.can_list_residents(user):
        raise ForbiddenError("residents.list_forbidden", _("Your role may not list residents."))
    return selectors.with_active_contract(selectors.search_residents(user, q))


@router.post("", response={201: ResidentOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut})
def create_resident(request: HttpRequest, payload: ResidentIn) -> Status[Resident]:
    """Register a resident in the caller's community (a superuser names the community)."""
    user = current_user(request)
    data: dict[str, Any] = payload.dict()
    community = _community_for(user, data.pop("community"))
    resident = services.register_resident(actor=user, community=community, **data)
    return Status(201, resident)


@router.get("/{public_id}", response={200: ResidentOut, 404: ErrorOut})
def get_resident(request: HttpRequest, public_id: str) -> Resident:
    """One resident the caller may see; anyone else's record is 404. Staff reads are
    audited."""
    resident = selectors.get_resident_for(current_user(request), public_id)
    return resident


@router.patch("/{public_id}", response={200: ResidentOut, 400: ErrorOut, 404: ErrorOut})
def update_resident(request: HttpRequest, public_id: str, payload: ResidentPatch) -> Resident:
    """Change the fields sent. Residents may change their own phone and address."""
    user = current_user(request)
    resident = selectors.get_resident_for(user, public_id, purpose="update")
    resident = services.update_resident(
        actor=user, resident=resident, changes=payload.dict(exclude_unset=True)
    )
    return resident


def _community_for(user: User, code: str | None) -> Community:
    if code is None:
        if user.community_id is None:
            raise _invalid_community(_("This field is required."))
        return user.community  # type: ignore[return-value]
    community = Community.objects.filter(code=code).first()
    if community is None:
        raise _invalid_community(_("No community has this code."))
    return community


def _invalid_community(message: Any) -> DomainError:
    return DomainError(
        "residents.invalid", _("Please correct the marked fields."), fields={"community": [message]}
    )
