"""API authentication: token issue and lockout, bearer and session auth, /me, health, docs."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils.crypto import get_random_string

from careloop.core import clock, tokens
from careloop.core.models import ApiToken, AuditEvent, AuditOutcome
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def login(client: Client, username: str, password: str = PASSWORD, **extra: str):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, "application/json", **extra
    )


def test_health_needs_no_auth(client, db):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_token_issue_stores_only_the_hash_and_is_audited(client, cast):
    before = clock.now()
    response = login(client, "wang")

    assert response.status_code == 200
    key = response.json()["token"]
    assert key.startswith("cl_") and len(key) > 40
    token = ApiToken.objects.get(user=cast.wang_user)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert key not in {token.key_hash, token.prefix}
    expected = before + timedelta(days=30)
    assert expected <= token.expires_at <= expected + timedelta(minutes=1)
    event = AuditEvent.objects.get(action="careloop.auth.token_issued")
    assert (event.actor_username, event.outcome) == ("wang", AuditOutcome.SUCCESS)
    assert event.object_id == str(token.pk)


def test_issued_token_authenticates(client, cast):
    key = login(client, "wang").json()["token"]
    response = client.get("/api/v1/me", **bearer(key))
    assert response.status_code == 200
    assert response.json()["username"] == "wang"


def test_wrong_password_is_401_and_audited(client, cast):
    response = login(client, "wang", "wrong-password", **EN)

    assert response.status_code == 401
    assert response.json() == {
        "code": "auth.invalid_credentials",
        "message": "The username or password is wrong.",
        "fields": {},
    }
    assert not ApiToken.objects.exists()
    event = AuditEvent.objects.get(action="careloop.auth.token_issued")
    assert event.outcome == AuditOutcome.DENIED
    assert event.detail == {"username": "wang", "reason": "invalid"}


def test_unknown_user_is_401(client, cast):
    assert login(client, "nobody").status_code == 401


def test_missing_password_is_400_with_translated_field_error(client, cast):
    response = client.post(TOKEN_URL, {"username": "wang"}, "application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "api.invalid"
    assert body["fields"] == {"password": ["这个字段是必填项。"]}


def test_lockout_after_five_failures_even_with_the_right_password(client, cast):
    statuses = [login(client, "wang", "wrong-password").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]

    response = login(client, "wang", **EN)

    assert response.status_code == 429
    assert response.json()["code"] == "auth.locked_out"
    assert "locked" in response.json()["message"]
    assert not ApiToken.objects.exists()
    # The refused attempt during the lockout counts too (and restarts the cool-off).
    assert AccessAttempt.objects.get(username="wang").failures_since_start == 6
    denied = AuditEvent.objects.filter(
        action="careloop.auth.token_issued", outcome=AuditOutcome.DENIED
    )
    assert denied.count() == 6
    assert denied.last().detail["reason"] == "locked_out"


def test_lockout_is_per_username(client, cast):
    for _ in range(5):
        login(client, "wang", "wrong-password")
    assert login(client, "zhao").status_code == 200


def test_success_resets_the_failure_count(client, cast):
    for _ in range(4):
        login(client, "wang", "wrong-password")
    assert login(client, "wang").status_code == 200
    assert login(client, "wang", "wrong-password").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer cl_not-a-token", "Token cl_x", "Basic d2FuZzpwYXNz"],
)
def test_missing_or_bad_credentials_are_401(client, cast, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/me", **extra, **EN)
    assert response.status_code == 401
    assert response.json() == {
        "code": "auth.unauthorized",
        "message": "Sign in, or send a valid API token.",
        "fields": {},
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(client, cast, monkeypatch):
    key = tokens.issue_api_token(actor=cast.wang_user, days=1).key
    assert client.get("/api/v1/me", **bearer(key)).status_code == 200

    later = clock.now() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)

    assert client.get("/api/v1/me", **bearer(key)).status_code == 401


def test_revoked_token_is_401_and_revocation_is_audited(client, cast):
    issued = tokens.issue_api_token(actor=cast.wang_user)
    tokens.revoke_api_token(actor=cast.wang_user, token=issued.token)

    assert client.get("/api/v1/me", **bearer(issued.key)).status_code == 401
    event = AuditEvent.objects.get(action="careloop.auth.token_revoked")
    assert (event.actor_username, event.object_id) == ("wang", str(issued.token.pk))


def test_delete_revokes_the_calling_token(client, cast):
    key = tokens.issue_api_token(actor=cast.wang_user).key

    response = client.delete(TOKEN_URL, **bearer(key))

    assert response.status_code == 204
    assert client.get("/api/v1/me", **bearer(key)).status_code == 401


def test_token_of_a_disabled_user_is_401(client, cast):
    key = tokens.issue_api_token(actor=cast.wang_user).key
    cast.wang_user.is_active = False
    cast.wang_user.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", **bearer(key)).status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute(client, cast, monkeypatch):
    issued = tokens.issue_api_token(actor=cast.wang_user)
    client.get("/api/v1/me", **bearer(issued.key))
    first = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first is not None

    soon = first + timedelta(seconds=30)
    monkeypatch.setattr(clock, "now", lambda: soon)
    client.get("/api/v1/me", **bearer(issued.key))
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first

    later = first + timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    client.get("/api/v1/me", **bearer(issued.key))
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == later


def test_me_for_a_resident(client, cast):
    key = tokens.issue_api_token(actor=cast.wang_user).key
    assert client.get("/api/v1/me", **bearer(key)).json() == {
        "username": "wang",
        "name": "Wang",
        "roles": ["resident"],
        "community": "east",
        "resident": cast.wang.public_id,
    }


def test_me_for_staff_and_superuser(client, cast):
    director = client.get("/api/v1/me", **bearer(tokens.issue_api_token(actor=cast.director).key))
    assert director.json() == {
        "username": "director",
        "name": "Director",
        "roles": ["centre_director"],
        "community": "east",
        "resident": None,
    }
    admin = client.get("/api/v1/me", **bearer(tokens.issue_api_token(actor=cast.admin).key))
    assert admin.json()["community"] is None
    assert admin.json()["roles"] == []


def test_session_auth_reads(client, cast):
    client.force_login(cast.wang_user)
    assert client.get("/api/v1/me").json()["username"] == "wang"


def test_session_auth_needs_csrf_for_unsafe_methods(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.wang_user)
    url = f"/api/v1/residents/{cast.wang.public_id}"
    body = {"phone": "13600000000"}

    refused = client.patch(url, body, "application/json", **EN)

    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.csrf_failed"
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    accepted = client.patch(url, body, "application/json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 200
    assert accepted.json()["phone"] == "13600000000"


def test_token_needs_no_csrf(cast):
    client = Client(enforce_csrf_checks=True)
    key = tokens.issue_api_token(actor=cast.wang_user).key
    response = client.patch(
        f"/api/v1/residents/{cast.wang.public_id}",
        {"phone": "13600000000"},
        "application/json",
        **bearer(key),
    )
    assert response.status_code == 200


def test_openapi_schema_is_generated(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/residents", "/api/v1/residents/{public_id}", "/api/v1/auth/token"} <= set(
        paths
    )
    assert set(paths["/api/v1/residents/{public_id}"]) == {"get", "patch"}


def test_docs_page_loads(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
