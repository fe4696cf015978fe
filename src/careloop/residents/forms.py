"""Forms of the resident pages. They only shape and coerce input; every rule about what is a
valid resident lives in ``services`` and comes back as ``DomainError`` field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError
from careloop.core.models import Community
from careloop.residents.models import (
    ContactChannel,
    Disability,
    Household,
    Resident,
    TimeOfDay,
)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search residents"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, ID number or mobile phone"),
                "autocomplete": "off",
            }
        ),
    )


class ResidentEditForm(forms.Form):
    """The fields staff may change (``services.STAFF_EDITABLE`` minus the household)."""

    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=60)
    living_alone = forms.BooleanField(label=_("Lives alone"), required=False)
    disability = forms.ChoiceField(
        label=_("Disability"), required=False, choices=Disability.choices
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def for_resident(cls, resident: Resident) -> ResidentEditForm:
        return cls(initial={name: getattr(resident, name) for name in cls.base_fields})


class RegisterResidentForm(ResidentEditForm):
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Sex and birth date are read from the ID number."),
    )
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.all(), required=True
    )

    field_order = ["community", "name", "id_number", "phone", "address", "occupation"]

    def __init__(self, *args: Any, choose_community: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not choose_community:
            # Staff register residents of their own community only.
            del self.fields["community"]


class ContactPreferencesForm(forms.Form):
    """How to reach the resident (``services.update_contact_preferences`` checks the rest)."""

    contact_channel = forms.ChoiceField(
        label=_("Preferred contact"), choices=ContactChannel.choices, widget=forms.RadioSelect
    )
    has_smartphone = forms.BooleanField(label=_("Has a smartphone"), required=False)
    preferred_time_of_day = forms.ChoiceField(
        label=_("Best time to call"), choices=TimeOfDay.choices
    )
    contact_note = forms.CharField(
        label=_("Note for staff"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. hard of hearing, please call")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def for_resident(cls, resident: Resident) -> ContactPreferencesForm:
        return cls(initial={name: getattr(resident, name) for name in cls.base_fields})


class HomeLocationForm(forms.Form):
    """Where the resident's household lives on the map (``services.set_household_location``
    checks the pair and the ranges)."""

    latitude = forms.FloatField(
        label=_("Latitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("For example 30.540000, as Amap or Tencent maps show it (GCJ-02)."),
    )
    longitude = forms.FloatField(
        label=_("Longitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_(
            "Leave both empty if the home is not on the map: the community health centre "
            "then stands in for it."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def for_household(cls, household: Household) -> HomeLocationForm:
        return cls(initial={"latitude": household.latitude, "longitude": household.longitude})


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's field errors next to the fields, the rest at the top of the form."""
    placed = False
    for name, messages in error.fields.items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))
