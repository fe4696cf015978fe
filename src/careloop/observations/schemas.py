"""Request and response bodies of the observations API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from careloop.core.schemas import ErrorOut, IsoDateTime

if TYPE_CHECKING:
    from careloop.observations.models import Observation


class ReadingValuesIn(Schema):
    """Blood pressure sends ``systolic`` and ``diastolic``; every other kind ``value``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=20, examples=["85354-9"], description="LOINC code or key (bp)")
    value: Decimal | None = None
    systolic: Decimal | None = None
    diastolic: Decimal | None = None
    effective_at: IsoDateTime = Field(description="when measured, with its time zone")
    source: Literal["device", "manual", "clinic"] | None = None
    identifier: str = Field(
        "", max_length=64, description="the sender's id of this reading: a retry stores nothing"
    )


class ReadingItemIn(ReadingValuesIn):
    resident: str | None = Field(
        None, max_length=32, description="resident id; a device may leave it out"
    )


class ReadingsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["batch", "transaction"] = Field(
        "batch",
        description="batch: each reading stands alone; transaction: all or nothing",
    )
    readings: list[ReadingItemIn] = Field(min_length=1, max_length=5000)


class ReadingOut(Schema):
    """One reading; built from an ``Observation`` (resident and device selected)."""

    id: str
    resident: str
    code: str
    name: str
    display: str = Field(description="LOINC display")
    unit: str = Field(description="UCUM unit")
    value: float | None = Field(description="null for blood pressure")
    systolic: float | None = None
    diastolic: float | None = None
    summary: str
    effective_at: datetime
    source: str
    device: str | None
    identifier: str
    created_at: datetime

    @staticmethod
    def resolve_id(obj: Observation) -> str:
        return obj.public_id

    @staticmethod
    def resolve_resident(obj: Observation) -> str:
        return obj.resident.public_id

    @staticmethod
    def resolve_name(obj: Observation) -> str:
        return str(obj.get_code_display())

    @staticmethod
    def resolve_display(obj: Observation) -> str:
        return obj.spec.display

    @staticmethod
    def resolve_value(obj: Observation) -> float | None:
        return None if obj.spec.has_components else float(obj.value)

    @staticmethod
    def resolve_systolic(obj: Observation) -> float | None:
        return float(obj.value) if obj.spec.has_components else None

    @staticmethod
    def resolve_diastolic(obj: Observation) -> float | None:
        if obj.spec.has_components and obj.value2 is not None:
            return float(obj.value2)
        return None

    @staticmethod
    def resolve_device(obj: Observation) -> str | None:
        return obj.device.public_id if obj.device is not None else None


class ItemResultOut(Schema):
    index: int
    status: Literal["created", "existing", "error"]
    id: str | None = None
    error: ErrorOut | None = None


class ReadingsResultOut(Schema):
    mode: str
    created: int
    existing: int
    errors: int
    results: list[ItemResultOut]


class AlertOut(Schema):
    id: str
    resident: str
    rule: str
    rule_version: int
    rule_name: str
    kind: str
    severity: Literal["routine", "urgent", "critical"]
    status: Literal["open", "acknowledged", "closed"]
    summary: str = Field(description="what triggered it, e.g. 185/115 mm[Hg]")
    reading_count: int
    last_reading: str | None
    last_reading_at: datetime | None
    opened_at: datetime
    last_triggered_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None


class AlertCloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500)


class DeviceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["bp_monitor", "glucometer", "wristband", "scale", "thermometer", "oximeter"]
    serial: str = Field("", max_length=64)
    label: str = Field("", max_length=100)


class DeviceOut(Schema):
    id: str
    resident: str
    kind: str
    serial: str
    label: str
    prefix: str
    active: bool
    registered_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None


class DeviceIssuedOut(DeviceOut):
    token: str = Field(description="the device's bearer token: shown this once only")
