"""Forms of the observation pages. Ranges are checked by ``services.record_reading`` (one
source of truth); the form only parses what was typed."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class BloodPressureForm(forms.Form):
    """A resident's blood pressure typed in by hand. ``entry`` is a fresh id per form shown:
    submitting the same form twice (a double tap, a resent POST) stores one reading."""

    systolic = forms.IntegerField(
        label=_("Systolic pressure (upper number)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    diastolic = forms.IntegerField(
        label=_("Diastolic pressure (lower number)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    effective_at = forms.DateTimeField(
        label=_("Measured at"),
        required=False,
        help_text=_("Leave empty if you measured just now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    entry = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("initial", {"entry": uuid.uuid4()})
        super().__init__(*args, **kwargs)

    @property
    def identifier(self) -> str:
        entry = self.cleaned_data.get("entry")
        return f"web-{entry}" if entry else ""
