from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.notifications.services import MAX_OUTCOME_LENGTH


class PhoneOutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome of the call"),
        max_length=MAX_OUTCOME_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("e.g. reached, will come fasting")}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
