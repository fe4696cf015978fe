"""API schemas for residents. Output carries public ids only, never a database key."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from careloop.residents.models import Resident


class ResidentIn(Schema):
    """A new resident. Sex and birth date are read from the ID number; ``community`` (a
    community code) defaults to the caller's own and is required for a superuser."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=50)
    id_number: str = Field(max_length=32)
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)
    occupation: str = Field("", max_length=60)
    living_alone: bool = False
    disability: str = Field("", max_length=20)
    community: str | None = Field(None, max_length=40)


class ResidentPatch(Schema):
    """Fields to change; only the fields sent are changed. A resident may change their own
    phone and address; staff who may edit records may also change the rest."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=50)
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)
    occupation: str = Field("", max_length=60)
    living_alone: bool = False
    disability: str = Field("", max_length=20)


class ResidentOut(Schema):
    id: str = Field(description="public id")
    name: str
    sex: str = Field(description="M or F")
    birth_date: date
    age: int
    id_number_masked: str
    phone: str
    address: str
    community: str = Field(description="community code")
    household: str | None = Field(description="household number")
    living_alone: bool
    disability: str
    care_team: str | None = Field(description="team of the active family-doctor contract")
    created_at: datetime

    @staticmethod
    def resolve_id(obj: Resident) -> str:
        return obj.public_id

    @staticmethod
    def resolve_age(obj: Resident) -> int:
        return obj.age

    @staticmethod
    def resolve_id_number_masked(obj: Resident) -> str:
        return obj.masked_id_number

    @staticmethod
    def resolve_community(obj: Resident) -> str:
        return obj.community.code

    @staticmethod
    def resolve_household(obj: Resident) -> str | None:
        return obj.household.code if obj.household is not None else None

    @staticmethod
    def resolve_care_team(obj: Resident) -> str | None:
        contract = obj.active_contract
        return contract.team.name if contract is not None else None
