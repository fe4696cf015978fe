"""Schemas shared by the whole API: the error body, authentication, health and ``/me``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

NUMBER = re.compile(r"\s*[+-]?\d+(\.\d*)?\s*")


def _iso_text(kind: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        """Refuse what pydantic would read as a Unix timestamp (``0``, ``"1700000000"``):
        dates and times come as ISO 8601 text, as the schema says."""
        numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if numeric or (isinstance(value, str) and NUMBER.fullmatch(value)):
            raise PydanticCustomError(kind, "expected ISO 8601 text")
        return value

    return check


# Inputs only: a date or a date-time given as ISO 8601 text, never a number.
IsoDate = Annotated[date, BeforeValidator(_iso_text("date_not_iso"))]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text("datetime_not_iso"))]


class ErrorOut(Schema):
    """Every error the API returns has this shape."""

    code: str = Field(examples=["residents.invalid"])
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=150)
    password: str = Field(max_length=256)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class HealthOut(Schema):
    status: str
    database: str


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    community: str | None
    resident: str | None = Field(description="public id of the user's own resident record")
