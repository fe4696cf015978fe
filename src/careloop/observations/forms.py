"""Forms of the observation pages. Ranges are checked by ``services.record_reading`` (one
source of truth); the form only parses what was typed."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.observations.models import DeviceKind


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"entry": uuid.uuid4()})
        super().__init__(*args, **kwargs)

    @property
    def identifier(self) -> str:
        entry = self.cleaned_data.get("entry")
        return f"web-{entry}" if entry else ""


class DeviceForm(forms.Form):
    """A measuring device registered to a resident on the workbench record. Lengths and the
    serial's uniqueness are checked by ``services.register_device``."""

    kind = forms.ChoiceField(label=_("Kind"), choices=DeviceKind.choices)
    serial = forms.CharField(
        label=_("Serial number"),
        required=False,
        help_text=_("As printed on the device; leave empty if it has none."),
        widget=forms.TextInput(attrs={"maxlength": 64, "autocomplete": "off"}),
    )
    label = forms.CharField(
        label=_("Label"),
        required=False,
        help_text=_("A name to tell the resident's devices apart, such as “bedroom”."),
        widget=forms.TextInput(attrs={"maxlength": 100, "autocomplete": "off"}),
    )
