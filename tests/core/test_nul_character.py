"""The NUL character (U+0000), which PostgreSQL text cannot hold, is refused with a 400 at
the door — in a path, a query string or a JSON body — for the API, FHIR and pages alike,
and nothing is written."""

from __future__ import annotations

import json

import pytest

from careloop.core.middleware import request_holds_nul
from careloop.demands.models import Demand
from tests.core.test_api_auth import bearer

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MESSAGE = "Text may not contain the NUL character (U+0000)."


@pytest.fixture
def token(cast):
    from careloop.core import tokens

    return tokens.issue_api_token(actor=cast.director, days=1).key


def test_api_query_string_with_nul_is_400(client, cast, token):
    response = client.get("/api/v1/residents", {"q": "王\x00"}, **bearer(token), **EN)
    assert response.status_code == 400
    assert response.json() == {"code": "api.invalid", "message": MESSAGE, "fields": {}}


def test_api_path_with_nul_is_400(client, cast, token):
    response = client.get("/api/v1/residents/abc%00def", **bearer(token), **EN)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        '{"description": "胸闷\\u0000"}',
        '{"description": "胸闷", "windows": [{"\\u0000": 1}]}',
    ],
)
def test_api_json_body_with_an_escaped_nul_is_400_and_files_nothing(client, cast, body):
    from careloop.core import tokens

    key = tokens.issue_api_token(actor=cast.wang_user, days=1).key
    response = client.post(
        "/api/v1/demands", body, content_type="application/json", **bearer(key), **EN
    )
    assert response.status_code == 400
    assert response.json()["message"] == MESSAGE
    assert not Demand.objects.exists()


def test_api_json_body_that_only_mentions_backslash_u0000_passes(rf):
    # "\\u0000" in JSON is a backslash followed by "u0000": text, not a NUL.
    body = json.dumps({"description": "\\u0000"}).encode()
    request = rf.post("/api/v1/demands", body, content_type="application/json")
    assert not request_holds_nul(request)


def test_fhir_answers_an_operation_outcome(client, cast, token):
    response = client.get("/fhir/r4/Patient", {"name": "\x00"}, **bearer(token), **EN)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/fhir+json")
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "invalid"
    assert outcome["issue"][0]["diagnostics"] == MESSAGE


def test_pages_answer_a_translated_400(client, cast):
    client.force_login(cast.doctor_a)
    response = client.get("/w/residents/", {"q": "\x00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请求有误" in html and "文本中不能含有空字符（U+0000）。" in html


def test_ordinary_requests_pass(client, cast):
    client.force_login(cast.doctor_a)
    assert client.get("/w/residents/", {"q": "王"}).status_code == 200
