"""One error vocabulary: services raise DomainError; the API maps it to 400/409, pages to form
errors. ``fields`` carries per-field messages for validation failures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class DomainError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: str | StrPromise,
        *,
        fields: Mapping[str, Sequence[str | StrPromise]] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.fields: Mapping[str, Sequence[str | StrPromise]] = fields or {}

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {name: [str(m) for m in msgs] for name, msgs in self.fields.items()},
        }


class ConflictError(DomainError):
    """The request is well-formed but the state of the thing forbids it (HTTP 409)."""

    status = 409


class NotFoundError(DomainError):
    status = 404


class ForbiddenError(DomainError):
    """The caller is known but may not do this (HTTP 403)."""

    status = 403
