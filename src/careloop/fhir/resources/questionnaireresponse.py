"""QuestionnaireResponse ↔ ``residents.QuestionnaireResponse`` (lifestyle and social data).

``questionnaire`` names a versioned CareLoop questionnaire by its canonical: ``code|version``
(``lifestyle|1``), or ``urn:careloop:questionnaire:code|version``; without a version, the
active one. Items are flat: each ``item.linkId`` is a question of the schema and its
``answer`` list holds the value (``valueCoding.code`` for choices, several for a multiple
choice; ``valueBoolean``, ``valueInteger``, ``valueDecimal``, ``valueString``, ``valueDate``).
Create goes through ``residents.services.submit_questionnaire_response``: an answer the
schema refuses is a 400 whose issue points at that item; a missing required answer points at
``QuestionnaireResponse.item``. Responses are not updated (answer again instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

from careloop.core import audit
from careloop.core.errors import DomainError
from careloop.fhir.context import FhirContext
from careloop.fhir.outcome import FhirError, Issue, invalid, not_found
from careloop.fhir.registry import ResourceHandler, SearchParam, register
from careloop.fhir.resources.observation import patient_id
from careloop.residents import profile_selectors, selectors, services
from careloop.residents.models import Questionnaire, QuestionnaireResponse

CANONICAL_PREFIX = "urn:careloop:questionnaire:"
SPEC = "http://hl7.org/fhir/SearchParameter/"
STORED_STATUSES = frozenset({"completed", "amended"})


def parse_canonical(value: str) -> tuple[str, int | None] | None:
    """``lifestyle|1``, ``urn:careloop:questionnaire:lifestyle|1`` or ``…/Questionnaire/
    lifestyle|1`` → ("lifestyle", 1); no version → (code, None); None when malformed."""
    url, _sep, version = value.strip().partition("|")
    code = url.removeprefix(CANONICAL_PREFIX).rstrip("/").rsplit("/", 1)[-1]
    if not code:
        return None
    if not version:
        return code, None
    return (code, int(version)) if version.isdigit() else None


def canonical(questionnaire: Questionnaire) -> str:
    return f"{CANONICAL_PREFIX}{questionnaire.canonical}"


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _patient_q(value: str, modifier: str | None) -> Q:
    pid = patient_id(value)
    return Q(resident__public_id=pid) if pid else Q(pk__in=[])


def _questionnaire_q(value: str, modifier: str | None) -> Q:
    parsed = parse_canonical(value)
    if parsed is None:
        return Q(pk__in=[])
    code, version = parsed
    condition = Q(questionnaire__code=code)
    return condition & Q(questionnaire__version=version) if version is not None else condition


def _answer(item: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = item["type"]
    if kind == "choice":
        option = next((o for o in item["options"] if o["code"] == value), None)
        coding = {"code": value}
        if option is not None:
            coding["display"] = option["text_zh"]
        return {"valueCoding": coding}
    key = {
        "boolean": "valueBoolean",
        "integer": "valueInteger",
        "decimal": "valueDecimal",
        "date": "valueDate",
    }.get(kind, "valueString")
    return {key: value}


def _raw(answer: Any) -> Any:
    """The value of one R4B answer, as the schema validator takes it."""
    if answer.valueCoding is not None:
        return answer.valueCoding.code
    for name in ("valueBoolean", "valueInteger", "valueString"):
        value = getattr(answer, name)
        if value is not None:
            return value
    if answer.valueDecimal is not None:
        return str(Decimal(answer.valueDecimal))
    if isinstance(answer.valueDate, date):
        return answer.valueDate.isoformat()
    return answer.valueDate


@register
class QuestionnaireResponseResource(ResourceHandler[QuestionnaireResponse]):
    resource_type = "QuestionnaireResponse"
    model = FhirResponse
    documentation = (
        "Answers to a versioned CareLoop questionnaire (questionnaire = code|version, e.g. "
        "lifestyle|1); items keyed by linkId. Create only."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "QuestionnaireResponse.id", SPEC + "Resource-id"),
        SearchParam("patient", "reference", _patient_q, "The resident (Patient/id).",
                    SPEC + "QuestionnaireResponse-patient"),
        SearchParam("subject", "reference", _patient_q, "The resident (Patient/id).",
                    SPEC + "QuestionnaireResponse-subject"),
        SearchParam("questionnaire", "reference", _questionnaire_q,
                    "code|version (lifestyle|1) or code.",
                    SPEC + "QuestionnaireResponse-questionnaire"),
    )  # fmt: skip

    # ---- reads ----------------------------------------------------------------------------

    def search(self, ctx: FhirContext) -> QuerySet[QuestionnaireResponse]:
        return profile_selectors.responses_visible_to(ctx.user)

    def read(self, ctx: FhirContext, resource_id: str) -> QuestionnaireResponse:
        found = self.search(ctx).filter(public_id=resource_id).first()
        if found is None:
            raise not_found(self.resource_type, resource_id)
        self.disclosed(ctx, [found], "fhir.read")
        return found

    def disclosed(
        self, ctx: FhirContext, objs: Sequence[QuestionnaireResponse], purpose: str
    ) -> None:
        seen: set[int] = set()
        for response in objs:
            resident = response.resident
            if resident.pk in seen or resident.user_id == ctx.user.pk:
                continue
            seen.add(resident.pk)
            audit.record(
                actor=ctx.user,
                action="careloop.resident.viewed",
                obj=resident,
                detail={"purpose": purpose},
            )

    # ---- writes ---------------------------------------------------------------------------

    def create(self, ctx: FhirContext, resource: FhirResponse) -> QuestionnaireResponse:
        if resource.status not in STORED_STATUSES:
            raise invalid(
                _("Only completed questionnaire responses are stored."),
                expression=("QuestionnaireResponse.status",),
            )
        pid = patient_id(resource.subject.reference or "") if resource.subject else ""
        if not pid:
            raise invalid(
                _("Name the resident as subject (Patient/id)."),
                expression=("QuestionnaireResponse.subject",),
            )
        questionnaire = self._questionnaire(resource.questionnaire)
        resident = selectors.get_resident_for(ctx.user, pid, purpose="fhir.questionnaire")
        answers, paths = self.from_fhir_answers(resource)
        try:
            return services.submit_questionnaire_response(
                actor=ctx.user, resident=resident, questionnaire=questionnaire, answers=answers
            )
        except DomainError as exc:
            if not exc.fields:
                raise
            # Errors are keyed by linkId: point each at its item (a missing answer at
            # QuestionnaireResponse.item), and name the question.
            issues = [
                Issue(
                    code="invalid",
                    diagnostics=f"{link_id}: {message}" if link_id != "__all__" else str(message),
                    expression=(paths.get(link_id, "QuestionnaireResponse.item"),),
                )
                for link_id, messages in exc.fields.items()
                for message in messages
            ]
            raise FhirError(400, "invalid", str(exc.message), issues=issues) from exc

    def _questionnaire(self, value: str | None) -> Questionnaire:
        parsed = parse_canonical(value or "")
        found = None
        if parsed is not None:
            code, version = parsed
            found = (
                profile_selectors.questionnaire_version(code, version)
                if version is not None
                else profile_selectors.active_questionnaire(code)
            )
        if found is None:
            raise FhirError(
                400,
                "not-found" if value else "required",
                _("Name a CareLoop questionnaire as code|version, e.g. lifestyle|1."),
                expression=("QuestionnaireResponse.questionnaire",),
            )
        return found

    def from_fhir_answers(self, resource: FhirResponse) -> tuple[dict[str, Any], dict[str, str]]:
        """(answers by linkId, FHIRPath of each linkId's item); nested items are flattened."""
        answers: dict[str, Any] = {}
        paths: dict[str, str] = {"__all__": "QuestionnaireResponse.item"}

        def walk(items: Sequence[Any], path: str) -> None:
            for position, item in enumerate(items):
                here = f"{path}.item[{position}]"
                values = [_raw(a) for a in item.answer or []]
                if values:
                    answers[item.linkId] = values[0] if len(values) == 1 else values
                    paths[item.linkId] = here
                walk(item.item or [], here)
                for a_pos, answer in enumerate(item.answer or []):
                    walk(answer.item or [], f"{here}.answer[{a_pos}]")

        walk(resource.item or [], "QuestionnaireResponse")
        return answers, paths

    # ---- mapping --------------------------------------------------------------------------

    def to_fhir(self, ctx: FhirContext, obj: QuestionnaireResponse) -> FhirResponse:
        schema_items = {item["linkId"]: item for item in obj.questionnaire.schema["items"]}
        items = []
        for link_id, value in obj.answers.items():
            item = schema_items.get(link_id)
            if item is None:
                continue
            values = value if isinstance(value, list) else [value]
            items.append(
                {"linkId": link_id, "text": item["text_zh"],
                 "answer": [_answer(item, v) for v in values]}
            )  # fmt: skip
        data: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": obj.public_id,
            "meta": {"lastUpdated": obj.submitted_at},
            "questionnaire": canonical(obj.questionnaire),
            "status": "completed",
            "subject": {"reference": f"Patient/{obj.resident.public_id}"},
            "authored": obj.submitted_at,
            "item": items or None,
        }
        if obj.answered_by is not None:
            data["author"] = {"display": obj.answered_by.name or obj.answered_by.username}
        if obj.resident.user_id is not None and obj.answered_by_id == obj.resident.user_id:
            data["source"] = {"reference": f"Patient/{obj.resident.public_id}"}
        return FhirResponse.model_validate(data)

    def last_updated(self, obj: QuestionnaireResponse) -> Any:
        return obj.submitted_at
