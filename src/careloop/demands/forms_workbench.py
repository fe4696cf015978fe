"""Forms of the workbench demand pages. They only parse what was typed; every rule about a
demand lives in ``services`` and comes back as ``DomainError`` form errors.

Each action form carries ``token``, a fresh id per page shown. The view turns it into the
service's idempotency key, so a double click (or a resent POST) acts once."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from careloop.catalogue.models import DeliveryMode, Service, Slot
from careloop.core.forms import choice_field
from careloop.demands.models import OPEN_STATUSES, Channel, DemandStatus, DemandTier

TOKEN_LENGTH = 32
DEFAULT_WINDOW = (time(8, 0), time(18, 0))


def new_token() -> str:
    return uuid.uuid4().hex


# The action buttons, in the order the page shows them (labels as the workbench says them).
ACTIONS: dict[str, Any] = {
    "accept": pgettext_lazy("demand action", "Accept"),
    "schedule": pgettext_lazy("demand action", "Schedule"),
    "start": pgettext_lazy("demand action", "Start service"),
    "complete": pgettext_lazy("demand action", "Complete"),
    "match": pgettext_lazy("demand action", "Match again"),
    "reject": pgettext_lazy("demand action", "Send back"),
    "escalate": pgettext_lazy("demand action", "Escalate"),
    "fail": pgettext_lazy("demand action", "Could not complete"),
    "withdraw": pgettext_lazy("demand action", "Withdraw"),
}
REASON_ACTIONS = ("reject", "escalate", "fail", "withdraw")
PRIMARY_ACTIONS = ("accept", "schedule", "start", "complete")
REASON_LABELS = {
    "reject": _("Why send it back"),
    "escalate": _("Why escalate (optional)"),
    "fail": _("Why it could not be done (optional)"),
    "withdraw": _("Why withdraw (optional)"),
}
DONE = {
    "accept": _("The demand is accepted."),
    "schedule": _("The demand is scheduled."),
    "start": _("The service has started."),
    "complete": _("The demand is completed."),
    "reject": _("The demand is sent back to matching."),
    "escalate": _("The demand is escalated to the team lead."),
    "fail": _("The demand is recorded as not completed."),
    "withdraw": _("The demand is withdrawn."),
}
GREEN_STEPS: dict[str, Any] = {
    "respond": pgettext_lazy("green channel", "Responded"),
    "ambulance": pgettext_lazy("green channel", "Called 120"),
    "handover": pgettext_lazy("green channel", "Handed over"),
    "close": pgettext_lazy("green channel", "Close the case"),
}


class TokenForm(forms.Form):
    """An action button: nothing but the one-use token."""

    token = forms.CharField(max_length=TOKEN_LENGTH, widget=forms.HiddenInput)

    def __init__(self, *args: Any, token: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {}).setdefault("token", token or new_token())
        super().__init__(*args, **kwargs)

    def key(self, action: str) -> str:
        """The idempotency key of ``action`` posted with this form (at most 64 characters)."""
        return f"w-{action}-{self.cleaned_data['token']}"


class ReasonForm(TokenForm):
    """Send back, escalate, fail, withdraw: a short reason (required by some services)."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ScheduleForm(TokenForm):
    """Pick one of the demand's open offers (``offer-<n>``) or a free slot (``slot-<id>``);
    the view builds the choices (grouped: offered, then free) from the same reads that show
    them, and ``slots`` maps each choice to its slot."""

    choice = forms.ChoiceField(label=_("Time"))

    def __init__(
        self,
        *args: Any,
        choices: list[tuple[str, str]] | None = None,
        slots: dict[str, Slot] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = choices or []
        self.slots = slots or {}
        choice_field(self, "choice").choices = choices
        if self.slots and not self.is_bound:
            self.initial.setdefault("choice", next(iter(self.slots)))


class GreenStepForm(TokenForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    next = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)


# How a member of staff took the need in (the staff channels of ``file_demand``).
FILING_CHANNELS = [
    (Channel.STAFF_PHONE, pgettext_lazy("intake channel", "Phone")),
    (Channel.HOME_VISIT, pgettext_lazy("intake channel", "Home visit")),
    (Channel.WALK_IN, pgettext_lazy("intake channel", "At the centre")),
    (Channel.CLINICIAN_PUSH, pgettext_lazy("intake channel", "Doctor's suggestion")),
]
PROVIDER_SEX = [
    ("", _("No preference")),
    ("F", _("Female")),
    ("M", _("Male")),
]


class FileDemandForm(TokenForm):
    channel = forms.ChoiceField(
        label=_("How the need came in"), choices=FILING_CHANNELS, widget=forms.RadioSelect
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(active=True).order_by("sort_order", "code"),
        required=False,
        empty_label=_("— describe the need instead —"),
    )
    description = forms.CharField(
        label=_("The need in the resident's words"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Chest pain, stroke signs or very low blood sugar open the green channel."),
    )
    modes = forms.MultipleChoiceField(
        label=_("Where"),
        choices=DeliveryMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    window_date = forms.DateField(
        label=_("Preferred day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    window_from = forms.TimeField(
        label=pgettext_lazy("time of day", "From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    window_to = forms.TimeField(
        label=pgettext_lazy("time of day", "Until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    provider_sex = forms.ChoiceField(label=_("Provider"), choices=PROVIDER_SEX, required=False)

    field_order = [
        "channel",
        "service",
        "description",
        "modes",
        "window_date",
        "window_from",
        "window_to",
        "provider_sex",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("channel", Channel.STAFF_PHONE)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if (data.get("window_from") or data.get("window_to")) and not data.get("window_date"):
            self.add_error("window_date", _("Choose the day of the time window."))
        return data

    def windows(self) -> list[dict[str, str]]:
        """The time window as ``file_demand`` takes it (ISO, local time with its offset)."""
        day = self.cleaned_data.get("window_date")
        if day is None:
            return []
        start = self.cleaned_data.get("window_from") or DEFAULT_WINDOW[0]
        end = self.cleaned_data.get("window_to") or DEFAULT_WINDOW[1]
        tz = timezone.get_current_timezone()
        return [
            {
                "start": datetime.combine(day, start, tzinfo=tz).isoformat(),
                "end": datetime.combine(day, end, tzinfo=tz).isoformat(),
            }
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "service": data.get("service"),
            "description": data.get("description", ""),
            "modes": data.get("modes") or [],
            "windows": self.windows(),
            "provider_sex": data.get("provider_sex", ""),
            "system_suggested": data["channel"] == Channel.CLINICIAN_PUSH,
        }


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All open"))]
        + [(s.value, s.label) for s in DemandStatus if s in OPEN_STATUSES],
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All tiers")), *DemandTier.choices]
    )
    mine = forms.BooleanField(label=_("Accepted by me"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
