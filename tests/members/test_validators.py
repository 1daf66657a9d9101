"""Validators refuse with a code and a message naming the field and the rule; normalizers give the stored form."""

import base64
import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from members import validators
from tests.members import reference

# A fixed "today" in Korea for every rule that looks at the date.
TODAY = "2026-11-28 10:00 +0900"


# Inputs are built by independent implementations (python-stdnum), never by the functions under test.
valid_rrn = reference.rrn
valid_card = reference.card


def with_wrong_last_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def refused(validator: Callable[..., Any], value: Any, *, language: str = "en", **kwargs: Any) -> tuple[str, str]:
    """The code and the message, in English unless told otherwise, of the ValidationError the validator raises."""
    with translation.override(language):
        with pytest.raises(ValidationError) as caught:
            validator(value, **kwargs)
        # The message is lazy: render it while the language is still active.
        return caught.value.code, str(caught.value.message)


# Resident registration number (주민등록번호)


@pytest.mark.parametrize("typed", ["900101-1234568", "9001011234568", " 900101 - 1234568 ", "900101 1234568"])
def test_rrn_is_accepted_with_or_without_hyphen_and_stored_as_yymmdd_hyphen_seven_digits(typed):
    # given a number typed in any of the accepted shapes
    # when
    stored = validators.normalize_rrn(typed)
    # then
    assert stored == "900101-1234568"


@pytest.mark.parametrize(
    "value",
    [
        "12345",
        "900101-123456",
        "90010112345678",
        "9001011-234568",
        "900101_1234568",
        "abcdef-1234567",
        "９００１０１-１２３４５６８",
        "٩٠٠١٠١-١٢٣٤٥٦٨",
    ],
)
def test_rrn_must_be_13_ascii_digits_in_the_yymmdd_nnnnnnn_shape(value):
    # given a value that is not 6 + 7 ASCII digits
    # when
    code, message = refused(validators.validate_rrn, value)
    # then
    assert code == "rrn_format"
    assert message.startswith("Resident registration number:")
    assert "13 digits" in message


def test_rrn_check_digit_follows_the_weighted_sum_rule():
    # given the first 12 digits of a Korean and of a foreigner's number, computed by hand
    # weights 2,3,4,5,6,7,8,9,2,3,4,5: 9001011 23456 sums to 124 and 900101 5 23456 to 156
    # when / then
    assert validators.rrn_check_digit("900101123456", foreigner=False) == (11 - 124 % 11) % 10 == 8
    assert validators.rrn_check_digit("900101523456", foreigner=True) == (13 - 156 % 11) % 10 == 1


@pytest.mark.parametrize(
    ("birth", "gender"), [("900101", "1"), ("850615", "2"), ("050301", "3"), ("200930", "4")]
)
def test_rrn_issued_before_october_2020_must_have_a_valid_check_digit(birth, gender):
    # given a number with its check digit, and the same number with a wrong one
    good = valid_rrn(birth, gender)
    bad = with_wrong_last_digit(good)
    # when
    validators.validate_rrn(good)
    code, message = refused(validators.validate_rrn, bad)
    # then
    assert code == "rrn_checksum"
    assert message.startswith("Resident registration number:")
    assert "check digit (13th digit)" in message


@pytest.mark.parametrize("gender", ["5", "6", "7", "8"])
def test_foreigner_rrn_uses_the_foreign_registration_number_check_digit_rule(gender):
    # given a foreigner's number with the (13 - sum % 11) digit, and one with the Korean (11 - sum % 11) digit
    foreign_rule = valid_rrn("050301", gender, foreigner=True)
    korean_rule = valid_rrn("050301", gender, foreigner=False)
    # when
    validators.validate_rrn(foreign_rule)
    code, _message = refused(validators.validate_rrn, korean_rule)
    # then
    assert code == "rrn_checksum"


@pytest.mark.parametrize(
    ("gender", "year"),
    [("1", 1905), ("2", 1905), ("5", 1905), ("6", 1905), ("3", 2005), ("4", 2005), ("7", 2005), ("8", 2005),
     ("9", 1805), ("0", 1805)],
)
def test_rrn_7th_digit_gives_the_century_of_the_birth_date(gender, year):
    # given a number born on 03-01 of a year ending in 05
    number = valid_rrn("050301", gender, foreigner=gender in "5678")
    # when
    birth_date = validators.rrn_birth_date(number)
    # then
    assert birth_date == datetime.date(year, 3, 1)


@pytest.mark.parametrize(
    ("birth", "gender"),
    [
        ("990230", "1"),  # 1999-02-30
        ("901301", "2"),  # month 13
        ("900100", "1"),  # day 0
        ("000229", "1"),  # 1900 was not a leap year
        ("000229", "9"),  # nor was 1800
        ("210229", "3"),  # nor 2021
    ],
)
def test_rrn_birth_date_must_be_a_real_date_in_the_century_of_the_7th_digit(birth, gender):
    # given
    number = valid_rrn(birth, gender)
    # when
    code, message = refused(validators.validate_rrn, number)
    # then
    assert code == "rrn_date"
    assert message.startswith("Resident registration number:")
    assert "not a real date" in message


def test_rrn_leap_day_exists_in_2000():
    # given 2000-02-29, a real date only in the century of gender digits 3 and 4
    number = valid_rrn("000229", "3")
    # when
    birth_date = validators.rrn_birth_date(number)
    # then
    assert birth_date == datetime.date(2000, 2, 29)


@time_machine.travel(TODAY, tick=False)
def test_rrn_birth_date_must_not_be_in_the_future():
    # given today's number and tomorrow's
    born_today, born_tomorrow = "261128-4123456", "261129-3123456"
    # when
    validators.validate_rrn(born_today)
    code, message = refused(validators.validate_rrn, born_tomorrow)
    # then
    assert code == "rrn_date"
    assert message.startswith("Resident registration number:")
    assert "future" in message


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("last_digit", "0123456789")
@pytest.mark.parametrize("first12", ["201001312345", "240515412345", "201001712345"])
def test_rrn_born_from_october_2020_has_random_last_digits_and_no_check_digit(first12, last_digit):
    # given a number born on or after 2020-10-01, with any last digit
    number = f"{first12[:6]}-{first12[6:]}{last_digit}"
    # when
    stored = validators.normalize_rrn(number)
    # then
    assert stored == number


def test_rrn_born_on_the_day_before_october_2020_still_has_a_check_digit():
    # given a number born on 2020-09-30 with a wrong check digit
    number = with_wrong_last_digit(valid_rrn("200930", "3"))
    # when
    code, _message = refused(validators.validate_rrn, number)
    # then
    assert code == "rrn_checksum"


def test_rrn_reissued_after_october_2020_is_not_check_digit_checked():
    # given a number changed after October 2020 (주민등록번호 변경): a 1990 birth date with random last digits
    number = with_wrong_last_digit(valid_rrn("900101", "1"))
    # when
    validators.validate_rrn(number, reissued=True)
    stored = validators.normalize_rrn(number.replace("-", ""), reissued=True)
    # then
    assert stored == number


def test_rrn_reissued_still_needs_a_real_birth_date():
    # given a reissued number on 1999-02-30
    number = valid_rrn("990230", "1")
    # when
    code, _message = refused(validators.normalize_rrn, number, reissued=True)
    # then
    assert code == "rrn_date"


# 내일배움카드 card number


@pytest.mark.parametrize("partial", ["9410123456789", "941012345678901", "941012345678901234"])
def test_card_number_of_14_to_19_digits_is_stored_as_digits_only(partial):
    # given a valid number typed in groups of four with hyphens and spaces
    number = valid_card(partial)
    typed = " " + "- ".join(number[i : i + 4] for i in range(0, len(number), 4)) + " "
    # when
    stored = validators.normalize_card_number(typed)
    # then
    assert stored == number


def test_luhn_check_digit_matches_the_iso_7812_example():
    # given the textbook Luhn example 7992739871-3
    # when / then
    assert validators.luhn_check_digit("7992739871") == 3
    validators.validate_card_number("4111 1111 1111 1111")


@pytest.mark.parametrize("position", range(16))
def test_card_number_must_pass_the_luhn_checksum(position):
    # given a valid card number with one digit changed
    number = valid_card("941012345678901")
    changed = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
    # when
    code, message = refused(validators.validate_card_number, changed)
    # then
    assert code == "card_checksum"
    assert message.startswith("Card number:")
    assert "Luhn" in message


@pytest.mark.parametrize(
    "value",
    [
        "4111-1111",
        valid_card("941012345678"),  # 13 digits
        valid_card("9410123456789012345"),  # 20 digits
        "4111 1111 1111 111a",
        "4111.1111.1111.1111",
    ],
)
def test_card_number_must_be_14_to_19_digits(value):
    # given
    # when
    code, message = refused(validators.validate_card_number, value)
    # then
    assert code == "card_format"
    assert message.startswith("Card number:")
    assert "14 to 19 digits" in message


# Mobile phone (휴대전화번호)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("010-1234-5678", "010-1234-5678"),
        ("01012345678", "010-1234-5678"),
        ("010 1234 5678", "010-1234-5678"),
        ("010.1234.5678", "010-1234-5678"),
        (" 010-1234-5678 ", "010-1234-5678"),
        ("+82 10-1234-5678", "010-1234-5678"),
        ("+821012345678", "010-1234-5678"),
        ("+82 010-1234-5678", "010-1234-5678"),
        ("011-123-4567", "011-123-4567"),
        ("0161234567", "016-123-4567"),
        ("017-1234-5678", "017-1234-5678"),
        ("+82 19 123 4567", "019-123-4567"),
    ],
)
def test_mobile_number_is_stored_hyphenated(typed, stored):
    # given a mobile number typed with hyphens, spaces, dots or +82
    # when
    normalized = validators.normalize_mobile(typed)
    # then
    assert normalized == stored


@pytest.mark.parametrize(
    "value",
    [
        "010-1234-56789",
        "010-5999-1234",  # 010-597X to 010-599X are not assigned
        "013-1234-5678",
        "02-1234-5678",
        "080-123-4567",
        "1234567890",  # without the trunk 0
        "1588-1234",
        "+1 010-1234-5678",
        "010/1234/5678",
        "mobile",
    ],
)
def test_mobile_number_must_be_one_libphonenumber_calls_a_valid_korean_mobile(value):
    # given
    # when
    code, message = refused(validators.validate_mobile, value)
    # then
    assert code == "mobile_format"
    assert message.startswith("Mobile phone:")


# Company and home phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("02-123-4567", "02-123-4567"),
        ("0212345678", "02-1234-5678"),
        ("031-123-4567", "031-123-4567"),
        ("033-1234-5678", "033-1234-5678"),
        ("044 123 4567", "044-123-4567"),
        ("051.123.4567", "051-123-4567"),
        ("0641234567", "064-123-4567"),
        ("070-1234-5678", "070-1234-5678"),
        ("0502-1234-5678", "0502-1234-5678"),
        ("050812345678", "0508-1234-5678"),
        ("1588-1234", "1588-1234"),
        ("16441234", "1644-1234"),
        ("1899 1234", "1899-1234"),
        ("010-2222-3333", "010-2222-3333"),
        ("011-123-4567", "011-123-4567"),
        ("+82 2 2163 5700", "02-2163-5700"),
        ("+82-31-123-4567", "031-123-4567"),
        ("+82 70 1234 5678", "070-1234-5678"),
    ],
)
def test_phone_number_is_stored_hyphenated(typed, stored):
    # given a landline, internet, personal, representative or mobile number
    # when
    normalized = validators.normalize_phone(typed)
    # then
    assert normalized == stored


@pytest.mark.parametrize(
    "value",
    [
        "12-345-6789",
        "02-12-3456",  # Seoul takes 7 or 8 digits
        "02-12345-6789",
        "034-123-4567",  # no such area code
        "045-123-4567",
        "065-123-4567",
        "070-123-4567",  # 070 takes 8 digits
        "02-0752-2637",  # no exchange issues subscriber numbers starting with 0 or 1
        "061-0854-5874",
        "080-1234-5678",  # toll-free numbers have 7 digits after 080
        "0026903931",  # an international call prefix, not a Korean number
        "08162107",  # a carrier-selection prefix followed by a short number
        "1588-CALL",
        "1700-1234",
        "1588-123",
        "02-1234-5678 ext. 123",  # extensions are not accepted
        "02-1234-5678#123",
    ],
)
def test_phone_number_must_be_one_libphonenumber_calls_a_valid_korean_number(value):
    # given
    # when
    code, message = refused(validators.validate_phone, value)
    # then
    assert code == "phone_format"
    assert message.startswith("Phone number:")


# Email


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("hong@example.com", "hong@example.com"),
        (" Gildong.Hong@Example.CO.KR ", "Gildong.Hong@example.co.kr"),
        ("HONG+news@EXAMPLE.com", "HONG+news@example.com"),
    ],
)
def test_email_keeps_the_local_part_as_typed_and_lower_cases_the_domain(typed, stored):
    # given
    # when
    normalized = validators.normalize_email(typed)
    # then
    assert normalized == stored


@pytest.mark.parametrize("value", ["hong", "hong@", "@example.com", "hong gd@example.com", "hong@example", "a@b@c.kr"])
def test_email_must_follow_djangos_email_rules(value):
    # given
    # when
    code, message = refused(validators.validate_email, value)
    # then
    assert code == "email_format"
    assert message.startswith("Email:")


def test_email_has_at_most_254_characters():
    # given an address of exactly 254 characters and one of 255
    domain = f"{'b' * 63}.{'c' * 63}.{'d' * 58}.kr"
    longest = f"{'a' * 64}@{domain}"
    too_long = "a" + longest
    assert len(longest) == 254
    # when
    validators.validate_email(longest)
    code, message = refused(validators.validate_email, too_long)
    # then
    assert code == "email_format"
    assert message.startswith("Email:")
    assert "254" in message


# Login ID


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("hong", "hong"), (" HongGD_01 ", "honggd_01"), ("a" * 20, "a" * 20), ("kim_2024", "kim_2024")],
)
def test_login_id_is_stored_in_lower_case(typed, stored):
    # given
    # when
    normalized = validators.normalize_login_id(typed)
    # then
    assert normalized == stored


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "a" * 21,
        "1abc",
        "_abc",
        "hong-gd",
        "hong.gd",
        "hong gd",
        "홍길동아이디",
        "\u212aim_gd",  # the Kelvin sign, which str.lower() turns into an ASCII k
    ],
)
def test_login_id_is_4_to_20_letters_digits_or_underscores_starting_with_a_letter(value):
    # given
    # when
    code, message = refused(validators.validate_login_id, value)
    # then
    assert code == "login_id_format"
    assert message.startswith("Login ID:")


# Person name (성명)


@pytest.mark.parametrize(
    "value",
    ["홍길", "홍길동", "남궁민수", "John Smith", "O'Brien", "Jean-Luc Picard", "Mohammed·Ali", " 홍길동 ", "가" * 50],
)
def test_name_of_hangul_or_latin_letters_is_accepted(value):
    # given
    # when / then
    validators.validate_person_name(value)


@pytest.mark.parametrize(
    "value",
    ["홍", "가" * 51, "홍길동1", "<script>", "ㅎㄱㄷ", "山田太郎", "홍\t길동", "-홍길동", "홍길동'"],
)
def test_name_is_2_to_50_hangul_or_latin_letters_with_spaces_dots_hyphens_or_apostrophes(value):
    # given
    # when
    code, message = refused(validators.validate_person_name, value)
    # then
    assert code == "name_format"
    assert message.startswith("Name:")


# i-PIN CI and DI

CI = base64.b64encode(bytes(range(64))).decode()  # 88 characters, ending in ==
DI = base64.b64encode(bytes(range(48))).decode()  # 64 characters, no padding


@pytest.mark.parametrize("value", [CI, f" {CI}\n", "A" * 88, "A" * 87 + "=", "a+/9" * 22])
def test_ipin_ci_of_88_base64_characters_is_accepted(value):
    # given
    # when / then
    validators.validate_ipin_ci(value)


@pytest.mark.parametrize("value", [CI[:-1], CI + "=", "A" * 86 + "=A", "A" * 85 + "===", CI.replace("+", "-"),
                                   "A" * 80 + "_" * 8])
def test_ipin_ci_must_be_exactly_88_standard_base64_characters(value):
    # given
    # when
    code, message = refused(validators.validate_ipin_ci, value)
    # then
    assert code == "ipin_ci_format"
    assert message.startswith("i-PIN CI:")


@pytest.mark.parametrize("value", [DI, "A" * 62 + "==", f" {DI} "])
def test_ipin_di_of_64_base64_characters_is_accepted(value):
    # given
    # when / then
    validators.validate_ipin_di(value)


@pytest.mark.parametrize("value", [DI[:-1], DI + "A", "!" * 64, "A" * 30 + "==" + "A" * 32])
def test_ipin_di_must_be_exactly_64_standard_base64_characters(value):
    # given
    # when
    code, message = refused(validators.validate_ipin_di, value)
    # then
    assert code == "ipin_di_format"
    assert message.startswith("i-PIN DI:")


# Birth date (생년월일)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("value", [datetime.date(1900, 1, 1), datetime.date(1990, 1, 1), datetime.date(2026, 11, 28)])
def test_birth_date_from_1900_to_today_is_accepted(value):
    # given
    # when / then
    validators.validate_birth_date(value)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("value", [datetime.date(1899, 12, 31), datetime.date(2026, 11, 29)])
def test_birth_date_must_not_be_before_1900_or_in_the_future(value):
    # given
    # when
    code, message = refused(validators.validate_birth_date, value)
    # then
    assert code == "birth_date_range"
    assert message.startswith("Birth date:")


@time_machine.travel("2026-11-28 00:30 +0900", tick=False)
def test_birth_date_today_is_todays_date_in_korea():
    # given half past midnight in Seoul, still the 27th in UTC
    born_today = datetime.date(2026, 11, 28)
    # when / then
    validators.validate_birth_date(born_today)


# Translations


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validators.validate_rrn, "12345"),
        (validators.validate_rrn, "990230-1234567"),
        (validators.validate_rrn, with_wrong_last_digit(valid_rrn("900101", "1"))),
        (validators.validate_card_number, "4111"),
        (validators.validate_card_number, "4111111111111112"),
        (validators.validate_mobile, "123"),
        (validators.validate_phone, "123"),
        (validators.validate_email, "nope"),
        (validators.validate_email, "a" * 255),
        (validators.validate_login_id, "abc"),
        (validators.validate_person_name, "홍"),
        (validators.validate_ipin_ci, "A"),
        (validators.validate_ipin_di, "A"),
        (validators.validate_birth_date, datetime.date(1899, 12, 31)),
    ],
)
def test_refusal_message_has_a_korean_translation(validator, value):
    # given the refusal in English
    _code, english = refused(validator, value)
    # when
    _code, korean = refused(validator, value, language="ko")
    # then
    assert korean != english
