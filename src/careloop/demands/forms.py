"""Forms of the resident portal's demand pages. They only parse what was typed and turn the
time-of-day and date choices into ``windows``; what a demand may be is checked by
``services.file_demand`` (one source of truth), whose field errors land on these fields."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import Category, DeliveryMode, Service
from careloop.core.forms import choice_field
from careloop.residents.models import Resident

# Days a resident may look ahead: the matching horizon (``matching.adapters.HORIZON_DAYS``).
MAX_DAYS = 28
DEFAULT_DAYS = 7
# Modes offered when no service is chosen (a group session is always a named service).
FREE_TEXT_MODES = (DeliveryMode.HOME, DeliveryMode.CLINIC, DeliveryMode.ONLINE)

ANY_TIME = "any"
TIME_OF_DAY: dict[str, tuple[time, time] | None] = {
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(18, 0)),
    "evening": (time(18, 0), time(21, 0)),
    ANY_TIME: None,
}
TIME_OF_DAY_CHOICES = [
    ("morning", _("Morning (8:00–12:00)")),
    ("afternoon", _("Afternoon (12:00–18:00)")),
    ("evening", _("Evening (18:00–21:00)")),
    (ANY_TIME, _("Any")),
]
PROVIDER_SEX_CHOICES = [("", _("Any")), ("F", _("Female")), ("M", _("Male"))]


def windows_for(
    first: date, last: date, time_of_day: str, tz: ZoneInfo | None = None
) -> list[dict[str, str]]:
    """The acceptable times, local with their offset: one window a day for a time of day,
    one window over the whole range for "any"."""
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    hours = TIME_OF_DAY[time_of_day]
    if hours is None:
        start = datetime.combine(first, time.min, tzinfo=tz)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
        return [{"start": start.isoformat(), "end": end.isoformat()}]
    windows = []
    day = first
    while day <= last:
        windows.append(
            {
                "start": datetime.combine(day, hours[0], tzinfo=tz).isoformat(),
                "end": datetime.combine(day, hours[1], tzinfo=tz).isoformat(),
            }
        )
        day += timedelta(days=1)
    return windows


def service_choices(services: Sequence[Service]) -> list[tuple[Any, Any]]:
    """A blank choice, then the services grouped by category in catalogue order."""
    order = {value: index for index, value in enumerate(Category.values)}
    groups: dict[str, list[tuple[str, str]]] = {}
    for service in sorted(services, key=lambda s: (order.get(s.category, 99), s.sort_order)):
        groups.setdefault(service.category, []).append((service.code, service.name_zh))
    labels = dict(Category.choices)
    return [("", _("No service chosen: I describe my need below"))] + [
        (labels.get(category, category), items) for category, items in groups.items()
    ]


class DemandForm(forms.Form):
    """A need filed in the portal: a service or words, for the resident or a dependant, with
    the delivery modes, time of day, dates and provider sex the resident prefers. ``key`` is
    a fresh id per form shown and becomes the idempotency key: submitting the same form twice
    (a double tap, a resent POST) files one demand."""

    resident = forms.ChoiceField(label=_("For whom"))
    service = forms.ChoiceField(label=_("Service"), required=False)
    description = forms.CharField(
        label=_("Or describe the need in your own words"),
        required=False,
        strip=True,
        help_text=_("For example: my knee hurts when I climb stairs. At most 500 characters."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )
    modes = forms.MultipleChoiceField(
        label=_("How would you like to be served?"),
        required=False,
        help_text=_("Tick every way that suits you; tick none if any way does."),
        widget=forms.CheckboxSelectMultiple,
    )
    time_of_day = forms.ChoiceField(
        label=_("Time of day"), choices=TIME_OF_DAY_CHOICES, widget=forms.RadioSelect
    )
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    provider_sex = forms.ChoiceField(
        label=_("Who serves you"),
        choices=PROVIDER_SEX_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any = None,
        *,
        residents: Sequence[Resident],
        services: Sequence[Service],
        today: date,
        service: Service | None = None,
        **kwargs: Any,
    ) -> None:
        """``residents``: the resident first, then the dependants they may file for;
        ``services``: what may be asked for; ``service``: the one chosen (preselected from
        the link, or posted), whose delivery modes are offered."""
        initial = {
            "resident": residents[0].public_id if residents else "",
            "service": service.code if service else "",
            "time_of_day": ANY_TIME,
            "date_from": today,
            "date_to": today + timedelta(days=DEFAULT_DAYS - 1),
            "provider_sex": "",
            "key": uuid.uuid4(),
            **kwargs.pop("initial", {}),
        }
        kwargs.setdefault("label_suffix", "")  # labels read like the legends beside them
        super().__init__(data, initial=initial, **kwargs)
        self.today = today
        self.services = {s.code: s for s in services}
        self.chosen = service
        choice_field(self, "resident").choices = [(r.public_id, r.name) for r in residents]
        if len(residents) == 1:
            self.fields["resident"].widget = forms.HiddenInput()
        else:
            self.fields["resident"].widget = forms.RadioSelect()
            choice_field(self, "resident").choices = [
                (r.public_id, _("Myself (%(name)s)") % {"name": r.name} if i == 0 else r.name)
                for i, r in enumerate(residents)
            ]
        choice_field(self, "service").choices = service_choices(services)
        offered = service.modes if service else FREE_TEXT_MODES
        labels = dict(DeliveryMode.choices)
        choice_field(self, "modes").choices = [(mode, labels[mode]) for mode in offered]
        self.fields["modes"].error_messages["invalid_choice"] = _(
            "This service is not offered that way: choose from the ways shown."
        )

    def clean_service(self) -> Service | None:
        code = self.cleaned_data.get("service") or ""
        return self.services.get(code) if code else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        first, last = data.get("date_from"), data.get("date_to")
        if first and first < self.today:
            self.add_error("date_from", _("Choose today or a later day."))
        if first and last:
            if last < first:
                self.add_error("date_to", _("The last day cannot be before the first."))
            elif (last - first).days >= MAX_DAYS:
                self.add_error(
                    "date_to",
                    _("Choose at most %(days)s days.") % {"days": MAX_DAYS},
                )
        return data

    @property
    def identifier(self) -> str:
        key = self.cleaned_data.get("key")
        return f"web-{key}" if key else ""

    def windows(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return windows_for(data["date_from"], data["date_to"], data["time_of_day"])


class WithdrawForm(forms.Form):
    """Withdraw a demand, with an optional reason. ``key`` makes a double tap one change."""

    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"maxlength": 200, "autocomplete": "off"}),
    )
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"key": uuid.uuid4()})
        super().__init__(*args, **kwargs)

    @property
    def identifier(self) -> str:
        key = self.cleaned_data.get("key")
        return f"withdraw-{key}" if key else ""
