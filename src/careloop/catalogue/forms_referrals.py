"""Forms of the medical-alliance pages: referral agreements (转诊协议) and visiting
specialists' sessions (专家坐诊). They only shape input; the rules live in
``services.referrals`` and come back as field errors (``apply_domain_error``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.forms import ANY, BaseForm, DateInput, TimeInput
from careloop.catalogue.models import (
    Organisation,
    Provider,
    ReferralAgreement,
    ReferralKind,
    SpecialistSession,
    Weekday,
)
from careloop.core.forms import choice_field, model_choice_field

AGREEMENT_STATES = [
    ("active", _("In force")),
    ("upcoming", _("Not yet in force")),
    ("ended", _("Ended")),
]
SESSION_STATES = [
    ("active", _("Running")),
    ("upcoming", _("Not started yet")),
    ("ended", _("Ended")),
    ("cancelled", _("Cancelled")),
]


class OrganisationChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name_zh} ({obj.code})"


class ProviderChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Provider) -> str:
        title = f" · {obj.title}" if obj.title else ""
        return f"{obj.name}{title} · {obj.organisation.name_zh}"


def _search_field(placeholder: Any) -> forms.CharField:
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": placeholder, "autocomplete": "off"}
        ),
    )


class FilterForm(BaseForm):
    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class AgreementFilterForm(FilterForm):
    q = _search_field(_("Organisation or note"))
    state = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + AGREEMENT_STATES)
    partner = forms.ChoiceField(label=_("Partner organisation"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=ANY + ReferralKind.choices)

    def __init__(self, *args: Any, partners: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "partner").choices = ANY + [(o.code, o.name_zh) for o in partners]


class SessionFilterForm(FilterForm):
    q = _search_field(_("Specialty or name"))
    state = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + SESSION_STATES)
    host = forms.ChoiceField(label=_("Host organisation"), required=False)

    def __init__(self, *args: Any, hosts: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "host").choices = ANY + [(o.code, o.name_zh) for o in hosts]


class AgreementForm(BaseForm):
    """An agreement; the signing organisation only when adding one."""

    organisation = OrganisationChoiceField(
        label=_("Signed by"), queryset=Organisation.objects.none()
    )
    partner = OrganisationChoiceField(
        label=_("Partner organisation"), queryset=Organisation.objects.none()
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ReferralKind.choices)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: until further notice."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(
        self, *args: Any, organisations: Any = None, partners: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            model_choice_field(self, "organisation").queryset = organisations
        model_choice_field(self, "partner").queryset = (
            partners if partners is not None else Organisation.objects.none()
        )

    @classmethod
    def for_agreement(cls, agreement: ReferralAgreement, partners: Any) -> AgreementForm:
        initial = {
            "partner": agreement.partner_id,
            "kind": agreement.kind,
            "valid_from": agreement.valid_from,
            "valid_to": agreement.valid_to,
            "note": agreement.note,
        }
        return cls(initial=initial, partners=partners)

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("organisation", None)
        data["note"] = data.get("note") or ""
        return data


class EndAgreementForm(BaseForm):
    last_day = forms.DateField(label=_("Last day"), widget=DateInput())

    prefix = "end"


class SessionForm(BaseForm):
    """A visiting specialist's weekly session; host and specialist only when adding one."""

    host = OrganisationChoiceField(
        label=_("Host organisation"), queryset=Organisation.objects.none()
    )
    provider = ProviderChoiceField(label=_("Specialist"), queryset=Provider.objects.none())
    specialty_zh = forms.CharField(label=_("Specialty (Chinese)"), max_length=60)
    specialty_en = forms.CharField(label=_("Specialty (English)"), max_length=60, required=False)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"), min_value=5, max_value=1440, initial=20
    )
    capacity = forms.IntegerField(label=_("Places per slot"), min_value=1, max_value=500, initial=1)
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: until further notice."),
    )
    runs_on_holidays = forms.BooleanField(label=_("Runs on public holidays"), required=False)

    def __init__(self, *args: Any, hosts: Any = None, providers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if hosts is None:
            del self.fields["host"]
            del self.fields["provider"]
        else:
            model_choice_field(self, "host").queryset = hosts
            model_choice_field(self, "provider").queryset = providers

    @classmethod
    def for_session(cls, session: SpecialistSession) -> SessionForm:
        schedule = session.schedule
        initial = {
            "specialty_zh": session.specialty_zh,
            "specialty_en": session.specialty_en,
            **{
                name: getattr(schedule, name)
                for name in (
                    "weekday", "start_time", "end_time", "slot_minutes", "capacity",
                    "location", "valid_from", "valid_to", "runs_on_holidays",
                )
            },
        }  # fmt: skip
        return cls(initial=initial)

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("host", None)
        data.pop("provider", None)
        data["location"] = data.get("location") or ""
        data["specialty_en"] = data.get("specialty_en") or ""
        return data
