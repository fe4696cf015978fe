"""Observation ↔ ``observations.Observation`` (one reading).

``Observation.id`` is the reading's public id. The code is a LOINC coding from
``observations.codes`` (glucose in mmol/L only); the value a ``valueQuantity`` in the code's
UCUM unit. Blood pressure is the panel 85354-9 with the components 8480-6 (systolic) and
8462-4 (diastolic). ``effectiveDateTime`` (or ``effectiveInstant``) needs a time zone.
``identifier[0].value`` is the sender's id of the reading: sent again (by the same device, or
for the same resident and source) it stores nothing and answers 200 with the stored reading.

Writes go through ``observations.services.record_readings`` (alert rules run in the same
transaction); a transaction Bundle's Observations are recorded in one call
(``create_many``). A device token (``cld_…``) may create Observations for its own resident
only (``subject`` may then be left out). Reads and searches see the residents the caller sees
(``residents_visible_to``); staff reads are audited per resident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _
from fhir.resources.R4B.observation import Observation as FhirObservation
from pydantic import TypeAdapter

from careloop.core import audit
from careloop.core.errors import DomainError, NotFoundError
from careloop.fhir.auth import add_authenticator
from careloop.fhir.context import FhirContext
from careloop.fhir.device_auth import device_token
from careloop.fhir.outcome import FhirError, Issue, from_domain_error, not_found
from careloop.fhir.registry import (
    BulkRefused,
    Found,
    Interaction,
    ResourceHandler,
    SearchParam,
    register,
)
from careloop.fhir.search import date_q, parse_token
from careloop.observations import codes
from careloop.observations.models import Device, Observation
from careloop.observations.services.readings import (
    TRANSACTION,
    BatchRefused,
    ItemResult,
    ReadingIn,
    record_readings,
)
from careloop.residents.selectors import residents_visible_to

add_authenticator(device_token)

SPEC = "http://hl7.org/fhir/SearchParameter/"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
DEVICE_SYSTEM = "urn:careloop:device"
STORED_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
# Unit texts devices send in ``valueQuantity.unit`` for the UCUM code (the code is checked
# strictly when present).
UNIT_ALIASES: dict[str, frozenset[str]] = {
    "mm[Hg]": frozenset({"mmHg", "mm Hg"}),
    "/min": frozenset({"bpm", "beats/min", "{beats}/min", "/分"}),
    "Cel": frozenset({"°C", "C", "℃"}),
    "kg/m2": frozenset({"kg/m²"}),
    "{steps}": frozenset({"steps", "step", "步"}),
    "mmol/L": frozenset({"mmol/l"}),
}


def category_of(code: str) -> tuple[str, str]:
    if code in codes.GLUCOSE_CODES:
        return "laboratory", "Laboratory"
    if code == codes.STEPS:
        return "activity", "Activity"
    return "vital-signs", "Vital Signs"


def patient_id(value: str) -> str:
    """``Patient/abc``, an absolute ``…/Patient/abc`` or a bare ``abc`` → ``abc`` ("" for a
    reference to another type)."""
    parts = value.rstrip("/").split("/")
    if len(parts) == 1:
        return parts[0]
    return parts[-1] if parts[-2] == "Patient" else ""


def _id_q(value: str, modifier: str | None) -> Q:
    return Q(public_id=value)


def _patient_q(value: str, modifier: str | None) -> Q:
    pid = patient_id(value)
    return Q(resident__public_id=pid) if pid else Q(pk__in=[])


def _code_q(value: str, modifier: str | None) -> Q:
    system, code = parse_token(value)
    if system not in (None, codes.LOINC) or code not in codes.CODES:
        return Q(pk__in=[])
    return Q(code=code)


def _date_q(value: str, modifier: str | None) -> Q:
    return date_q("effective_at", value, datetime_field=True)


def _identifier_q(value: str, modifier: str | None) -> Q:
    _system, code = parse_token(value)
    return Q(identifier=code) if code else Q(pk__in=[])


def _decimal(value: Decimal, decimals: int) -> Decimal | int:
    return int(value) if decimals == 0 else value.quantize(Decimal(1).scaleb(-decimals))


def _quantity(value: Decimal, unit: str, decimals: int) -> dict[str, Any]:
    return {"value": _decimal(value, decimals), "unit": unit, "system": codes.UCUM, "code": unit}


_DATETIME = TypeAdapter(datetime)


def _json_datetime(value: datetime) -> str:
    """A datetime as the R4B models write it (pydantic's JSON form: ``Z`` for UTC)."""
    text: str = _DATETIME.dump_python(value, mode="json")
    return text


def _json_quantity(value: Decimal, unit: str, decimals: int) -> dict[str, Any]:
    """``_quantity`` as the R4B models write it (a non-integral decimal as a JSON number)."""
    number: Decimal | int | float = _decimal(value, decimals)
    if isinstance(number, Decimal):
        exponent = number.as_tuple().exponent
        integral = number.is_finite() and number == number.to_integral_value()
        number = (
            int(number)
            if integral and isinstance(exponent, int) and exponent >= 0
            else float(number)
        )
    return {"value": number, "unit": unit, "system": codes.UCUM, "code": unit}


def _loinc(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": codes.LOINC, "code": code, "display": display}], "text": display}


@dataclass
class _Mapped:
    """One FHIR Observation as a ``ReadingIn``, with the FHIRPaths of the service's fields in
    this resource and the FHIR-level errors found while mapping."""

    item: ReadingIn | None
    paths: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.issues.append(Issue(code="value", diagnostics=message, expression=(path,)))


@register
class ObservationResource(ResourceHandler[Observation]):
    resource_type = "Observation"
    model = FhirObservation
    documentation = (
        "A reading (BP, glucose, heart rate, SpO2, steps, weight, BMI, temperature): LOINC "
        "code, UCUM valueQuantity; blood pressure as panel 85354-9 with components 8480-6 and "
        "8462-4. identifier[0].value makes a create idempotent. Device tokens may create "
        "readings for their own resident."
    )
    search_params = (
        SearchParam("_id", "token", _id_q, "Observation.id", SPEC + "Resource-id"),
        SearchParam(
            "patient",
            "reference",
            _patient_q,
            "The resident (Patient/id).",
            SPEC + "clinical-patient",
        ),
        SearchParam("subject", "reference", _patient_q, "The resident (Patient/id)."),
        SearchParam(
            "code",
            "token",
            _code_q,
            f"LOINC code ({codes.LOINC}|code or code).",
            SPEC + "clinical-code",
        ),
        SearchParam(
            "date",
            "date",
            _date_q,
            "effectiveDateTime; eq ne gt lt ge le prefixes.",
            SPEC + "clinical-date",
        ),
        SearchParam(
            "identifier",
            "token",
            _identifier_q,
            "The sender's identifier of the reading.",
            SPEC + "clinical-identifier",
        ),
    )
    field_paths = {
        "code": "Observation.code",
        "resident": "Observation.subject",
        "source": "Observation",
        "value": "Observation.valueQuantity.value",
        "value2": "Observation.component",
        "systolic": "Observation.component",
        "diastolic": "Observation.component",
        "effective_at": "Observation.effectiveDateTime",
        "identifier": "Observation.identifier",
    }
    device_interactions = frozenset({Interaction.CREATE})

    # ---- reads ----------------------------------------------------------------------------

    def search(self, ctx: FhirContext) -> QuerySet[Observation]:
        # patient= narrows to one resident: with code= and date= the rows come from the
        # (resident, code, effective_at) index, newest first.
        return Observation.objects.filter(
            resident__in=residents_visible_to(ctx.user).values("pk")
        ).select_related("resident", "device")

    def read(self, ctx: FhirContext, resource_id: str) -> Observation:
        obj = self.search(ctx).filter(public_id=resource_id).first()
        if obj is None:
            raise not_found(self.resource_type, resource_id)
        self.disclosed(ctx, [obj], "fhir.read")
        return obj

    def disclosed(self, ctx: FhirContext, objs: Sequence[Observation], purpose: str) -> None:
        """Staff reads are audited once per resident, as ``readings_for`` does."""
        seen: set[int] = set()
        for obs in objs:
            resident = obs.resident
            if resident.pk in seen or resident.user_id == ctx.user.pk:
                continue
            seen.add(resident.pk)
            audit.record(
                actor=ctx.user,
                action="careloop.resident.viewed",
                obj=resident,
                detail={"purpose": purpose},
            )

    def last_updated(self, obj: Observation) -> datetime | None:
        return obj.created_at

    # ---- writes ---------------------------------------------------------------------------

    def create(self, ctx: FhirContext, resource: FhirObservation) -> Observation | Found[Any]:
        try:
            (result,) = self.create_many(ctx, [resource])
        except BulkRefused as refused:
            raise refused.errors[0] from None
        return result

    def create_many(
        self, ctx: FhirContext, resources: Sequence[FhirObservation]
    ) -> list[Observation | Found[Any]]:
        mapped = [self.from_fhir_item(ctx, resource) for resource in resources]
        refused = {
            position: FhirError(400, "invalid", "", issues=m.issues)
            for position, m in enumerate(mapped)
            if m.issues
        }
        if refused:
            raise BulkRefused(refused)
        actor: Any = ctx.caller.credential if ctx.caller.is_device else ctx.user
        items = [m.item for m in mapped if m.item is not None]
        try:
            results = record_readings(actor=actor, items=items, mode=TRANSACTION)
        except BatchRefused as exc:
            raise BulkRefused(
                {
                    r.index: self._item_error(r.error, mapped[r.index].paths)
                    for r in exc.results
                    if r.error is not None
                }
            ) from None
        return self._outcomes(results)

    def _outcomes(self, results: list[ItemResult]) -> list[Observation | Found[Any]]:
        out: list[Observation | Found[Any]] = []
        for result in results:
            assert result.observation is not None
            out.append(result.observation if result.created else Found(result.observation))
        return out

    def _item_error(self, error: DomainError, paths: dict[str, str]) -> FhirError:
        if isinstance(error, NotFoundError):
            return FhirError(404, "not-found", str(error.message), expression=(paths["resident"],))
        return from_domain_error(error, self.resource_type, {**self.field_paths, **paths})

    # ---- mapping --------------------------------------------------------------------------

    def from_fhir_item(self, ctx: FhirContext, resource: FhirObservation) -> _Mapped:
        mapped = _Mapped(item=None, paths=dict(self.field_paths))
        if resource.status not in STORED_STATUSES:
            mapped.error(
                "Observation.status", _("Only final, amended or preliminary readings are stored.")
            )
        spec = self._spec(resource, mapped)
        subject = self._subject(ctx, resource, mapped)
        self._check_device(ctx, resource, mapped)
        value: Any = None
        value2: Any = None
        if spec is not None:
            value, value2 = self._values(resource, spec, mapped)
        effective: Any = resource.effectiveDateTime or resource.effectiveInstant
        if resource.effectiveInstant is not None:
            mapped.paths["effective_at"] = "Observation.effectiveInstant"
        if effective is not None and not isinstance(effective, datetime):
            if isinstance(effective, date):
                mapped.error(
                    mapped.paths["effective_at"],
                    _("Give the time of the reading with its time zone."),
                )
            effective = None
        elif resource.effectivePeriod is not None and effective is None:
            mapped.error(
                "Observation.effectivePeriod",
                _("Give the time of the reading as effectiveDateTime."),
            )
        identifier = ""
        for position, ident in enumerate(resource.identifier or []):
            if ident.value:
                identifier = ident.value
                mapped.paths["identifier"] = f"Observation.identifier[{position}].value"
                break
        if mapped.issues:
            return mapped
        mapped.item = ReadingIn(
            code=spec.code if spec else "",
            value=value,
            value2=value2,
            effective_at=effective,
            resident=subject,
            identifier=identifier,
        )
        return mapped

    def _spec(self, resource: FhirObservation, mapped: _Mapped) -> codes.CodeSpec | None:
        codings = resource.code.coding or []
        for coding in codings:
            if coding.system == codes.LOINC and coding.code in codes.CODES:
                return codes.CODES[coding.code]
        mapped.error(
            "Observation.code",
            _("Code the reading with one of the supported LOINC codes (system %(system)s).")
            % {"system": codes.LOINC},
        )
        return None

    def _subject(self, ctx: FhirContext, resource: FhirObservation, mapped: _Mapped) -> str | None:
        if resource.subject is None:
            if not ctx.caller.is_device:
                mapped.error("Observation.subject", _("Name the resident as subject."))
            return None
        reference = resource.subject.reference or ""
        if reference.startswith(ctx.base_url):
            reference = reference[len(ctx.base_url) :]
        parts = reference.split("/")
        if len(parts) != 2 or parts[0] != "Patient" or not parts[1]:
            mapped.error(
                "Observation.subject.reference",
                _("The subject must be a reference to a Patient (Patient/id)."),
            )
            return None
        return parts[1]

    def _check_device(self, ctx: FhirContext, resource: FhirObservation, mapped: _Mapped) -> None:
        """A device may name itself as ``device``; a user's ``device`` is not stored (the
        reading is recorded as the user's)."""
        if not ctx.caller.is_device or resource.device is None:
            return
        device: Device = ctx.caller.credential
        reference = resource.device.reference or ""
        identifier = resource.device.identifier
        named = (
            reference.rsplit("/", 1)[-1]
            if reference
            else (identifier.value if identifier is not None else "")
        )
        if named and named != device.public_id:
            mapped.error("Observation.device", _("A device may send only its own readings."))

    def _values(
        self, resource: FhirObservation, spec: codes.CodeSpec, mapped: _Mapped
    ) -> tuple[Any, Any]:
        if not spec.has_components:
            if resource.component:
                mapped.error("Observation.component", _("This kind of reading has a single value."))
            if resource.valueQuantity is None:
                mapped.error(
                    "Observation.valueQuantity",
                    _("Give the value as valueQuantity in %(unit)s.") % {"unit": spec.unit},
                )
                return None, None
            self._check_unit(resource.valueQuantity, spec.unit, "Observation.valueQuantity", mapped)
            return resource.valueQuantity.value, None
        if resource.valueQuantity is not None:
            mapped.error(
                "Observation.valueQuantity",
                _("Give blood pressure as the components %(codes)s.")
                % {"codes": ", ".join(c.code for c in spec.components)},
            )
        values: list[Any] = [None, None]
        names = ("systolic", "diastolic")
        for position, component in enumerate(resource.component or []):
            path = f"Observation.component[{position}]"
            code = next(
                (
                    c.code
                    for c in component.code.coding or []
                    if c.system == codes.LOINC and c.code in {x.code for x in spec.components}
                ),
                None,
            )
            if code is None:
                mapped.error(
                    f"{path}.code",
                    _("Use the components %(codes)s.")
                    % {"codes": ", ".join(c.code for c in spec.components)},
                )
                continue
            which = next(i for i, c in enumerate(spec.components) if c.code == code)
            mapped.paths[names[which]] = f"{path}.valueQuantity.value"
            if component.valueQuantity is None:
                mapped.error(f"{path}.valueQuantity", _("This element is required."))
                continue
            self._check_unit(
                component.valueQuantity, spec.components[which].unit, f"{path}.valueQuantity",
                mapped,
            )  # fmt: skip
            values[which] = component.valueQuantity.value
        return values[0], values[1]

    def _check_unit(self, quantity: Any, unit: str, path: str, mapped: _Mapped) -> None:
        if quantity.system not in (None, codes.UCUM):
            mapped.error(
                f"{path}.system", _("Use UCUM units (%(system)s).") % {"system": codes.UCUM}
            )
        elif quantity.code is not None and quantity.code != unit:
            mapped.error(f"{path}.code", _("Give this value in %(unit)s.") % {"unit": unit})
        elif (
            quantity.code is None
            and quantity.unit is not None
            and quantity.unit != unit
            and quantity.unit not in UNIT_ALIASES.get(unit, ())
        ):
            mapped.error(f"{path}.unit", _("Give this value in %(unit)s.") % {"unit": unit})

    def to_fhir(self, ctx: FhirContext, obj: Observation) -> FhirObservation:
        spec = codes.CODES[obj.code]
        category, category_display = category_of(obj.code)
        data: dict[str, Any] = {
            "resourceType": "Observation",
            "id": obj.public_id,
            "meta": {"lastUpdated": obj.created_at},
            "status": "final",
            "category": [
                {"coding": [{"system": CATEGORY_SYSTEM, "code": category,
                             "display": category_display}]}
            ],
            "code": _loinc(spec.code, spec.display),
            "subject": {"reference": f"Patient/{obj.resident.public_id}"},
            "effectiveDateTime": obj.effective_at,
            "issued": obj.created_at,
        }  # fmt: skip
        if obj.identifier:
            data["identifier"] = [{"value": obj.identifier}]
        if obj.device is not None:
            data["device"] = {
                "identifier": {"system": DEVICE_SYSTEM, "value": obj.device.public_id},
                "display": obj.device.get_kind_display(),
            }
        if spec.has_components:
            data["component"] = [
                {
                    "code": _loinc(c.code, c.display),
                    "valueQuantity": _quantity(v, c.unit, c.decimals),
                }
                for c, v in zip(spec.components, (obj.value, obj.value2), strict=True)
                if v is not None
            ]
        else:
            data["valueQuantity"] = _quantity(obj.value, spec.unit, spec.decimals)
        return FhirObservation.model_validate(data)

    def prepare_fhir_json(self, ctx: FhirContext, objs: Sequence[Observation]) -> None:
        """Retries (stored readings): their residents and devices in one query each."""
        prefetch_related_objects(list(objs), "resident", "device")

    def to_fhir_json(self, ctx: FhirContext, obj: Observation) -> dict[str, Any]:
        """``to_fhir`` as JSON, built directly: the same data, correct by construction (a
        test checks it equals ``to_fhir``'s and validates as R4B), so that a
        transaction of 1,000 readings answers with its representation without 1,000 R4B
        validations and serialisations."""
        spec = codes.CODES[obj.code]
        category, category_display = category_of(obj.code)
        created = _json_datetime(obj.created_at)
        data: dict[str, Any] = {"resourceType": "Observation", "id": obj.public_id,
                                "meta": {"lastUpdated": created}}  # fmt: skip
        if obj.identifier:
            data["identifier"] = [{"value": obj.identifier}]
        data["status"] = "final"
        data["category"] = [
            {"coding": [{"system": CATEGORY_SYSTEM, "code": category,
                         "display": category_display}]}
        ]  # fmt: skip
        data["code"] = _loinc(spec.code, spec.display)
        data["subject"] = {"reference": f"Patient/{obj.resident.public_id}"}
        data["effectiveDateTime"] = _json_datetime(obj.effective_at)
        data["issued"] = created
        if not spec.has_components:
            data["valueQuantity"] = _json_quantity(obj.value, spec.unit, spec.decimals)
        if obj.device is not None:
            data["device"] = {
                "identifier": {"system": DEVICE_SYSTEM, "value": obj.device.public_id},
                "display": obj.device.get_kind_display(),
            }
        if spec.has_components:
            data["component"] = [
                {
                    "code": _loinc(c.code, c.display),
                    "valueQuantity": _json_quantity(v, c.unit, c.decimals),
                }
                for c, v in zip(spec.components, (obj.value, obj.value2), strict=True)
                if v is not None
            ]
        return data
