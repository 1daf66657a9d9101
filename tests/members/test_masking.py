"""How staff see personal values by default."""

import datetime

import pytest

from members import masking
from tests.members import reference


@pytest.mark.parametrize(
    ("value", "shown"),
    [("홍길동", "홍*동"), ("홍길", "홍*"), ("남궁민수", "남**수"), ("John Smith", "J********h"), ("홍", "*")],
)
def test_name_shows_only_its_first_and_last_character_and_keeps_its_length(value, shown):
    # given
    # when
    masked = masking.mask_name(value)
    # then
    assert masked == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("010-1234-5678", "010-****-5678"),
        ("01012345678", "010-****-5678"),
        ("+82 10-1234-5678", "010-****-5678"),
        ("011-123-4567", "011-***-4567"),
        ("02-123-4567", "02-***-4567"),
        ("0212345678", "02-****-5678"),
        ("0505-1234-5678", "0505-****-5678"),
        ("1588-1234", "****-1234"),
        ("080-123-4567", "080-***-4567"),
        ("0801234567", "080-***-4567"),
        ("0505-929-2693", "0505-***-2693"),
        ("05059292693", "0505-***-2693"),
        ("030-123-4567", "030-***-4567"),
        ("010-123-4567", "010-***-4567"),
    ],
)
def test_phone_hides_the_middle_part_of_the_hyphenated_number(value, shown):
    # given a number in any shape normalize_phone accepts
    # when
    masked = masking.mask_phone(value)
    # then
    assert masked == shown


@pytest.mark.parametrize(("value", "shown"), [("12-3456-7890", "******7890"), ("123", "****"), ("tel", "****"),
                                             ("0207522637", "******2637"), ("060 700 1234", "******1234")])
def test_phone_that_cannot_be_parsed_shows_at_most_its_last_four_digits(value, shown):
    # (a number in the stored hyphenated form is masked as it stands, without validating it again)
    # given
    # when
    masked = masking.mask_phone(value)
    # then
    assert masked == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("hong@example.com", "ho***@example.com"),
        ("ab@x.kr", "a***@x.kr"),
        ("a@x.kr", "a***@x.kr"),
        ("abc@x.kr", "ab***@x.kr"),
        ("hongexample.com", "ho*************"),
    ],
)
def test_email_shows_two_characters_of_the_local_part_one_if_it_is_short(value, shown):
    # given
    # when
    masked = masking.mask_email(value)
    # then
    assert masked == shown


@pytest.mark.parametrize("typed", ["900101-1234568", "9001011234568"])
def test_rrn_shows_only_the_birth_date_and_the_7th_digit(typed):
    # given
    assert reference.rrn_check_digit("900101123456") == typed[-1]
    # when
    masked = masking.mask_rrn(typed)
    # then
    assert masked == "900101-1******"


CARD_14 = reference.card("9410123456789")
CARD_19 = reference.card("941012345678901234")


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("1234567812345678", "****-****-****-5678"),
        ("1234-5678-1234-5678", "****-****-****-5678"),
        (CARD_14, f"****-****-****-{CARD_14[-4:]}"),
        (CARD_19, f"****-****-****-{CARD_19[-4:]}"),
    ],
)
def test_card_always_shows_four_groups_with_only_the_last_four_digits(number, shown):
    # given a 14- to 19-digit card number
    # when
    masked = masking.mask_card(number)
    # then
    assert masked == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("서울특별시 강남구 테헤란로 123 4층", "서울특별시 강남구 ***"),
        ("경기도 성남시 분당구", "경기도 성남시 ***"),
        ("서울특별시 강남구", "서울특별시 ***"),
        ("서울특별시", "서울특별시 ***"),
    ],
)
def test_address_shows_its_first_two_words_or_only_the_first_if_there_are_two_or_fewer(value, shown):
    # given
    # when
    masked = masking.mask_address(value)
    # then
    assert masked == shown


@pytest.mark.parametrize("value", [datetime.date(1990, 1, 1), "1990-01-01"])
def test_date_shows_only_the_year(value):
    # given a date or its ISO string
    # when
    masked = masking.mask_date(value)
    # then
    assert masked == "1990-**-**"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("A123456", "A1*****"), ("ABCDEF", "AB****"), ("영업부", "영**"), ("AB", "A*"), ("과장", "과*")],
)
def test_partial_shows_the_first_third_of_the_characters(value, shown):
    # given an employee number, job title, company name or department
    # when
    masked = masking.mask_partial(value)
    # then
    assert masked == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("192.168.10.23", "192.168.10.***"),
        ("2001:db8:85a3:0:0:8a2e:370:7334", "2001:db8:85a3:0:****"),
        ("2001:db8::1", "2001:db8:0:0:****"),
        ("not-an-ip", "********"),
    ],
)
def test_ip_hides_the_last_ipv4_octet_or_all_but_the_first_four_ipv6_groups(value, shown):
    # given
    # when
    masked = masking.mask_ip(value)
    # then
    assert masked == shown


@pytest.mark.parametrize("value", ["x", "A" * 64, "A" * 88])
def test_secret_is_always_eight_stars_whatever_its_length(value):
    # given an i-PIN CI or DI
    # when
    masked = masking.mask_secret(value)
    # then
    assert masked == "********"


def test_masks_are_declared_by_name():
    # given the names the personal-data declaration uses
    names = {"name", "phone", "email", "rrn", "card", "address", "date", "partial", "ip", "secret"}
    # when
    declared = masking.MASKS
    # then
    assert set(declared) == names
    assert all(declared[name] is getattr(masking, f"mask_{name}") for name in names)


@pytest.mark.parametrize("name", sorted(masking.MASKS))
@pytest.mark.parametrize("empty", [None, ""])
def test_empty_value_is_shown_empty(name, empty):
    # given
    mask = masking.MASKS[name]
    # when
    masked = mask(empty)
    # then
    assert masked == ""


def test_a_stored_phone_is_masked_without_being_validated_again(monkeypatch):
    # given: the validator made to fail, as a list of stored numbers must not need it
    def refuse(value):
        raise AssertionError("normalize_phone called for a stored number")

    monkeypatch.setattr(masking, "normalize_phone", refuse)
    # when / then
    assert masking.mask_phone("010-2345-6789") == "010-****-6789"
    assert masking.mask_phone("0505-929-2693") == "0505-***-2693"
    assert masking.mask_phone("1588-1234") == "****-1234"
