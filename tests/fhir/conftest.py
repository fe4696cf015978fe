"""Helpers for the FHIR facade tests: JSON requests with a bearer token through Django's test
client, valid ID numbers, and Patient bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from careloop.core import tokens
from careloop.core.models import AuditEvent
from careloop.core.validators import check_digit
from careloop.residents.models import Resident

BASE = "/fhir/r4"
FHIR_JSON = "application/fhir+json"
ID_SYSTEM = "urn:oid:2.16.156.10011.1.1"


def valid_id(serial: int, *, year: int = 1960, female: bool = False) -> str:
    """A GB 11643 number with a correct check digit (sequence digit odd = male)."""
    sequence = serial * 2 + (0 if female else 1)
    first17 = f"110105{year}{serial % 12 + 1:02d}{serial % 28 + 1:02d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)


def bad_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def patient_body(name: str, id_number: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": ID_SYSTEM, "value": id_number}],
        "name": [{"text": name}],
        "telecom": [{"system": "phone", "value": "13600000001", "use": "mobile"}],
        "address": [{"text": "武汉市武昌区东湖路2号"}],
    }
    body.update(extra)
    return body


def written() -> tuple[int, int]:
    """(residents, audit events): compared before and after a refused write."""
    return Resident.objects.count(), AuditEvent.objects.count()


class Fhir:
    """Django's test client speaking FHIR JSON as one user (or anonymously)."""

    def __init__(self, client: Any, user: Any = None) -> None:
        self.client = client
        self.headers: dict[str, str] = {"HTTP_ACCEPT": FHIR_JSON, "HTTP_ACCEPT_LANGUAGE": "en"}
        if user is not None:
            key = tokens.issue_api_token(actor=user).key
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, **self.headers)

    def post(self, path: str, body: Any, **headers: str) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(
            BASE + path, data, content_type=FHIR_JSON, **self.headers, **headers
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            BASE + path, json.dumps(body), content_type=FHIR_JSON, **self.headers
        )


@pytest.fixture
def fhir(client):
    """``fhir(user)`` → a Fhir speaking as ``user`` (``fhir(None)``: anonymous)."""
    return lambda user=None: Fhir(client, user)


def outcome_issues(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert response["Content-Type"].startswith(FHIR_JSON)
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"]
