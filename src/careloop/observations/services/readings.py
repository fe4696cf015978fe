"""Recording readings from devices, residents and clinic staff.

``record_readings`` is the one path; ``record_reading`` is the one-item convenience. A batch is
validated in Python first (no query per item), permissions are checked once per resident,
retries are recognised with one query, the new rows go in with ``bulk_create`` and the alert
rules run once per resident per batch, all in one transaction: an alert is visible as soon as
the reading is (no background job, so no window in which a reading exists without its alert).

Two modes, as FHIR Bundles define them:

- ``batch``: every item stands alone; a bad item is reported in its result, the good ones
  are stored.
- ``transaction``: all or nothing; one bad item refuses the whole list (``BatchRefused``,
  fields keyed ``"<index>.<field>"``) and nothing is written.

Idempotency: an item with an ``identifier`` (the sender's id of the reading) is stored once
per device, or once per resident and source when entered by hand. Sending it again returns
the stored reading with ``created=False`` (the resent values are not compared).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.core import audit, clock
from careloop.core.errors import DomainError, ForbiddenError, NotFoundError
from careloop.core.models import User
from careloop.core.roles import Role
from careloop.observations import codes
from careloop.observations.models import Device, Observation, Source
from careloop.observations.services.alerts import evaluate_rules
from careloop.residents.models import Resident
from careloop.residents.selectors import residents_visible_to
from careloop.residents.services import EDITOR_ROLES

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

BATCH = "batch"
TRANSACTION = "transaction"
MODES = (BATCH, TRANSACTION)
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_ITEMS = 5000
CENT = Decimal("0.01")
STAFF_SOURCES = (Source.CLINIC, Source.MANUAL)


@dataclass
class ReadingIn:
    """One reading to record. For blood pressure ``value`` is the systolic and ``value2`` the
    diastolic pressure. ``resident`` may be left out when a device sends (its resident)."""

    code: str
    value: Any
    effective_at: datetime | None
    value2: Any = None
    resident: Resident | str | None = None  # a Resident, or its public id (resolved in scope)
    source: str | None = None  # device: "device"; staff: "clinic" (default) or "manual"
    identifier: str = ""


@dataclass
class ItemResult:
    index: int
    observation: Observation | None = None
    created: bool = False
    error: DomainError | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "created" if self.created else "existing"


@dataclass(frozen=True)
class Recorded:
    observation: Observation
    created: bool


class BatchRefused(DomainError):
    """A ``transaction`` batch with at least one bad item: nothing was written."""

    def __init__(self, results: list[ItemResult]) -> None:
        fields: dict[str, list[str | StrPromise]] = {}
        for result in results:
            if result.error is None:
                continue
            item_fields = result.error.fields or {"__all__": [result.error.message]}
            for name, messages in item_fields.items():
                fields.setdefault(f"{result.index}.{name}", []).extend(messages)
        super().__init__(
            "observations.batch_refused",
            _("No reading was stored: correct the marked items."),
            fields=fields,
        )
        self.results = results


def record_reading(
    *,
    actor: User | Device,
    resident: Resident | str | None,
    code: str,
    value: Any,
    effective_at: datetime | None,
    value2: Any = None,
    source: str | None = None,
    identifier: str = "",
) -> Recorded:
    """Record one reading (see ``record_readings``); a bad one raises its DomainError."""
    item = ReadingIn(
        code=code, value=value, value2=value2, effective_at=effective_at,
        resident=resident, source=source, identifier=identifier,
    )  # fmt: skip
    (result,) = record_readings(actor=actor, items=[item], mode=BATCH)
    if result.error is not None:
        raise result.error
    assert result.observation is not None
    return Recorded(result.observation, result.created)


def record_readings(
    *, actor: User | Device, items: Sequence[ReadingIn], mode: str = BATCH
) -> list[ItemResult]:
    """Record ``items`` for ``actor``: a device (its own resident, source "device"), a
    resident (own record or a dependant's, source "manual") or care staff who may edit the
    resident (source "clinic" or "manual"). Returns one result per item, in order."""
    if mode not in MODES:
        raise DomainError("observations.invalid_mode", _("Choose batch or transaction."))
    if len(items) > MAX_ITEMS:
        raise DomainError(
            "observations.too_many",
            _("Send at most %(limit)d readings at a time.") % {"limit": MAX_ITEMS},
        )
    if isinstance(actor, Device) and not actor.active:
        raise ForbiddenError("observations.device_revoked", _("This device has been revoked."))
    now = clock.now()
    results = [ItemResult(index=i) for i in range(len(items))]
    pending: list[tuple[ItemResult, Observation, tuple[Any, ...] | None]] = []
    access = _Access(actor)
    access.prime(
        (i.resident for i in items if isinstance(i.resident, Resident)),
        (i.resident for i in items if isinstance(i.resident, str)),
    )
    for result, item in zip(results, items, strict=True):
        try:
            obs = _build(actor, item, now, access)
        except DomainError as exc:
            result.error = exc
            continue
        key = _key(obs)
        pending.append((result, obs, key))
    if mode == TRANSACTION and any(r.error for r in results):
        raise BatchRefused(results)
    if not pending:
        return results
    with transaction.atomic():
        created = _store(pending)
        if created:
            _audit(actor, created)
            evaluate_rules(actor=access.user, observations=created)
    return results


# ---- building and checking one item ------------------------------------------------------


class _Access:
    """Who may record for which resident: visibility is asked once for all residents of a
    batch (``prime``), the role once per actor."""

    def __init__(self, actor: User | Device) -> None:
        self.actor = actor
        self.user: User | None = actor if isinstance(actor, User) else None
        self._visible: set[int] = set()
        self._asked: set[int] = set()
        self._by_public_id: dict[str, Resident] = {}

    def prime(self, residents: Iterable[Resident], public_ids: Iterable[str]) -> None:
        """Resolve ``public_ids`` and the visibility of ``residents`` in one query each."""
        user = self.user
        if user is None:
            return
        ids = {r.pk for r in residents} - self._asked
        pids = set(public_ids) - set(self._by_public_id)
        if not ids and not pids:
            return
        scope = Resident.objects.all() if user.is_superuser else residents_visible_to(user)
        if ids:
            self._visible |= set(scope.filter(pk__in=ids).values_list("pk", flat=True))
            self._asked |= ids
        if pids:
            for resident in scope.filter(public_id__in=pids):
                self._by_public_id[resident.public_id] = resident
                self._visible.add(resident.pk)
                self._asked.add(resident.pk)

    def resolve(self, resident: Resident | str | None) -> Resident:
        if resident is None:
            raise _invalid("resident", _("This field is required."))
        if isinstance(resident, Resident):
            return resident
        found = self._by_public_id.get(resident)
        if found is None:
            raise NotFoundError("residents.not_found", _("No such resident."))
        return found

    def is_staff(self) -> bool:
        assert self.user is not None
        return self.user.is_superuser or self.user.has_role(*EDITOR_ROLES)

    def check(self, resident: Resident, source: str) -> None:
        user = self.user
        assert user is not None
        if not user.is_superuser:
            if resident.pk not in self._asked:
                self.prime([resident], ())
            if resident.pk not in self._visible:
                raise NotFoundError("residents.not_found", _("No such resident."))
            if not (self.is_staff() or user.has_role(Role.RESIDENT)):
                raise ForbiddenError("observations.forbidden", _("You may not record readings."))
        if not self.is_staff() and source != Source.MANUAL:
            raise _invalid("source", _("Residents record readings as entered by hand."))


def _invalid(name: str, message: Any) -> DomainError:
    return DomainError(
        "observations.invalid", _("Please correct the marked fields."), fields={name: [message]}
    )


def _build(actor: User | Device, item: ReadingIn, now: datetime, access: _Access) -> Observation:
    errors: dict[str, list[Any]] = {}
    spec = codes.spec_for(str(item.code or ""))
    if spec is None:
        errors["code"] = [_("Unknown kind of reading.")]
    if isinstance(actor, Device):
        resident = actor.resident
        given = item.resident
        same = (
            given is None
            or (isinstance(given, Resident) and given.pk == resident.pk)
            or given == resident.public_id
        )
        if not same:
            errors["resident"] = [_("This device is registered to another resident.")]
        source = item.source or Source.DEVICE
        if source != Source.DEVICE:
            errors["source"] = [_("A device records device readings only.")]
    else:
        resident = access.resolve(item.resident)
        source = item.source or (Source.CLINIC if access.is_staff() else Source.MANUAL)
        if source not in STAFF_SOURCES:
            errors["source"] = [_("Choose clinic or manual.")]
        else:
            access.check(resident, source)
    values = _values(spec, item.value, item.value2, errors) if spec else (None, None)
    effective_at = _effective_at(item.effective_at, now, errors)
    identifier = str(item.identifier or "").strip()
    if len(identifier) > 64:
        errors["identifier"] = [_("An identifier has at most 64 characters.")]
    if errors:
        raise DomainError(
            "observations.invalid", _("Please correct the marked fields."), fields=errors
        )
    assert spec is not None and values[0] is not None and effective_at is not None
    return Observation(
        resident=resident,
        code=spec.code,
        value=values[0],
        value2=values[1],
        effective_at=effective_at,
        source=source,
        device=actor if isinstance(actor, Device) else None,
        recorded_by=access.user,
        identifier=identifier,
        created_at=now,
    )


def _number(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number


def _in_range(
    name: str, raw: Any, low: Decimal, high: Decimal, unit: str, errors: dict[str, list[Any]]
) -> Decimal | None:
    if raw is None or raw == "":
        errors[name] = [_("This field is required.")]
        return None
    number = _number(raw)
    if number is None:
        errors[name] = [_("Enter a number.")]
        return None
    if not low <= number <= high:
        errors[name] = [
            _("Enter a value from %(low)s to %(high)s %(unit)s.")
            % {"low": _plain(low), "high": _plain(high), "unit": unit}
        ]
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _plain(number: Decimal) -> str:
    return f"{number:f}"


def _values(
    spec: codes.CodeSpec, value: Any, value2: Any, errors: dict[str, list[Any]]
) -> tuple[Decimal | None, Decimal | None]:
    if spec.has_components:
        first, second = spec.components
        systolic = _in_range("systolic", value, first.low, first.high, first.unit, errors)
        diastolic = _in_range("diastolic", value2, second.low, second.high, second.unit, errors)
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            errors["diastolic"] = [_("The diastolic pressure must be lower than the systolic.")]
        return systolic, diastolic
    if value2 is not None:
        errors["value2"] = [_("This kind of reading has a single value.")]
    return _in_range("value", value, spec.low, spec.high, spec.unit, errors), None


def _effective_at(
    raw: datetime | None, now: datetime, errors: dict[str, list[Any]]
) -> datetime | None:
    if raw is None:
        errors["effective_at"] = [_("This field is required.")]
        return None
    if not isinstance(raw, datetime) or timezone.is_naive(raw):
        errors["effective_at"] = [_("Give the time of the reading with its time zone.")]
        return None
    if raw > now + FUTURE_TOLERANCE:
        errors["effective_at"] = [_("The time of the reading is in the future.")]
        return None
    return raw


def _key(obs: Observation) -> tuple[Any, ...] | None:
    if not obs.identifier:
        return None
    if obs.device_id is not None:
        return ("device", obs.device_id, obs.identifier)
    return ("source", obs.resident_id, obs.source, obs.identifier)


# ---- storing --------------------------------------------------------------------------------


def _existing(keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], Observation]:
    """Stored readings for these retry keys, in one query per kind of key."""
    found: dict[tuple[Any, ...], Observation] = {}
    by_device = [k for k in keys if k[0] == "device"]
    by_source = [k for k in keys if k[0] == "source"]
    if by_device:
        devices = {k[1] for k in by_device}
        for obs in Observation.objects.filter(
            device_id__in=devices, identifier__in={k[2] for k in by_device}
        ).exclude(identifier=""):  # the partial unique index's predicate
            found[("device", obs.device_id, obs.identifier)] = obs
    if by_source:
        for obs in Observation.objects.filter(
            device__isnull=True,
            resident_id__in={k[1] for k in by_source},
            identifier__in={k[3] for k in by_source},
        ).exclude(identifier=""):
            found[("source", obs.resident_id, obs.source, obs.identifier)] = obs
    return found


def _store(
    pending: list[tuple[ItemResult, Observation, tuple[Any, ...] | None]],
) -> list[Observation]:
    """Insert what is new; point retries at the stored reading. Returns the new rows."""
    keys = [key for _r, _o, key in pending if key is not None]
    existing = _existing(keys) if keys else {}
    fresh: list[Observation] = []
    fresh_results: list[tuple[ItemResult, Observation, tuple[Any, ...] | None]] = []
    in_batch: dict[tuple[Any, ...], Observation] = {}
    for result, obs, key in pending:
        if key is not None and key in existing:
            result.observation, result.created = existing[key], False
        elif key is not None and key in in_batch:
            result.observation, result.created = in_batch[key], False
        else:
            if key is not None:
                in_batch[key] = obs
            fresh.append(obs)
            fresh_results.append((result, obs, key))
    if not fresh:
        return []
    try:
        with transaction.atomic():
            Observation.objects.bulk_create(fresh, batch_size=1000)
    except IntegrityError:
        # A concurrent retry stored some of these between our check and our insert.
        return _store_one_by_one(fresh_results)
    for result, obs, _key in fresh_results:
        result.observation, result.created = obs, True
    for result, _obs, key in pending:
        if result.observation is None and key is not None:  # duplicates inside the batch
            result.observation = in_batch[key]
    return fresh


def _store_one_by_one(
    fresh: list[tuple[ItemResult, Observation, tuple[Any, ...] | None]],
) -> list[Observation]:
    created: list[Observation] = []
    for result, obs, key in fresh:
        obs.pk = None
        obs._state.adding = True
        try:
            with transaction.atomic():
                obs.save(force_insert=True)
        except IntegrityError:
            assert key is not None
            result.observation, result.created = _existing([key])[key], False
            continue
        result.observation, result.created = obs, True
        created.append(obs)
    return created


def _audit(actor: User | Device, created: list[Observation]) -> None:
    """One audit event per stored batch: which residents, how many readings of what."""
    per_resident: dict[str, int] = {}
    resident_ids: dict[int, str] = {}
    for obs in created:
        pid = resident_ids.get(obs.resident_id)
        if pid is None:
            pid = resident_ids[obs.resident_id] = obs.resident.public_id
        per_resident[pid] = per_resident.get(pid, 0) + 1
    detail: dict[str, Any] = {
        "count": len(created),
        "codes": sorted({obs.code for obs in created}),
        "residents": per_resident,
    }
    if isinstance(actor, Device):
        detail["device"] = actor.public_id
    audit.record(
        actor=actor if isinstance(actor, User) else None,
        action="careloop.observation.recorded",
        object_type="residents.resident",
        object_id=next(iter(per_resident)) if len(per_resident) == 1 else "",
        detail=detail,
    )
