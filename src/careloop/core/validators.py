"""Validation of mainland China resident ID numbers (GB 11643-1999) and mobile numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Province-level codes (first two digits of the administrative-division code, GB/T 2260).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class IdCardInfo:
    number: str
    region: str
    birth_date: date
    sex: str  # "M" or "F"


def check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise_id_number(value: str) -> str:
    return value.strip().replace(" ", "").upper()


def parse_id_number(value: str, *, today: date | None = None) -> IdCardInfo:
    """Parse and validate an 18-digit resident ID number; raise ValidationError in Chinese
    (or the active language) naming what is wrong."""
    number = normalise_id_number(value)
    if not ID_PATTERN.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits, then a digit or X."),
            code="id_format",
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("The region code %(region)s is not a mainland province."),
            code="id_region",
            params={"region": number[:2]},
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("The birth date %(digits)s in the ID number is not a real date."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        ) from None
    if birth.year < 1900 or (today is not None and birth > today):
        raise ValidationError(
            _("The birth date %(digits)s in the ID number is out of range."),
            code="id_birth_date",
            params={"digits": number[6:14]},
        )
    if check_digit(number[:17]) != number[17]:
        raise ValidationError(
            _("The check digit of the ID number is wrong: please check each digit."),
            code="id_check_digit",
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdCardInfo(number=number, region=number[:6], birth_date=birth, sex=sex)


def validate_id_number(value: str) -> None:
    from careloop.core.clock import today

    parse_id_number(value, today=today())


def normalise_mobile(value: str) -> str:
    digits = value.strip().replace(" ", "").replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def validate_mobile(value: str) -> None:
    if not MOBILE_PATTERN.match(normalise_mobile(value)):
        raise ValidationError(
            _("A mainland mobile number has 11 digits and starts with 13–19."),
            code="mobile_format",
        )
