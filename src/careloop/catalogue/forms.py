"""Forms of the catalogue pages. They only shape and coerce input (yuan → fen, codes from
lists); every rule about a valid service, provider or schedule lives in ``services`` and
comes back as ``DomainError`` field errors (``apply_domain_error``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.catalogue.models import (
    Category,
    DeliveryMode,
    EligibilitySex,
    ExceptionReason,
    FrequencyUnit,
    Language,
    LifeGroup,
    Organisation,
    OrganisationKind,
    Package,
    Provider,
    ProviderKind,
    ProviderSex,
    Service,
    Skill,
    Tag,
    Tier,
    Weekday,
)
from careloop.core.errors import DomainError
from careloop.core.forms import choice_field, model_choice_field
from careloop.core.models import Community

ANY = [("", _("All"))]
CENT = Decimal("0.01")


class BaseForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def apply_domain_error(
    form: forms.Form, error: DomainError, aliases: dict[str, str] | None = None
) -> None:
    """A service's field errors next to the fields (``aliases`` maps a service field to
    the form field, e.g. ``price_fen`` → ``price_yuan``), the rest at the top."""
    aliases = aliases or {}
    placed = False
    for name, messages in error.fields.items():
        target = aliases.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def fen(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


def code_choices(rows: Any) -> list[tuple[str, str]]:
    return [(row.code, f"{row.name_zh} ({row.code})") for row in rows]


# ---- catalogue ------------------------------------------------------------------------------


class ServiceFilterForm(BaseForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Code or name"), "autocomplete": "off"}
        ),
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=ANY + Tier.choices)
    group = forms.ChoiceField(
        label=_("Life-cycle group"), required=False, choices=ANY + LifeGroup.choices
    )
    package = forms.ChoiceField(label=_("Package"), required=False)
    mode = forms.ChoiceField(
        label=_("Delivery mode"), required=False, choices=ANY + DeliveryMode.choices
    )

    def __init__(self, *args: Any, packages: Sequence[Package] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "package").choices = ANY + [(p.code, p.name_zh) for p in packages]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ServiceForm(BaseForm):
    """The editable fields of a service; prices in yuan with two decimals."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    modes = forms.MultipleChoiceField(
        label=_("Delivery modes"),
        choices=DeliveryMode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    duration_minutes = forms.IntegerField(label=_("Typical duration (minutes)"), min_value=0)
    price_yuan = forms.DecimalField(
        label=_("Price (yuan)"), min_value=0, max_digits=9, decimal_places=2
    )
    insurance_yuan = forms.DecimalField(
        label=_("Covered by insurance (yuan)"), min_value=0, max_digits=9, decimal_places=2
    )
    is_public_health_basic = forms.BooleanField(
        label=_("Basic public-health service (free)"), required=False
    )
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0)
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0)
    sex = forms.ChoiceField(label=_("Sex"), choices=EligibilitySex.choices, required=False)
    required_tags = forms.MultipleChoiceField(
        label=_("Only for residents tagged"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    required_skills = forms.MultipleChoiceField(
        label=_("Required provider skills"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False)

    ALIASES = {"price_fen": "price_yuan", "insurance_covered_fen": "insurance_yuan"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "required_tags").choices = code_choices(Tag.objects.all())
        choice_field(self, "required_skills").choices = code_choices(Skill.objects.all())

    @classmethod
    def for_service(cls, service: Service) -> ServiceForm:
        initial = {
            name: getattr(service, name) for name in cls.base_fields if hasattr(service, name)
        }
        initial.update(
            modes=service.modes,
            price_yuan=(Decimal(service.price_fen) / 100).quantize(CENT),
            insurance_yuan=(Decimal(service.insurance_covered_fen) / 100).quantize(CENT),
            required_tags=[t.code for t in service.required_tags.all()],
            required_skills=[s.code for s in service.required_skills.all()],
        )
        return cls(initial=initial)

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["price_fen"] = fen(data.pop("price_yuan"))
        data["insurance_covered_fen"] = fen(data.pop("insurance_yuan"))
        return data


# ---- packages ------------------------------------------------------------------------------


class PackageForm(BaseForm):
    """The editable fields of a package; ``code`` only when adding one."""

    code = forms.CharField(
        label=_("Code"), max_length=60, help_text=_("For example elderly.local_extra.")
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    group = forms.ChoiceField(label=_("Life-cycle group"), choices=LifeGroup.choices)
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0)
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0)
    sex = forms.ChoiceField(label=_("Sex"), choices=EligibilitySex.choices, required=False)
    required_tags = forms.MultipleChoiceField(
        label=_("Only for residents tagged"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        choice_field(self, "required_tags").choices = code_choices(Tag.objects.all())

    @classmethod
    def for_package(cls, package: Package) -> PackageForm:
        initial = {
            name: getattr(package, name) for name in cls.base_fields if hasattr(package, name)
        }
        initial["required_tags"] = [t.code for t in package.required_tags.all()]
        return cls(initial=initial, editing=True)

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("code", None)
        return data


class PackageItemForm(BaseForm):
    """One row of the items editor: a service, due every N units. A row without a service
    (or ticked "Remove") is left out."""

    service = forms.ChoiceField(label=_("Service"), required=False)
    interval_count = forms.IntegerField(
        label=_("Every"), required=False, min_value=0, widget=forms.NumberInput(attrs={"size": 3})
    )
    interval_unit = forms.ChoiceField(
        label=_("Unit"), choices=FrequencyUnit.choices, initial=FrequencyUnit.MONTH
    )

    def __init__(self, *args: Any, service_choices: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "service").choices = [("", "—"), *service_choices]


BasePackageItemFormSet = forms.formset_factory(PackageItemForm, extra=3, can_delete=True)


class PackageItemFormSet(BasePackageItemFormSet):  # type: ignore[misc,valid-type]
    """The items of a package as rows; three empty rows let an editor add items without
    JavaScript (saving shows three more)."""

    @classmethod
    def get_default_prefix(cls) -> str:
        return "items"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        choices = code_choices(Service.objects.only("code", "name_zh"))
        kwargs.setdefault("form_kwargs", {})["service_choices"] = choices
        super().__init__(*args, **kwargs)
        self.row_forms: list[forms.Form] = []

    @classmethod
    def for_package(cls, package: Package | None, data: Any = None) -> PackageItemFormSet:
        if data is not None:
            return cls(data)
        items = package.items.select_related("service") if package is not None else []
        initial = [
            {
                "service": item.service.code,
                "interval_count": item.interval_count,
                "interval_unit": item.interval_unit,
            }
            for item in items
        ]
        return cls(initial=initial)

    def rows(self) -> list[tuple[str, int | None, str]]:
        """The rows for ``set_package_items``; ``row_forms`` keeps which form each came from."""
        self.row_forms = []
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not data.get("service"):
                continue
            self.row_forms.append(form)
            rows.append((data["service"], data.get("interval_count"), data["interval_unit"]))
        return rows

    def apply_domain_error(self, error: DomainError) -> bool:
        """Put ``items.<row>.<field>`` errors on their rows; True if any was placed."""
        placed = False
        for key, messages in error.fields.items():
            parts = key.split(".")
            if len(parts) != 3 or parts[0] != "items" or not parts[1].isdigit():
                continue
            index = int(parts[1])
            if index < len(self.row_forms):
                form = self.row_forms[index]
                for message in messages:
                    form.add_error(parts[2] if parts[2] in form.fields else None, str(message))
                    placed = True
        return placed


# ---- organisations -------------------------------------------------------------------------


class OrganisationForm(BaseForm):
    """An organisation; ``code`` (and, for a superuser, the managing community) only when
    adding one."""

    code = forms.CharField(
        label=_("Code"), max_length=60, help_text=_("For example east.volunteers.")
    )
    community = forms.ModelChoiceField(
        label=_("Managed by community"),
        queryset=Community.objects.none(),
        required=False,
        help_text=_("Empty: only system administrators manage it."),
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, editing: bool = False, communities: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        else:
            del self.fields["active"]  # a new organisation is active
        if editing or communities is None:
            del self.fields["community"]
        else:
            model_choice_field(self, "community").queryset = communities

    @classmethod
    def for_organisation(cls, organisation: Organisation) -> OrganisationForm:
        initial = {
            name: getattr(organisation, name)
            for name in cls.base_fields
            if hasattr(organisation, name)
        }
        return cls(initial=initial, editing=True)

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("code", None)
        data.pop("community", None)
        return data


# ---- providers -----------------------------------------------------------------------------


class ProviderForm(BaseForm):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=50)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProviderKind.choices)
    sex = forms.ChoiceField(label=_("Sex"), choices=ProviderSex.choices)
    title = forms.CharField(label=_("Professional title"), max_length=60, required=False)
    skills = forms.MultipleChoiceField(
        label=_("Skills"), required=False, widget=forms.CheckboxSelectMultiple
    )
    services = forms.MultipleChoiceField(
        label=_("Services offered"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages and dialects"), required=False, widget=forms.CheckboxSelectMultiple
    )
    radius_km = forms.DecimalField(
        label=_("Home-visit radius (km)"), min_value=0, max_digits=5, decimal_places=1
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        organisations: Any = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["organisation"]
        else:
            model_choice_field(self, "organisation").queryset = organisations
        choice_field(self, "skills").choices = code_choices(Skill.objects.all())
        choice_field(self, "services").choices = code_choices(Service.objects.filter(active=True))
        choice_field(self, "languages").choices = code_choices(Language.objects.all())
        if not self.is_bound and "radius_km" not in self.initial:
            self.initial["radius_km"] = Decimal("3.0")

    @classmethod
    def for_provider(cls, provider: Provider) -> ProviderForm:
        initial = {
            "name": provider.name,
            "kind": provider.kind,
            "sex": provider.sex,
            "title": provider.title,
            "radius_km": provider.radius_km,
            "active": provider.active,
            "skills": [s.code for s in provider.skills.all()],
            "services": [s.code for s in provider.services.all()],
            "languages": [lang.code for lang in provider.languages.all()],
        }
        return cls(initial=initial, editing=True)

    def fields_for_service(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("organisation", None)
        return data


# ---- schedules -----------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class WeeklyScheduleForm(BaseForm):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, initial=30)
    capacity = forms.IntegerField(label=_("Places per slot"), min_value=1, initial=1)
    mode = forms.ChoiceField(label=_("Delivery mode"), choices=DeliveryMode.choices)
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(label=_("Valid to"), required=False, widget=DateInput())
    services = forms.MultipleChoiceField(
        label=_("Services"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every service the provider offers."),
    )
    runs_on_holidays = forms.BooleanField(label=_("Runs on public holidays"), required=False)

    prefix = "schedule"

    def __init__(self, *args: Any, provider: Provider, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        choice_field(self, "services").choices = code_choices(provider.services.all())
        self.initial.setdefault("valid_from", today)

    def schedule_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        codes = set(data.pop("services"))
        data["services"] = [s for s in self.provider.services.all() if s.code in codes]
        data["location"] = data["location"] or ""
        return data


class LeaveForm(BaseForm):
    start_date = forms.DateField(label=_("From"), widget=DateInput())
    end_date = forms.DateField(label=_("To"), widget=DateInput())
    reason = forms.ChoiceField(label=_("Reason"), choices=ExceptionReason.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    prefix = "leave"


class GenerateSlotsForm(BaseForm):
    start = forms.DateField(label=_("From"), widget=DateInput())
    days = forms.IntegerField(label=_("Days ahead"), min_value=1, max_value=92, initial=28)

    prefix = "generate"


class ExcelImportForm(BaseForm):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
