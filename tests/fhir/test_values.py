"""Pure helpers: Chinese name splitting, FHIR search value parsing, status policy."""

from __future__ import annotations

from datetime import date

import pytest

from careloop.core.errors import ConflictError, DomainError, NotFoundError
from careloop.fhir.names import full_name, split_name
from careloop.fhir.outcome import FhirError, from_domain_error
from careloop.fhir.search import date_range, parse_token, split_or


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [
        ("王秀英", "王", ["秀英"]),
        ("李明", "李", ["明"]),
        ("欧阳娜娜", "欧阳", ["娜娜"]),
        ("司马光", "司马", ["光"]),
        ("上官婉儿", "上官", ["婉儿"]),
        ("欧阳", "欧", ["阳"]),  # two characters: a compound surname needs a given name
        ("买买提·艾力", None, []),
        ("John Smith", None, []),
        ("王", None, []),
    ],
)
def test_split_name(name, family, given):
    assert split_name(name) == (family, given)


def test_full_name_from_parts():
    class Name:
        text = None
        family = "诸葛"
        given = ["亮"]

    class Western:
        text = None
        family = "Smith"
        given = ["John"]

    assert full_name(Name()) == "诸葛亮"
    assert full_name(Western()) == "John Smith"


def test_parse_token_and_split_or():
    assert parse_token("urn:oid:1|123") == ("urn:oid:1", "123")
    assert parse_token("|123") == ("", "123")
    assert parse_token("123") == (None, "123")
    assert split_or(r"a,b\,c") == ["a", "b,c"]


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("1949", date(1949, 1, 1), date(1950, 1, 1)),
        ("1949-12", date(1949, 12, 1), date(1950, 1, 1)),
        ("1949-02", date(1949, 2, 1), date(1949, 3, 1)),
        ("1949-12-31", date(1949, 12, 31), date(1950, 1, 1)),
    ],
)
def test_date_range(value, start, end):
    assert date_range(value) == (start, end)


def test_date_range_with_datetime_fields_is_aware():
    start, end = date_range("2025-05-01T08:30:00+08:00", as_datetime=True)
    assert start.utcoffset() is not None
    assert (end - start).total_seconds() == 1


@pytest.mark.parametrize("value", ["1949-13", "1949-02-30", "49", "yesterday"])
def test_bad_dates_are_400(value):
    with pytest.raises(FhirError) as caught:
        date_range(value)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (DomainError("x", "bad", fields={"name": ["required"]}), 400, "invalid"),
        (DomainError("x", "rule"), 422, "business-rule"),
        (ConflictError("x", "dup"), 409, "conflict"),
        (NotFoundError("x", "gone"), 404, "not-found"),
    ],
)
def test_domain_error_status_policy(error, status, code):
    translated = from_domain_error(error, "Patient", {"name": "Patient.name"})
    assert translated.status == status
    assert translated.issues[0].code == code
