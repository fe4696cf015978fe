"""Who is calling and where the facade lives: passed to every resource handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from careloop.core.models import User


@dataclass(frozen=True)
class Caller:
    """An authenticated caller. ``via`` names the authenticator ("token", "session", or a
    later one such as "device"); ``credential`` is what it authenticated with (the ApiToken,
    a Device row …) for handlers that need to restrict what a credential may do."""

    user: User
    via: str
    credential: Any = None

    @property
    def is_device(self) -> bool:
        return self.via == "device"


@dataclass(frozen=True)
class FhirContext:
    caller: Caller
    base_url: str  # absolute, ends with "/": "https://host/fhir/r4/"
    request: HttpRequest | None = field(default=None, compare=False)

    @property
    def user(self) -> User:
        return self.caller.user

    def url(self, relative: str) -> str:
        return self.base_url + relative.lstrip("/")
