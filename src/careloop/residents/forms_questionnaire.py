"""Forms built from data: a questionnaire's versioned schema becomes a form, and the resident
import upload. They only shape input; whether an answer is valid is decided by
``questionnaire_schema.validate_answers`` inside ``submit_questionnaire_response`` and comes
back as per-item ``DomainError`` fields, shown next to each item."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from careloop.core.models import Community
from careloop.residents.models import Questionnaire

# The largest file the import page accepts. The checked file waits in the session (bytes,
# base64) between the dry run and the confirmation, so it is kept small; bigger files go
# through the `careloop import-residents` command.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
YES, NO = "yes", "no"


def _text(obj: dict[str, Any], language: str) -> str:
    text: str = obj["text_en"] if language.startswith("en") else obj["text_zh"]
    return text


class QuestionnaireForm(forms.Form):
    """One field per schema item, named by linkId. Every field is optional here: a missing
    required answer is reported by the schema validation, in the same words as the API."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        *args: Any,
        previous: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        language = get_language() or "zh-hans"
        previous = previous or {}
        for item in questionnaire.schema["items"]:
            link_id = item["linkId"]
            field = _field_for(item, language)
            field.required = False
            field.item_required = bool(item.get("required"))  # type: ignore[attr-defined]
            field.item_type = item["type"]  # type: ignore[attr-defined]
            self.fields[link_id] = field
            if link_id in previous:
                self.initial[link_id] = _initial(item, previous[link_id])

    def answers(self) -> dict[str, Any]:
        """The answers as submitted (blank items left out), for the service to validate."""
        answers: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", []):
                continue
            answers[name] = value
        return answers


def _field_for(item: dict[str, Any], language: str) -> forms.Field:
    label = _text(item, language)
    kind = item["type"]
    if kind == "choice":
        choices = [(o["code"], _text(o, language)) for o in item["options"]]
        if item.get("multiple"):
            return forms.MultipleChoiceField(
                label=label,
                choices=choices,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-input"}),
            )
        return forms.ChoiceField(
            label=label, choices=choices, widget=forms.RadioSelect(attrs={"class": "choice-input"})
        )
    if kind == "boolean":
        return forms.ChoiceField(
            label=label,
            choices=[(YES, _("Yes")), (NO, _("No"))],
            widget=forms.RadioSelect(attrs={"class": "choice-input"}),
        )
    if kind in ("integer", "decimal"):
        attrs: dict[str, Any] = {
            "inputmode": "numeric" if kind == "integer" else "decimal",
            "step": "1" if kind == "integer" else "any",
            "class": "input-number",
        }
        for bound in ("min", "max"):
            if item.get(bound) is not None:
                attrs[bound] = item[bound]
        return forms.CharField(label=label, max_length=20, widget=forms.NumberInput(attrs=attrs))
    if kind == "date":
        attrs = {"type": "date"}
        for bound in ("min", "max"):
            if item.get(bound):
                attrs[bound] = item[bound]
        return forms.CharField(label=label, max_length=10, widget=forms.DateInput(attrs=attrs))
    # string: the service enforces the item's max_length with its own message.
    return forms.CharField(label=label, strip=False, widget=forms.Textarea(attrs={"rows": 2}))


def _initial(item: dict[str, Any], value: Any) -> Any:
    if item["type"] == "boolean" and isinstance(value, bool):
        return YES if value else NO
    return value


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet file (CSV or Excel .xlsx)"),
        help_text=_("Headers on the first row, e.g. 姓名, 身份证号, 手机号. At most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.all())

    def __init__(self, *args: Any, choose_community: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not choose_community:
            # Staff import into their own community only.
            del self.fields["community"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 2 MB: split it, or ask an administrator to import it.")
            )
        return upload
