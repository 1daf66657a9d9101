"""Validators name the field and the rule; normalisers give the stored form."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from members import validators as v


def rrn(birth: str, gender: str, serial: str = "23456", *, foreigner: bool = False) -> str:
    first12 = birth + gender + serial
    return f"{birth}-{gender}{serial}{v.rrn_check_digit(first12, foreigner=foreigner)}"


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_an_rrn_issued_before_october_2020_must_have_a_valid_check_digit():
    good = rrn("900101", "1")
    v.validate_rrn(good)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert code_of(v.validate_rrn, bad) == "rrn_checksum"
    with pytest.raises(ValidationError, match="Resident registration number: the check digit"):
        v.validate_rrn(bad)


def test_an_rrn_is_accepted_with_or_without_hyphen_and_stored_with_it():
    good = rrn("850615", "2")
    assert v.normalize_rrn(good.replace("-", "")) == good
    assert v.normalize_rrn(f" {good[:6]} {good[7:]} ") == good


@pytest.mark.parametrize("value", ["12345", "90010112345678", "9001011-23456", "abcdef-1234567"])
def test_an_rrn_must_be_13_digits(value):
    assert code_of(v.validate_rrn, value) == "rrn_format"


def test_an_rrn_must_carry_a_real_date():
    # 1999-02-30 does not exist
    assert code_of(v.validate_rrn, rrn("990230", "1")) == "rrn_date"


def test_the_gender_digit_sets_the_century():
    assert v.rrn_birth_date(rrn("050301", "3")) == datetime.date(2005, 3, 1)
    assert v.rrn_birth_date(rrn("050301", "1")) == datetime.date(1905, 3, 1)


@time_machine.travel("2026-11-28 10:00 +0900", tick=False)
def test_an_rrn_dated_in_the_future_is_refused():
    assert code_of(v.validate_rrn, rrn("270101", "3")) == "rrn_date"


@time_machine.travel("2026-11-28 10:00 +0900", tick=False)
def test_numbers_issued_since_october_2020_have_no_check_digit():
    # born 2021-05-05: the last six digits are random, any last digit is valid
    for last in "0123456789":
        v.validate_rrn(f"210505-412345{last}")


def test_a_reissued_number_skips_the_check_digit():
    good = rrn("900101", "1")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    v.validate_rrn(bad, reissued=True)


def test_foreigner_numbers_use_their_own_check_digit_rule():
    v.validate_rrn(rrn("900101", "5", foreigner=True))
    korean_rule = rrn("900101", "5", foreigner=False)
    if korean_rule != rrn("900101", "5", foreigner=True):
        assert code_of(v.validate_rrn, korean_rule) == "rrn_checksum"


def test_card_numbers_must_pass_luhn():
    partial = "941012345678901"
    good = partial + str(v.luhn_check_digit(partial))
    assert v.normalize_card_number(f"{good[:4]}-{good[4:8]}-{good[8:12]}-{good[12:]}") == good
    v.validate_card_number("4111 1111 1111 1111")
    assert code_of(v.validate_card_number, "4111111111111112") == "card_checksum"
    assert code_of(v.validate_card_number, "4111-1111") == "card_format"


@pytest.mark.parametrize(
    ("value", "stored"),
    [("010-1234-5678", "010-1234-5678"), ("01012345678", "010-1234-5678"), ("+82 10-1234-5678", "010-1234-5678"),
     ("010.1234.5678", "010-1234-5678"), ("011-123-4567", "011-123-4567")],
)
def test_mobile_numbers_are_stored_hyphenated(value, stored):
    assert v.normalize_mobile(value) == stored


@pytest.mark.parametrize("value", ["010-123-4567", "02-1234-5678", "1588-1234", "010-1234-56789", "phone"])
def test_a_mobile_number_must_be_a_korean_mobile_number(value):
    assert code_of(v.validate_mobile, value) == "mobile_format"


@pytest.mark.parametrize(
    ("value", "stored"),
    [("0221635700", "02-2163-5700"), ("02-123-4567", "02-123-4567"), ("031-123-4567", "031-123-4567"),
     ("07012345678", "070-1234-5678"), ("1588-1234", "1588-1234"), ("0505-1234-5678", "0505-1234-5678"),
     ("010-2222-3333", "010-2222-3333"), ("+82 2 2163 5700", "02-2163-5700")],
)
def test_other_phone_numbers_are_stored_hyphenated(value, stored):
    assert v.normalize_phone(value) == stored


@pytest.mark.parametrize("value", ["12-345-6789", "0999-123-4567", "2163-5700", "02-12-3456"])
def test_a_phone_number_must_be_a_korean_number(value):
    assert code_of(v.validate_phone, value) == "phone_format"


def test_emails_keep_the_local_part_and_lower_case_the_domain():
    assert v.normalize_email(" Gildong.Hong@Example.CO.KR ") == "Gildong.Hong@example.co.kr"
    for bad in ["nope", "a@", "@b.kr", "a b@c.kr", "x" * 250 + "@b.kr"]:
        assert code_of(v.validate_email, bad) == "email_format"


def test_login_ids_are_lower_case_letters_digits_and_underscores():
    assert v.normalize_login_id(" HongGD_01 ") == "honggd_01"
    for bad in ["abc", "1abc", "hong-gd", "a" * 21, "홍길동아이디"]:
        assert code_of(v.validate_login_id, bad) == "login_id_format"


@pytest.mark.parametrize("value", ["홍길동", "남궁민수", "John Smith", "O'Brien", "Jean-Luc"])
def test_names_in_hangul_or_latin_letters_are_accepted(value):
    v.validate_person_name(value)


@pytest.mark.parametrize("value", ["홍", "홍길동1", "<script>", "a" * 51])
def test_names_with_digits_symbols_or_wrong_length_are_refused(value):
    assert code_of(v.validate_person_name, value) == "name_format"


def test_ipin_ci_is_88_and_di_64_base64_characters():
    v.validate_ipin_ci("A" * 86 + "==")
    v.validate_ipin_di("a+/" * 21 + "Z")
    assert code_of(v.validate_ipin_ci, "A" * 87) == "ipin_ci_format"
    assert code_of(v.validate_ipin_ci, "A" * 40 + "=" + "A" * 47) == "ipin_ci_format"
    assert code_of(v.validate_ipin_di, "!" * 64) == "ipin_di_format"


@time_machine.travel("2026-11-28 10:00 +0900", tick=False)
def test_a_birth_date_lies_between_1900_and_today():
    v.validate_birth_date(datetime.date(2026, 11, 28))
    assert code_of(v.validate_birth_date, datetime.date(2026, 11, 29)) == "birth_date_range"
    assert code_of(v.validate_birth_date, datetime.date(1899, 12, 31)) == "birth_date_range"
