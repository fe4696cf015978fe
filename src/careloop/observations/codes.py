"""What CareLoop can measure: one LOINC code per kind of reading, its UCUM unit and the
physiologically possible range. Pure Python (no Django): the rule engine, the FHIR facade and
the benchmarks share it.

| key                 | LOINC   | UCUM    | range        | what                              |
|---------------------|---------|---------|--------------|-----------------------------------|
| bp                  | 85354-9 | mm[Hg]  | components   | blood pressure panel              |
|   (value) systolic  | 8480-6  | mm[Hg]  | 50–300       | systolic blood pressure           |
|   (value2) diastolic| 8462-4  | mm[Hg]  | 20–200, < sys| diastolic blood pressure          |
| glucose_fasting     | 14770-2 | mmol/L  | 0.5–50       | fasting, capillary, glucometer    |
| glucose_fasting_lab | 14771-0 | mmol/L  | 0.5–50       | fasting, serum or plasma          |
| glucose_random      | 14743-9 | mmol/L  | 0.5–50       | random, capillary, glucometer     |
| glucose_random_lab  | 15074-8 | mmol/L  | 0.5–50       | random, blood                     |
| glucose_post_meal   | 14760-3 | mmol/L  | 0.5–50       | 2 hours after a meal, capillary   |
| heart_rate          | 8867-4  | /min    | 20–300       | heart rate                        |
| spo2                | 59408-5 | %       | 50–100       | SpO2 by pulse oximetry            |
| steps               | 55423-8 | {steps} | 0–100000     | steps (daily counter, see below)  |
| body_weight         | 29463-7 | kg      | 1–400        | body weight                       |
| bmi                 | 39156-5 | kg/m2   | 5–100        | body mass index                   |
| body_temperature    | 8310-5  | Cel     | 30–45        | body temperature                  |

The LOINC displays (long common names) are in ``CODES`` below.

Glucose is recorded in mmol/L, the unit Chinese guidelines and meters use, so only the
"[Moles/volume]" LOINC codes appear (the mg/dL codes 1558-6, 2339-0 and 1521-4 measure
mass/volume and are not accepted). Home meters read capillary blood (14770-2, 14743-9,
14760-3); clinic and lab values use the serum/plasma and whole-blood codes (14771-0, 15074-8).
The displays follow LOINC's long common names; re-check them against the LOINC release the
centre licenses before a formal interface certification.

A steps reading is the number of steps of the local calendar day it falls in (a wristband's
daily counter): several readings on one day are cumulative, the largest counts.

Blood pressure is one reading (the panel) with two components: ``value`` is the systolic and
``value2`` the diastolic pressure. Every other kind has ``value`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"

BP = "85354-9"
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
GLUCOSE_FASTING = "14770-2"
GLUCOSE_FASTING_LAB = "14771-0"
GLUCOSE_RANDOM = "14743-9"
GLUCOSE_RANDOM_LAB = "15074-8"
GLUCOSE_POST_MEAL = "14760-3"
HEART_RATE = "8867-4"
SPO2 = "59408-5"
STEPS = "55423-8"
BODY_WEIGHT = "29463-7"
BMI = "39156-5"
BODY_TEMPERATURE = "8310-5"

GLUCOSE_CODES = frozenset(
    {GLUCOSE_FASTING, GLUCOSE_FASTING_LAB, GLUCOSE_RANDOM, GLUCOSE_RANDOM_LAB, GLUCOSE_POST_MEAL}
)


@dataclass(frozen=True, slots=True)
class Component:
    code: str
    display: str
    unit: str
    low: Decimal
    high: Decimal
    decimals: int


@dataclass(frozen=True, slots=True)
class CodeSpec:
    key: str
    code: str
    display: str
    unit: str
    low: Decimal
    high: Decimal
    decimals: int
    # The two components of a panel (blood pressure): value is the first, value2 the second.
    components: tuple[Component, ...] = ()

    @property
    def has_components(self) -> bool:
        return bool(self.components)


def _d(value: str) -> Decimal:
    return Decimal(value)


CODES: dict[str, CodeSpec] = {
    spec.code: spec
    for spec in (
        CodeSpec(
            "bp", BP, "Blood pressure panel with all children optional", "mm[Hg]",
            _d("20"), _d("300"), 0,
            components=(
                Component(SYSTOLIC, "Systolic blood pressure", "mm[Hg]", _d("50"), _d("300"), 0),
                Component(DIASTOLIC, "Diastolic blood pressure", "mm[Hg]", _d("20"), _d("200"), 0),
            ),
        ),
        CodeSpec("glucose_fasting", GLUCOSE_FASTING,
                 "Fasting glucose [Moles/volume] in Capillary blood by Glucometer",
                 "mmol/L", _d("0.5"), _d("50"), 1),
        CodeSpec("glucose_fasting_lab", GLUCOSE_FASTING_LAB,
                 "Fasting glucose [Moles/volume] in Serum or Plasma",
                 "mmol/L", _d("0.5"), _d("50"), 2),
        CodeSpec("glucose_random", GLUCOSE_RANDOM,
                 "Glucose [Moles/volume] in Capillary blood by Glucometer",
                 "mmol/L", _d("0.5"), _d("50"), 1),
        CodeSpec("glucose_random_lab", GLUCOSE_RANDOM_LAB, "Glucose [Moles/volume] in Blood",
                 "mmol/L", _d("0.5"), _d("50"), 2),
        CodeSpec("glucose_post_meal", GLUCOSE_POST_MEAL,
                 "Glucose [Moles/volume] in Capillary blood --2 hours post meal",
                 "mmol/L", _d("0.5"), _d("50"), 1),
        CodeSpec("heart_rate", HEART_RATE, "Heart rate", "/min", _d("20"), _d("300"), 0),
        CodeSpec("spo2", SPO2, "Oxygen saturation in Arterial blood by Pulse oximetry", "%",
                 _d("50"), _d("100"), 0),
        CodeSpec("steps", STEPS, "Number of steps in unspecified time Pedometer", "{steps}",
                 _d("0"), _d("100000"), 0),
        CodeSpec("body_weight", BODY_WEIGHT, "Body weight", "kg", _d("1"), _d("400"), 1),
        CodeSpec("bmi", BMI, "Body mass index (BMI) [Ratio]", "kg/m2", _d("5"), _d("100"), 1),
        CodeSpec("body_temperature", BODY_TEMPERATURE, "Body temperature", "Cel",
                 _d("30"), _d("45"), 1),
    )
}  # fmt: skip
BY_KEY: dict[str, CodeSpec] = {spec.key: spec for spec in CODES.values()}


def spec_for(code_or_key: str) -> CodeSpec | None:
    """The spec for a LOINC code (``"85354-9"``) or a short key (``"bp"``), or None."""
    return CODES.get(code_or_key) or BY_KEY.get(code_or_key)


def format_value(code: str, value: float | Decimal, value2: float | Decimal | None) -> str:
    """A language-neutral summary: ``185/115 mm[Hg]``, ``6.8 mmol/L``."""
    spec = CODES.get(code)
    unit = spec.unit if spec else ""
    decimals = spec.decimals if spec else 2

    def fmt(number: float | Decimal) -> str:
        text = f"{float(number):.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text

    if value2 is not None:
        return f"{fmt(value)}/{fmt(value2)} {unit}".strip()
    return f"{fmt(value)} {unit}".strip()
