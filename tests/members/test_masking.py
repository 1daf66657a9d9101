"""How staff see personal values by default."""

import datetime

import pytest

from members import masking as m


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (m.mask_name, "홍길동", "홍*동"),
        (m.mask_name, "홍길", "홍*"),
        (m.mask_name, "남궁민수", "남**수"),
        (m.mask_name, "John Smith", "J********h"),
        (m.mask_phone, "010-1234-5678", "010-****-5678"),
        (m.mask_phone, "01012345678", "010-****-5678"),
        (m.mask_phone, "02-123-4567", "02-***-4567"),
        (m.mask_phone, "1588-1234", "****-1234"),
        (m.mask_email, "hong@example.com", "ho***@example.com"),
        (m.mask_email, "ab@x.kr", "a***@x.kr"),
        (m.mask_rrn, "900101-1234567", "900101-1******"),
        (m.mask_rrn, "9001011234567", "900101-1******"),
        (m.mask_card, "1234567812345678", "****-****-****-5678"),
        (m.mask_address, "서울특별시 강남구 테헤란로 123 4층", "서울특별시 강남구 ***"),
        (m.mask_date, datetime.date(1990, 1, 1), "1990-**-**"),
        (m.mask_partial, "A12345", "A1****"),
        (m.mask_partial, "A123456", "A12****"),
        (m.mask_ip, "192.168.10.23", "192.168.10.***"),
        (m.mask_ip, "2001:db8:85a3:0:0:8a2e:370:7334", "2001:db8:85a3:0:****"),
        (m.mask_secret, "A" * 88, "********"),
    ],
)
def test_values_are_masked_the_way_staff_see_them(mask, value, shown):
    assert mask(value) == shown


@pytest.mark.parametrize("mask", list(m.MASKS.values()))
def test_empty_values_stay_empty(mask):
    assert mask(None) == ""
    assert mask("") == ""
