"""Validators refuse with a code and a message naming the field and the rule; normalizers give the stored form."""

import base64
import datetime
import random
from collections.abc import Callable
from typing import Any

import phonenumbers
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from phonenumbers import PhoneNumberType
from stdnum import luhn
from stdnum.kr import rrn as stdnum_rrn

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


# Independent references: python-stdnum for the check digits, libphonenumber for phone numbers


def test_rrn_check_digit_matches_python_stdnum_on_random_numbers():
    # given 2,000 random first-12 digits
    generator = random.Random(12)
    prefixes = ["".join(generator.choice("0123456789") for _ in range(12)) for _ in range(2000)]
    # when / then: the production digit is python-stdnum's on every one
    assert [validators.rrn_check_digit(p, foreigner=False) for p in prefixes] == [
        int(stdnum_rrn.calc_check_digit(p)) for p in prefixes
    ]


def test_rrn_check_digit_matches_published_vectors():
    # given python-stdnum's documented example 971013-9019902 and a foreigner's number computed by hand:
    # 900101-5234561: 9*2+0*3+0*4+1*5+0*6+1*7+5*8+2*9+3*2+4*3+5*4+6*5 = 156, (13 - 156 % 11) % 10 = 1
    # when / then
    assert validators.rrn_check_digit("971013901990", foreigner=False) == 2
    assert validators.rrn_check_digit("900101523456", foreigner=True) == 1


@time_machine.travel(TODAY, tick=False)
def test_rrn_validation_agrees_with_python_stdnum_on_random_numbers():
    # given random numbers born 1900-2020 (7th digit 1-4), with right and wrong check digits
    generator = random.Random(13)
    for _ in range(2000):
        birth = datetime.date(1900, 1, 1) + datetime.timedelta(days=generator.randrange(120 * 365))
        gender = generator.choice("12" if birth.year < 2000 else "34")
        number = f"{birth:%y%m%d}{gender}{generator.randrange(10**6):06d}"
        if birth >= validators.RRN_RANDOM_SERIAL_SINCE:
            continue
        # when
        ours = _accepts(validators.validate_rrn, number)
        # then: python-stdnum also refuses place-of-birth codes above 96, which the law leaves to the issuer
        expected = number[-1] == stdnum_rrn.calc_check_digit(number[:12])
        assert ours == expected, number


def test_luhn_check_digit_matches_python_stdnum_on_random_numbers():
    # given 2,000 random partial card numbers of 13 to 18 digits
    generator = random.Random(14)
    partials = ["".join(generator.choice("0123456789") for _ in range(generator.randint(13, 18)))
                for _ in range(2000)]
    # when / then
    assert [str(validators.luhn_check_digit(p)) for p in partials] == [luhn.calc_check_digit(p) for p in partials]


def test_card_number_validation_agrees_with_python_stdnum_luhn():
    # given random 16-digit numbers, about one in ten with a valid check digit
    generator = random.Random(15)
    numbers = ["".join(generator.choice("0123456789") for _ in range(16)) for _ in range(3000)]
    # when / then
    for number in numbers:
        assert _accepts(validators.validate_card_number, number) == luhn.is_valid(number), number


def test_luhn_published_vectors():
    # given the ISO/IEC 7812 textbook example and the well-known test card numbers
    # when / then
    assert validators.luhn_check_digit("7992739871") == 3
    for number in ["4111111111111111", "5500000000000004", "340000000000009", "30000000000004"]:
        validators.validate_card_number(number)


def _accepts(validator: Callable[..., Any], value: Any) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


# Korean prefixes a number is dialled with: area codes, mobile, internet (070), personal (050X), toll-free
# (080, 030), premium-rate (060), pagers (015), and the 15XX-18XX representative numbers written without 0.
PREFIXES = ["02", "031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061",
            "062", "063", "064", "070", "080", "030", "060", "015", "010", "011", "012", "016", "017", "018", "019",
            "0502", "0503", "0504", "0505", "0506", "0507", "0508"]


def _library_says(digits: str, types: frozenset[int]) -> bool:
    """The reference: libphonenumber calls the typed digits a valid Korean number of one of `types`."""
    number = phonenumbers.parse(digits, "KR")
    return (phonenumbers.is_valid_number_for_region(number, "KR")
            and phonenumbers.national_significant_number(number) == digits.removeprefix("0")
            and phonenumbers.number_type(number) in types)


def _random_korean_numbers(seed: int, count: int) -> list[str]:
    generator = random.Random(seed)
    numbers = []
    for _ in range(count):
        if generator.random() < 0.1:
            numbers.append(f"1{generator.choice('5678')}{generator.randrange(10**6):06d}")
        else:
            prefix = generator.choice(PREFIXES)
            length = generator.choice((7, 8))
            numbers.append(prefix + "".join(generator.choice("0123456789") for _ in range(length)))
    return numbers


CONTACT_TYPES = frozenset({
    PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.UAN,
})


def test_phone_validator_agrees_with_libphonenumber_on_random_korean_numbers():
    # given 20,000 random numbers behind every Korean prefix
    numbers = _random_korean_numbers(seed=16, count=20_000)
    # when
    disagreements = [n for n in numbers if _accepts(validators.validate_phone, n) != _library_says(n, CONTACT_TYPES)]
    # then: the validator accepts exactly the contact numbers the library calls valid
    assert disagreements == []


def test_mobile_validator_agrees_with_libphonenumber_on_random_korean_numbers():
    # given
    numbers = _random_korean_numbers(seed=17, count=20_000)
    # when
    mobile = frozenset({PhoneNumberType.MOBILE})
    disagreements = [n for n in numbers if _accepts(validators.validate_mobile, n) != _library_says(n, mobile)]
    # then
    assert disagreements == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("080-123-4567", "080-123-4567"),  # toll-free, a company's main line
        ("0801234567", "080-123-4567"),
        ("0505-929-2693", "0505-929-2693"),  # an 11-digit personal number
        ("05059292693", "0505-929-2693"),
        ("0505-1234-5678", "0505-1234-5678"),
        ("030-123-4567", "030-123-4567"),
        ("1588-1234", "1588-1234"),
        ("02-2163-5700", "02-2163-5700"),
        ("010-1234-5678", "010-1234-5678"),
    ],
)
def test_phone_accepts_toll_free_and_personal_numbers_in_the_stored_hyphenated_form(typed, stored):
    # given / when
    normalized = validators.normalize_phone(typed)
    # then
    assert normalized == stored


@pytest.mark.parametrize("value", ["02-0752-2637", "061-0854-5874"])
def test_phone_refuses_subscriber_numbers_starting_with_0_or_1(value):
    # given a subscriber number no exchange issues
    # when
    code, message = refused(validators.validate_phone, value)
    # then
    assert code == "phone_format"
    assert message.startswith("Phone number:")


@pytest.mark.parametrize("value", ["060-700-1234", "015-315-8409"])
def test_phone_refuses_premium_rate_and_pager_numbers_as_contact_numbers(value):
    # given a valid number no one can be called back on
    # when
    code, message = refused(validators.validate_phone, value)
    # then
    assert code == "phone_type"
    assert message.startswith("Phone number:")


@pytest.mark.parametrize("value", ["080-123-4567", "02-1234-5678", "070-1234-5678", "0505-929-2693"])
def test_mobile_refuses_numbers_of_any_other_type(value):
    # given
    # when
    code, message = refused(validators.validate_mobile, value)
    # then
    assert code == "mobile_format"
    assert message.startswith("Mobile phone:")


@pytest.mark.parametrize("gender", ["9", "0"])
def test_rrn_born_in_the_1800s_is_refused_like_birth_dates_before_1900(gender):
    # given a number whose 7th digit puts the birth in 1885, with a valid check digit
    number = valid_rrn("850301", gender)
    # when
    code, message = refused(validators.validate_rrn, number)
    # then
    assert code == "rrn_date"
    assert message.startswith("Resident registration number:")
    assert "1900" in message


@pytest.mark.parametrize(
    ("value", "multiline", "refused_"),
    [
        ("홍길동", False, False),
        ("a\x00b", False, True),
        ("a\x1bb", False, True),
        ("a\nb", False, True),
        ("a\nb\tc\r\n", True, False),
        ("a\x00b", True, True),
        ("a\x7fb", True, True),
        ("a\u202eb", True, True),  # right-to-left override
        ("a\u2066b", False, True),
        ("👩\u200d💻", True, False),  # a zero-width joiner inside an emoji is a format character, not a control
    ],
)
def test_control_characters_are_found_and_line_breaks_allowed_only_in_multiline_text(value, multiline, refused_):
    # given / when / then
    assert validators.has_control_characters(value, multiline=multiline) is refused_


def test_control_characters_are_exactly_unicode_category_cc_and_the_bidirectional_controls():
    # given: every character of the Basic Multilingual Plane and a few beyond it
    import unicodedata

    characters = [chr(code) for code in [*range(0x10000), 0x1F600, 0xE0001, 0x10FFFD]]
    for char in characters:
        control = unicodedata.category(char) == "Cc" or char in validators.BIDI_CONTROLS
        # when / then: one regex search says what a category lookup per character says
        assert validators.has_control_characters(f"a{char}b") is control, hex(ord(char))
        assert validators.has_control_characters(f"a{char}b", multiline=True) is (control and char not in "\t\n\r")


def test_no_korean_number_is_both_fixed_line_and_mobile_in_the_librarys_data():
    # given the library's data for KR, on the random sample: why mobile fields accept the MOBILE type alone
    numbers = _random_korean_numbers(seed=18, count=20_000)
    # when
    types = {phonenumbers.number_type(phonenumbers.parse(n, "KR")) for n in numbers
             if _library_says(n, frozenset(range(12)))}
    # then
    assert PhoneNumberType.MOBILE in types
    assert PhoneNumberType.FIXED_LINE_OR_MOBILE not in types


def _outcome(normalize: Callable[[str], str], value: str) -> str:
    try:
        return normalize(value)
    except ValidationError as error:
        return f"refused: {error.code}"


def test_a_domestic_number_built_without_the_parser_is_judged_and_stored_as_the_parser_would(monkeypatch):
    # given every trunk-0 prefix of up to four digits that the direct build takes (0 then 1-7 or 9), at every
    # length the checks let through, with random subscriber digits, and the other forms (00, 08X carrier codes)
    generator = random.Random(29)
    numbers = [prefix + "".join(generator.choice("0123456789") for _ in range(length - len(prefix)))
               for prefix in (f"0{a}{b}{c}" for a in "123456789" for b in "0123456789" for c in "0123456789")
               for length in range(7, 13) for _ in range(2)]
    numbers += ["+82 10-1234-5678", "+82 010 1234 5678", "1588-1234", "0082-10-1234-5678", "08210-1234-5678"]
    direct = [(_outcome(validators.normalize_mobile, n), _outcome(validators.normalize_phone, n)) for n in numbers]
    # when the library parses every one of them
    monkeypatch.setattr(validators, "_parsed", lambda digits: phonenumbers.parse(digits, "KR"))
    parsed = [(_outcome(validators.normalize_mobile, n), _outcome(validators.normalize_phone, n)) for n in numbers]
    # then each is accepted or refused alike, with the same code, and stored alike
    assert [n for n, a, b in zip(numbers, direct, parsed, strict=True) if a != b] == []
    # (the comparison covers accepted numbers of both kinds, not only refusals)
    assert sum(mobile[0] == "0" for mobile, _phone in direct) > 250
    assert sum(phone[0] in "01" for _mobile, phone in direct) > 1200


def test_the_direct_build_is_the_parsers_number_wherever_the_parser_strips_only_the_trunk_0():
    generator = random.Random(31)
    for _ in range(20_000):
        digits = "0" + generator.choice("12345679") + "".join(
            generator.choice("0123456789") for _ in range(generator.randrange(5, 11)))
        parsed = phonenumbers.parse(digits, "KR")
        if phonenumbers.national_significant_number(parsed) == digits[1:]:
            assert validators._parsed(digits) == parsed, digits


def test_phone_checks_keep_the_librarys_compiled_patterns_instead_of_compiling_each_time(monkeypatch):
    # given: a mobile and a contact number checked once (the library's metadata patterns compiled then)
    assert validators.normalize_mobile("010-2345-6789") == "010-2345-6789"
    assert validators.normalize_phone("02-312-4567") == "02-312-4567"
    compiled = []

    def counting_compile(pattern, flags=0):
        compiled.append(pattern)
        return compile_before(pattern, flags)

    compile_before = phonenumbers.re_util.re.compile
    monkeypatch.setattr(phonenumbers.re_util.re, "compile", counting_compile)
    # when: the same kinds of number are checked again, after re's own cache was emptied (as a busy worker's is)
    phonenumbers.re_util.re.purge()
    assert validators.normalize_mobile("010-9876-5432") == "010-9876-5432"
    assert validators.normalize_phone("02-765-4321") == "02-765-4321"
    # then: the library asked for no pattern to be compiled again: it kept them (phonenumbers.enable_pattern_cache)
    assert compiled == []
