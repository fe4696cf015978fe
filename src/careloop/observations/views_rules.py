"""Console pages for the alert rules (/console/alert-rules/): every console role reads the
rules in plain words with their version history; a centre director (or system administrator)
edits one, which saves a new version through ``services.update_alert_rule``.

The edit form keeps each rule's shape (which readings, which conditions) and lets a director
change its numbers, severities and whether it is switched on: a shape change is a new rule,
shipped as data."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.views import can_use_console, chrome, page_access
from careloop.observations import codes, rules
from careloop.observations.models import AlertRule, ObservationCode, RuleKind, Severity
from careloop.observations.selectors import active_rules, rule_history
from careloop.observations.services.alerts import RULE_EDITOR_ROLES, update_alert_rule

FIELD_LABELS = {
    "systolic": _("systolic"),
    "diastolic": _("diastolic"),
    "value": _("value"),
    "value2": _("second value"),
}
SOURCE_LABELS = {"device": _("device"), "manual": _("entered by hand"), "clinic": _("clinic")}
OP_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "=": "="}
UNIT_DISPLAY = {"mm[Hg]": "mmHg", "{steps}": "", "Cel": "°C"}
# Parameters of fluctuation and trend rules a director may change: (key, label, whole number).
NUMBER_PARAMETERS = {
    rules.FLUCTUATION: (
        ("window_days", _("Window (days)"), True),
        ("sd_ge", _("Standard deviation at least"), False),
        ("min_readings", _("Readings needed for the standard deviation"), True),
        ("swing_ge", _("Day-to-day swing at least"), False),
    ),
    rules.TREND: (
        ("baseline_days", _("Baseline (days)"), True),
        ("ratio_lt", _("Below this share of the baseline median (0–1)"), False),
        ("consecutive_days", _("Days in a row"), True),
        ("min_baseline_days", _("Baseline days with data needed"), True),
    ),
}


def can_edit_rules(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*RULE_EDITOR_ROLES))


# ---- rules in plain words ----------------------------------------------------------------


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _codes_label(code_list: list[str]) -> str:
    labels = []
    for code in code_list:
        labels.append(str(ObservationCode(code).label) if code in ObservationCode.values else code)
    return "、".join(labels)


def _unit(code_list: list[str]) -> str:
    units = {spec.unit for spec in map(codes.spec_for, code_list) if spec is not None}
    if len(units) != 1:
        return ""
    unit = units.pop()
    return UNIT_DISPLAY.get(unit, unit)


def _severity_label(value: str) -> str:
    return str(Severity(value).label) if value in Severity.values else value


def describe(rule: AlertRule) -> list[str]:
    """The rule's parameters as short translated sentences."""
    params = rule.parameters or {}
    code_list = list(params.get("codes") or [])
    unit = _unit(code_list)
    lines = [str(_("Readings: %(codes)s") % {"codes": _codes_label(code_list)})]
    if rule.kind == rules.THRESHOLD:
        for tier in params.get("tiers") or []:
            conditions = str(_(" or ")).join(
                f"{FIELD_LABELS.get(c[0], c[0])} {OP_SIGNS.get(c[1], c[1])} {_number(c[2])}"
                + (f" {unit}" if unit else "")
                for c in tier.get("any") or []
            )
            line = str(
                _("%(severity)s: %(conditions)s")
                % {"severity": _severity_label(tier.get("severity", "")), "conditions": conditions}
            )
            if tier.get("codes"):
                line += " · " + _codes_label(tier["codes"])
            if tier.get("sources"):
                sources = "、".join(str(SOURCE_LABELS.get(s, s)) for s in tier["sources"])
                line += " · " + str(_("readings from %(sources)s") % {"sources": sources})
            lines.append(line)
    elif rule.kind == rules.FLUCTUATION:
        field = FIELD_LABELS.get(params.get("field", "value"), params.get("field"))
        if params.get("sd_ge") is not None:
            lines.append(
                str(
                    _(
                        "Standard deviation of %(field)s over %(days)s days at least %(sd)s"
                        " (with at least %(count)s readings)"
                    )
                    % {
                        "field": field,
                        "days": params.get("window_days"),
                        "sd": _number(params["sd_ge"]),
                        "count": params.get("min_readings", 3),
                    }
                )
            )
        if params.get("swing_ge") is not None:
            lines.append(
                str(
                    _("Daily mean of %(field)s changes by at least %(swing)s from the day before")
                    % {"field": field, "swing": _number(params["swing_ge"])}
                )
            )
    elif rule.kind == rules.TREND:
        lines.append(
            str(
                _(
                    "Daily total below %(percent)s%% of the median of the %(baseline)s days"
                    " before, %(days)s days in a row (baseline needs %(min)s days with data)"
                )
                % {
                    "percent": _number(round(float(params.get("ratio_lt", 0)) * 100, 1)),
                    "baseline": params.get("baseline_days"),
                    "days": params.get("consecutive_days"),
                    "min": params.get("min_baseline_days"),
                }
            )
        )
    return lines


# ---- the edit form ----------------------------------------------------------------------


class RuleForm(forms.Form):
    """Numbers, severities and on/off of one rule, shaped after its current version."""

    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    active = forms.BooleanField(label=_("Rule is switched on"), required=False)

    def __init__(self, rule: AlertRule, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.rule = rule
        params = rule.parameters or {}
        self.initial.update(severity=rule.severity, active=rule.active)
        unit = _unit(list(params.get("codes") or []))
        if rule.kind == rules.THRESHOLD:
            for i, tier in enumerate(params.get("tiers") or []):
                self.fields[f"tier_{i}_severity"] = forms.ChoiceField(
                    label=_("Tier %(number)s: severity") % {"number": i + 1},
                    choices=Severity.choices,
                )
                self.initial[f"tier_{i}_severity"] = tier.get("severity")
                for j, (field, op, limit) in enumerate(tier.get("any") or []):
                    name = f"tier_{i}_limit_{j}"
                    self.fields[name] = forms.FloatField(
                        label=f"{_('Tier %(number)s') % {'number': i + 1}}: "
                        f"{FIELD_LABELS.get(field, field)} {OP_SIGNS.get(op, op)}",
                        help_text=unit,
                        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                    )
                    self.initial[name] = limit
        for key, label, whole in NUMBER_PARAMETERS.get(rule.kind, ()):
            field_class = forms.IntegerField if whole else forms.FloatField
            self.fields[key] = field_class(
                label=label,
                required=key in params and key not in ("sd_ge", "swing_ge"),
                widget=forms.NumberInput(attrs={"step": "1" if whole else "any"}),
            )
            self.initial[key] = params.get(key)
        self.order_fields(["severity", "active"])

    def parameters(self) -> dict[str, Any]:
        """The current parameters with the submitted numbers put in their places."""
        data = self.cleaned_data
        params = copy.deepcopy(self.rule.parameters or {})
        if self.rule.kind == rules.THRESHOLD:
            for i, tier in enumerate(params.get("tiers") or []):
                tier["severity"] = data[f"tier_{i}_severity"]
                tier["any"] = [
                    [field, op, _plain(data[f"tier_{i}_limit_{j}"])]
                    for j, (field, op, _limit) in enumerate(tier.get("any") or [])
                ]
        for key, _label, _whole in NUMBER_PARAMETERS.get(self.rule.kind, ()):
            value = data.get(key)
            if value is None:
                params.pop(key, None)
            else:
                params[key] = _plain(value)
        return params


def _plain(value: float | int) -> float | int:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# ---- pages ------------------------------------------------------------------------------


@page_access(can_use_console)
def rule_list(request: HttpRequest) -> HttpResponse:
    rows = [(rule, describe(rule)) for rule in active_rules().select_related("created_by")]
    active_codes = {rule.code for rule, _lines in rows}
    switched_off: dict[str, AlertRule] = {}
    for rule in AlertRule.objects.exclude(code__in=active_codes).order_by("code", "-version"):
        switched_off.setdefault(rule.code, rule)
    context = {
        "rows": rows,
        "switched_off": list(switched_off.values()),
        "kinds": dict(RuleKind.choices),
        "can_edit_rules": can_edit_rules(request.user),  # type: ignore[arg-type]
        **chrome(request, "alert_rules"),
    }
    return render(request, "observations/rules.html", context)


@page_access(can_use_console)
def rule_detail(request: HttpRequest, code: str) -> HttpResponse:
    history = list(rule_history(code).select_related("created_by"))
    if not history:
        raise Http404(str(_("No such alert rule.")))
    current = next((rule for rule in history if rule.active), history[0])
    may_edit = can_edit_rules(request.user)  # type: ignore[arg-type]
    form: RuleForm | None = RuleForm(current) if may_edit else None
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        form = RuleForm(current, request.POST)
        if form.is_valid():
            try:
                rule = update_alert_rule(
                    actor=request.user,  # type: ignore[arg-type]
                    code=code,
                    parameters=form.parameters(),
                    severity=form.cleaned_data["severity"],
                    active=form.cleaned_data["active"],
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except NotFoundError:
                raise Http404(str(_("No such alert rule."))) from None
            except DomainError as error:
                form.add_error(None, str(error.message))
                for problems in error.fields.values():
                    for problem in problems:
                        form.add_error(None, str(problem))
            else:
                messages.success(
                    request,
                    _("Saved as version %(version)s.") % {"version": rule.version},
                )
                return redirect("alert_rules:detail", code=code)
    context = {
        "rule": current,
        "lines": describe(current),
        "history": [(rule, describe(rule)) for rule in history],
        "form": form,
        "can_edit_rules": may_edit,
        **chrome(request, "alert_rules"),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "observations/rules_detail.html", context, status=status)
