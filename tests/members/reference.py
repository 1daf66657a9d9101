"""Independent reference implementations, used only by the tests: a planted fault in the production
algorithms must not be able to build the inputs that test them."""

from stdnum import luhn
from stdnum.kr import rrn as stdnum_rrn

RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_check_digit(first12: str, *, foreigner: bool = False) -> str:
    """python-stdnum's 주민등록번호 check digit; foreigners' numbers issued before October 2020 used
    (13 - sum % 11) % 10 (외국인등록번호), which python-stdnum does not implement."""
    if not foreigner:
        return stdnum_rrn.calc_check_digit(first12)
    total = sum(weight * int(digit) for weight, digit in zip(RRN_WEIGHTS, first12, strict=True))
    return str((13 - total % 11) % 10)


def rrn(birth: str, gender: str, serial: str = "23456", *, foreigner: bool = False) -> str:
    first12 = birth + gender + serial
    return f"{birth}-{gender}{serial}{rrn_check_digit(first12, foreigner=foreigner)}"


def card(partial: str) -> str:
    """A card number with python-stdnum's Luhn check digit."""
    return partial + luhn.calc_check_digit(partial)
