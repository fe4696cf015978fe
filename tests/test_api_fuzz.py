"""Property-based API test (schemathesis): every operation of the OpenAPI schema, fed data
generated from that schema, by a director, a family doctor and a resident, never answers a
server error, and every answer it gives is one the schema documents with the body it
declares. The token endpoints are left out: fuzzing them would lock the cast's accounts
(they have their own tests in tests/core/test_api_auth.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from careloop.api import api
from careloop.core import tokens

EXAMPLES = 10
# What must hold: no server error; only documented status codes; bodies and content types as
# the schema declares; data that breaks the schema refused. Not checked: that every
# schema-valid body is accepted (business rules refuse some with a translated 400), and
# "ignored auth" (every call here carries a real token; auth has its own tests).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/")).exclude(
    path_regex=r"/auth/token$"
)


@pytest.fixture(scope="module")
def application() -> Iterator[WSGIHandler]:
    """The project's WSGI application, called in process. Like Django's test client, it
    must not close the test's database connection at the end of each request (PostgreSQL
    would lose the test transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


def call_as(user, case, application) -> None:
    key = tokens.issue_api_token(actor=user, days=1).key
    response = case.call(
        app=application,
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "zh-hans"},
    )
    assert response.status_code < 500, response.text[:500]
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_operations_answer_as_documented_to_a_director(case, cast, application):
    call_as(cast.director, case, application)


@schema.parametrize()
@FUZZ_SETTINGS
def test_operations_answer_as_documented_to_a_family_doctor(case, cast, application):
    call_as(cast.doctor_a, case, application)


@schema.parametrize()
@FUZZ_SETTINGS
def test_operations_answer_as_documented_to_a_resident(case, cast, application):
    call_as(cast.wang_user, case, application)


def test_every_operation_documents_its_validation_and_auth_errors():
    document = api.get_openapi_schema(path_prefix="/api/v1/")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented = {int(status) for status in operation["responses"]}
            if operation.get("parameters") or operation.get("requestBody"):
                assert 400 in documented, (method, path)
            if operation.get("security"):
                assert 401 in documented, (method, path)
    health = document["paths"]["/api/v1/health"]["get"]
    assert 401 not in {int(status) for status in health["responses"]}
