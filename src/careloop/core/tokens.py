"""API bearer tokens: issue, revoke and resolve. Only a token's SHA-256 is stored; the token
itself is shown once, when it is issued."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import DomainError
from careloop.core.models import ApiToken, AuditOutcome, User

TOKEN_PREFIX = "cl_"  # noqa: S105 (a public marker, not a secret)
ISSUED_ACTION = "careloop.auth.token_issued"
REVOKED_ACTION = "careloop.auth.token_revoked"
# last_used_at is refreshed at most this often, so reads do not turn into a write each time.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    key: str  # the plaintext token: give it to the caller once, never store it
    token: ApiToken


def issue_api_token(*, actor: User, days: int | None = None) -> IssuedToken:
    """Issue a new bearer token for ``actor``, valid ``days`` (default from settings)."""
    if not actor.is_active:
        raise DomainError("auth.inactive", _("This account is disabled."))
    lifetime = timedelta(days=days if days is not None else settings.CARELOOP_API_TOKEN_DAYS)
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            key_hash=ApiToken.hash_key(key),
            prefix=key[:8],
            expires_at=clock.now() + lifetime,
        )
        audit.record(
            actor=actor,
            action=ISSUED_ACTION,
            object_type="core.apitoken",
            object_id=str(token.pk),
            detail={"prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
        )
    return IssuedToken(key=key, token=token)


def record_token_denied(*, username: str, locked_out: bool) -> None:
    """Audit a refused token request (wrong credentials, disabled account or lockout)."""
    audit.record(
        actor=None,
        action=ISSUED_ACTION,
        object_type="core.user",
        outcome=AuditOutcome.DENIED,
        detail={"username": username[:150], "reason": "locked_out" if locked_out else "invalid"},
    )


def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke ``token``. Its owner or a superuser may; revoking twice changes nothing."""
    if token.user_id != actor.pk and not actor.is_superuser:
        raise DomainError("auth.forbidden", _("You may not revoke this token."))
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action=REVOKED_ACTION,
            object_type="core.apitoken",
            object_id=str(token.pk),
            detail={"prefix": token.prefix},
        )
    return token


def token_for_key(key: str) -> ApiToken | None:
    """The live token for ``key`` (not expired, not revoked, active user), or None.

    Records the use in ``last_used_at``, at most once per ``LAST_USED_RESOLUTION``.
    """
    if not key.startswith(TOKEN_PREFIX):
        return None
    now = clock.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=ApiToken.hash_key(key),
            revoked_at__isnull=True,
            expires_at__gt=now,
            user__is_active=True,
        )
        .first()
    )
    if token is not None and _stale(token.last_used_at, now):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _stale(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION
