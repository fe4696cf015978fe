"""Errors as OperationOutcome, with the HTTP status FHIR expects.

Status policy (``docs``: the facade's error vocabulary):

- 400 ``structure``/``invalid``/``value``: the body is not JSON, not the resource type the URL
  names, or fails R4B validation (one issue per pydantic error, with ``expression``); also a
  service's ``DomainError`` that carries field errors, i.e. the resource's *content* is wrong
  (a bad ID-number check digit): one issue per field message, ``expression`` from the
  handler's ``field_paths``, the translated message in ``diagnostics``.
- 422 ``business-rule``: a service's ``DomainError`` without field errors (the resource is
  well-formed but a rule forbids it).
- 401 ``login``, 403 ``forbidden``/``security`` (a write the caller's role may not make);
  an out-of-scope *read* is always 404, never 403.
- 404 ``not-found``: unknown id, record outside the caller's scope, unknown resource type.
- 405 ``not-supported``: a known interaction this type does not implement; 501 for
  interactions and operations the facade does not implement at all (history, ``$op``).
- 409 ``conflict``: ``ConflictError`` (a concurrent duplicate); 412 ``multiple-matches``: a
  conditional create or reference matches more than one record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext as _
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

from careloop.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError


@dataclass(frozen=True)
class Issue:
    code: str  # FHIR IssueType: invalid, structure, value, not-found, business-rule, …
    diagnostics: str
    expression: tuple[str, ...] = ()
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


class FhirError(Exception):
    """A failure answered with an OperationOutcome and ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        *,
        expression: Iterable[str] = (),
        issues: Iterable[Issue] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.issues: list[Issue] = list(issues) or [
            Issue(code=code, diagnostics=diagnostics, expression=tuple(expression))
        ]
        self.headers = dict(headers or {})

    def outcome(self) -> OperationOutcome:
        return operation_outcome(self.issues)

    def in_entry(self, index: int) -> FhirError:
        """The same error as seen from entry ``index`` of a Bundle: expressions prefixed with
        ``Bundle.entry[i].resource`` and the entry named in ``diagnostics``."""
        prefix = f"Bundle.entry[{index}]"
        issues = [
            replace(
                issue,
                diagnostics=_("Entry %(index)d: %(message)s")
                % {"index": index, "message": issue.diagnostics},
                expression=tuple(_in_entry(prefix, path) for path in issue.expression) or (prefix,),
            )
            for issue in self.issues
        ]
        return FhirError(self.status, "", "", issues=issues, headers=self.headers)


def _in_entry(prefix: str, path: str) -> str:
    if path.startswith("Bundle."):
        return path
    return f"{prefix}.resource.{path.split('.', 1)[1]}" if "." in path else f"{prefix}.resource"


def operation_outcome(issues: Iterable[Issue]) -> OperationOutcome:
    return OperationOutcome.model_validate(
        {"resourceType": "OperationOutcome", "issue": [issue.as_dict() for issue in issues]}
    )


def informational(message: str) -> OperationOutcome:
    return operation_outcome(
        [Issue(code="informational", diagnostics=message, severity="information")]
    )


# ---- common errors ---------------------------------------------------------------------------


def not_found(resource_type: str, resource_id: str) -> FhirError:
    return FhirError(
        404,
        "not-found",
        _("%(type)s/%(id)s is not known.") % {"type": resource_type, "id": resource_id},
    )


def unknown_type(resource_type: str) -> FhirError:
    return FhirError(
        404,
        "not-supported",
        _("The resource type %(type)s is not supported here.") % {"type": resource_type},
    )


def not_allowed(resource_type: str, interaction: str, allow: Iterable[str] = ()) -> FhirError:
    return FhirError(
        405,
        "not-supported",
        _("The interaction %(interaction)s is not supported for %(type)s.")
        % {"interaction": interaction, "type": resource_type},
        headers={"Allow": ", ".join(allow)} if allow else None,
    )


def invalid(message: str, *, expression: Iterable[str] = (), code: str = "invalid") -> FhirError:
    return FhirError(400, code, message, expression=expression)


# ---- translating other errors ----------------------------------------------------------------


def from_validation_error(exc: ValidationError, resource_type: str) -> FhirError:
    """R4B/pydantic validation failure → 400 with one issue per error and its FHIRPath."""
    issues = [
        Issue(
            code="required" if "missing" in str(error.get("type", "")) else "structure",
            diagnostics=_validation_message(error),
            expression=(_fhirpath(resource_type, error.get("loc", ())),),
        )
        for error in exc.errors()
    ]
    return FhirError(400, "structure", _("The resource is not valid."), issues=issues)


def _validation_message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if "missing" in kind:
        return _("This element is required.")
    if kind == "extra_forbidden":
        return _("This element is not part of the resource.")
    # The validator's own English text names the constraint (regex, type) precisely.
    return _("This element is not valid: %(reason)s") % {"reason": error.get("msg", "")}


def _fhirpath(resource_type: str, loc: Iterable[Any]) -> str:
    path = resource_type
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "resource_type":
            path += ".resourceType"
        elif part not in {"", "__root__"}:
            path += f".{part}"
    return path


def from_domain_error(
    exc: DomainError, resource_type: str, field_paths: Mapping[str, str] | None = None
) -> FhirError:
    """A service's DomainError → OperationOutcome (see the module docstring for statuses)."""
    message = str(exc.message)
    if isinstance(exc, NotFoundError):
        return FhirError(404, "not-found", message)
    if isinstance(exc, ForbiddenError):
        return FhirError(403, "forbidden", message)
    if isinstance(exc, ConflictError):
        status, code = 409, "conflict"
    elif exc.fields:
        status, code = 400, "invalid"
    else:
        status, code = 422, "business-rule"
    paths = field_paths or {}
    issues = [
        Issue(
            code="duplicate" if status == 409 else code,
            diagnostics=str(text),
            expression=(paths.get(name, f"{resource_type}.{name}"),) if name != "__all__" else (),
        )
        for name, texts in exc.fields.items()
        for text in texts
    ]
    return FhirError(status, code, message, issues=issues)
