"""Schemas shared by the whole API: the error body, authentication, health and ``/me``."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field


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
