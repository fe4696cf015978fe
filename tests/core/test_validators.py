from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from careloop.core.validators import (
    check_digit,
    normalise_mobile,
    parse_id_number,
    validate_mobile,
)


def test_known_valid_id_number_with_x_check_digit():
    info = parse_id_number("11010519491231002X")
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "F"
    assert info.region == "110105"


def test_lower_case_x_and_spaces_are_normalised():
    assert parse_id_number(" 11010519491231002x ").number == "11010519491231002X"


@pytest.mark.parametrize("last", "0123456789")
def test_changing_the_check_digit_makes_it_invalid(last):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number("11010519491231002" + last)
    assert excinfo.value.code == "id_check_digit"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1101051949123100", "id_format"),  # too short
        ("11010519491231002Y", "id_format"),
        ("99010519491231002X", "id_region"),  # no province 99
        ("110105194902300020", "id_birth_date"),  # 30 February
        ("110105189912310020", "id_birth_date"),  # before 1900
    ],
)
def test_invalid_id_numbers_name_the_problem(number, code):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number)
    assert excinfo.value.code == code


def test_future_birth_date_is_refused_when_today_given():
    number = "11010520300101001"
    number += check_digit(number)
    with pytest.raises(ValidationError) as excinfo:
        parse_id_number(number, today=date(2026, 11, 23))
    assert excinfo.value.code == "id_birth_date"


def test_error_message_is_chinese_by_default():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            parse_id_number("110105194912310021")
        assert "校验码" in excinfo.value.messages[0]


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 23)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_any_number_built_with_the_check_digit_parses_back(birth, seq):
    first17 = f"420106{birth:%Y%m%d}{seq:03d}"
    info = parse_id_number(first17 + check_digit(first17))
    assert info.birth_date == birth
    assert info.sex == ("M" if seq % 2 else "F")


@given(
    first17=st.from_regex(r"\A42010619[5-9][0-9]0[1-9]1[0-9][0-9]{3}\Z"),
    wrong=st.sampled_from("0123456789X"),
)
def test_a_wrong_check_digit_is_always_refused(first17, wrong):
    if wrong == check_digit(first17):
        return
    with pytest.raises(ValidationError):
        parse_id_number(first17 + wrong)


@pytest.mark.parametrize("phone", ["13800138000", "+86 139 1234 5678", "0086-18612345678"])
def test_valid_mobiles(phone):
    validate_mobile(phone)


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "138001380001", "02788886666", ""])
def test_invalid_mobiles(phone):
    with pytest.raises(ValidationError):
        validate_mobile(phone)


def test_normalise_mobile_strips_country_code():
    assert normalise_mobile("+86 138-0013-8000") == "13800138000"
