"""Forms of the rating page and the follow-up call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Service
from careloop.core.forms import model_choice_field

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

STARS = [("", _("Not rated"))] + [(str(n), "★" * n) for n in range(5, 0, -1)]


def _stars(label: str | StrPromise, *, required: bool = False) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=STARS if not required else STARS[1:], coerce=int,
        required=required, empty_value=None, widget=forms.RadioSelect,
    )  # fmt: skip


class RatingForm(forms.Form):
    overall = _stars(_("Overall"), required=True)
    response_speed = _stars(_("Response speed"))
    professionalism = _stars(_("Professionalism"))
    attitude = _stars(_("Attitude"))
    result = _stars(_("Result"))
    convenience = _stars(_("Convenience"))
    comment = forms.CharField(
        label=_("Anything else you want to tell us?"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip


class FollowUpForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=_("Did you reach the resident?"),
        choices=[("yes", _("Yes")), ("no", _("No, could not reach them"))],
        coerce=lambda v: v == "yes", widget=forms.RadioSelect, initial="yes",
    )  # fmt: skip
    problem_solved = forms.TypedChoiceField(
        label=_("Did the service solve the problem?"),
        choices=[("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes", empty_value=None, required=False,
    )  # fmt: skip
    overall = _stars(_("Overall rating given on the phone"))
    new_needs = forms.CharField(
        label=_("Any new needs?"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    new_services = forms.ModelMultipleChoiceField(
        label=_("File new demands for"), required=False,
        queryset=Service.objects.filter(active=True).order_by("code"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A documented per-instance hook; the stubs see a method and a lambda of one argument.
        model_choice_field(self, "new_services").label_from_instance = lambda s: s.name_zh  # type: ignore[assignment]
