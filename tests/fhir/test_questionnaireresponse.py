"""FHIR QuestionnaireResponse ↔ versioned questionnaire answers."""

from __future__ import annotations

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

from careloop.residents.models import Questionnaire, QuestionnaireResponse
from tests.fhir.conftest import outcome_issues


def answers_for(schema, **overrides):
    """One valid answer per required item of ``schema`` (first option, minimum number)."""
    items = []
    for item in schema["items"]:
        if item["linkId"] in overrides:
            value = overrides[item["linkId"]]
        elif not item.get("required"):
            continue
        elif item["type"] == "choice":
            value = {"valueCoding": {"code": item["options"][0]["code"]}}
        elif item["type"] == "boolean":
            value = {"valueBoolean": False}
        elif item["type"] == "integer":
            value = {"valueInteger": item.get("min", 0)}
        elif item["type"] == "decimal":
            value = {"valueDecimal": item.get("min", 0)}
        elif item["type"] == "date":
            value = {"valueDate": "2020-01-01"}
        else:
            value = {"valueString": "x"}
        if value is not None:
            items.append({"linkId": item["linkId"], "answer": [value]})
    return items


def body(resident, items, questionnaire="lifestyle|1"):
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": {"reference": f"Patient/{resident.public_id}"},
        "item": items,
    }


def test_create_read_and_search(fhir, cast):
    schema = Questionnaire.objects.get(code="lifestyle", version=1).schema
    api = fhir(cast.wang_user)

    created = api.post("/QuestionnaireResponse", body(cast.wang, answers_for(schema)))

    assert created.status_code == 201, created.json()
    stored = QuestionnaireResponse.objects.get()
    assert stored.answered_by == cast.wang_user and not stored.on_behalf
    parsed = FhirResponse.model_validate(created.json())
    assert parsed.questionnaire.endswith("lifestyle|1")
    found = fhir(cast.doctor_a).get(
        "/QuestionnaireResponse",
        subject=f"Patient/{cast.wang.public_id}",
        questionnaire="lifestyle|1",
    )
    assert [e["resource"]["id"] for e in found.json()["entry"]] == [stored.public_id]
    assert fhir(cast.doctor_b).get(f"/QuestionnaireResponse/{stored.public_id}").status_code == 404


def test_bad_answer_points_at_its_item_and_writes_nothing(fhir, cast):
    schema = Questionnaire.objects.get(code="lifestyle", version=1).schema
    items = answers_for(schema, exercise_days={"valueInteger": 9})
    position = next(i for i, item in enumerate(items) if item["linkId"] == "exercise_days")

    response = fhir(cast.doctor_a).post("/QuestionnaireResponse", body(cast.wang, items[:]))
    missing = fhir(cast.doctor_a).post("/QuestionnaireResponse", body(cast.wang, items[1:]))
    unknown = fhir(cast.doctor_a).post(
        "/QuestionnaireResponse", body(cast.wang, items, questionnaire="nosuch|3")
    )

    assert response.status_code == 400
    issue = outcome_issues(response)[0]
    assert issue["expression"] == [f"QuestionnaireResponse.item[{position}]"]
    assert issue["diagnostics"].startswith("exercise_days:")
    assert missing.status_code == 400
    assert outcome_issues(missing)[0]["expression"] == ["QuestionnaireResponse.item"]
    assert unknown.status_code == 400
    assert outcome_issues(unknown)[0]["expression"] == ["QuestionnaireResponse.questionnaire"]
    assert QuestionnaireResponse.objects.count() == 0
