"""Validators (raise) and normalisers (return the stored form) for members' personal data.

Every message names the field and the rule it breaks.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
# Since 2020-10-01 the last six digits of a new 주민등록번호 are random: no check digit.
RRN_RANDOM_SINCE = datetime.date(2020, 10, 1)
RRN_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900,
               "3": 2000, "4": 2000, "7": 2000, "8": 2000}
FOREIGNER_DIGITS = "5678"


def _digits(value: str) -> str:
    return re.sub(r"[\s\-.]", "", value or "")


def rrn_check_digit(first12: str, *, foreigner: bool) -> int:
    total = sum(int(digit) * weight for digit, weight in zip(first12, RRN_WEIGHTS, strict=True))
    return ((13 if foreigner else 11) - total % 11) % 10


def rrn_birth_date(value: str) -> datetime.date:
    digits = _digits(value)
    try:
        return datetime.date(RRN_CENTURY[digits[6]] + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except (KeyError, ValueError, IndexError) as error:
        raise ValidationError(
            _("Resident registration number: the first six digits are not a real date of birth."), code="rrn_date"
        ) from error


def validate_rrn(value: str, *, reissued: bool = False) -> None:
    """주민등록번호: 13 digits, a real birth date, and the check digit on numbers issued before October 2020."""
    digits = _digits(value)
    if not re.fullmatch(r"\d{13}", digits):
        raise ValidationError(
            _("Resident registration number: enter 13 digits, as 900101-1234567."), code="rrn_format"
        )
    if digits[6] not in RRN_CENTURY:
        raise ValidationError(_("Resident registration number: the 7th digit is not a valid gender digit."),
                              code="rrn_gender_digit")
    birth_date = rrn_birth_date(digits)
    if birth_date > timezone.localdate():
        raise ValidationError(
            _("Resident registration number: the first six digits are a date in the future."), code="rrn_date"
        )
    if reissued or birth_date >= RRN_RANDOM_SINCE:
        return
    if int(digits[12]) != rrn_check_digit(digits[:12], foreigner=digits[6] in FOREIGNER_DIGITS):
        raise ValidationError(
            _("Resident registration number: the check digit (13th digit) does not match; check the number for "
              "typos."), code="rrn_checksum")


def normalize_rrn(value: str, *, reissued: bool = False) -> str:
    validate_rrn(value, reissued=reissued)
    digits = _digits(value)
    return f"{digits[:6]}-{digits[6:]}"


def luhn_check_digit(partial: str) -> int:
    total = 0
    for position, digit in enumerate(reversed(partial)):
        number = int(digit) * (2 if position % 2 == 0 else 1)
        total += number - 9 if number > 9 else number
    return (10 - total % 10) % 10


def validate_card_number(value: str) -> None:
    """내일배움카드 number: 14 to 19 digits with a valid Luhn checksum."""
    digits = _digits(value)
    if not re.fullmatch(r"\d{14,19}", digits):
        raise ValidationError(_("Card number: enter 14 to 19 digits."), code="card_format")
    if luhn_check_digit(digits[:-1]) != int(digits[-1]):
        raise ValidationError(_("Card number: the number fails the card checksum (Luhn); check it for typos."),
                              code="card_checksum")


def normalize_card_number(value: str) -> str:
    validate_card_number(value)
    return _digits(value)


def _domestic_digits(value: str) -> str:
    text = (value or "").strip()
    digits = _digits(text).lstrip("+")
    if text.startswith("+82"):
        digits = "0" + digits[2:].lstrip("0")
    return digits


MOBILE = re.compile(r"(010)(\d{4})(\d{4})|(01[16789])(\d{3,4})(\d{4})")
PHONE = re.compile(
    r"(02)(\d{3,4})(\d{4})|(0(?:3[1-3]|4[1-4]|5[1-5]|6[1-4]))(\d{3,4})(\d{4})|(070)(\d{4})(\d{4})"
    r"|(050[2-8])(\d{4})(\d{4})|(1[568]\d{2})(\d{4})"
)


def _hyphenated(match: re.Match) -> str:
    return "-".join(part for part in match.groups() if part)


def normalize_mobile(value: str) -> str:
    """휴대전화번호 as 010-1234-5678; +82 and any hyphens, dots or spaces are accepted."""
    match = MOBILE.fullmatch(_domestic_digits(value))
    if not match:
        raise ValidationError(_("Mobile phone: enter a Korean mobile number, as 010-1234-5678."),
                              code="mobile_format")
    return _hyphenated(match)


def validate_mobile(value: str) -> None:
    normalize_mobile(value)


def normalize_phone(value: str) -> str:
    """A landline, 070, 050X, 15XX/16XX/18XX or mobile number, hyphenated."""
    digits = _domestic_digits(value)
    match = PHONE.fullmatch(digits) or MOBILE.fullmatch(digits)
    if not match:
        raise ValidationError(_("Phone number: enter a Korean phone number, as 02-1234-5678."), code="phone_format")
    return _hyphenated(match)


def validate_phone(value: str) -> None:
    normalize_phone(value)


_email_validator = EmailValidator(message=_("Email: enter a valid email address, as name@example.com."),
                                  code="email_format")


def validate_email(value: str) -> None:
    if len(value) > 254:
        raise ValidationError(_("Email: an email address has at most 254 characters."), code="email_format")
    _email_validator(value.strip())


def normalize_email(value: str) -> str:
    """The local part as typed; the domain in lower case."""
    validate_email(value)
    local, domain = value.strip().rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalize_login_id(value: str) -> str:
    login_id = (value or "").strip().lower()
    validate_login_id(login_id)
    return login_id


def validate_login_id(value: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]{3,19}", value.strip().lower()):
        raise ValidationError(
            _("Login ID: use 4 to 20 lower-case letters, digits or underscores, starting with a letter."),
            code="login_id_format")


def validate_person_name(value: str) -> None:
    if not re.fullmatch(r"[가-힣A-Za-z][가-힣A-Za-z ·'\-]{0,48}[가-힣A-Za-z]", value.strip()):
        raise ValidationError(
            _("Name: use 2 to 50 Korean or Latin letters (spaces, middle dots, hyphens and apostrophes allowed)."),
            code="name_format")


def validate_ipin_ci(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9+/]{86}[A-Za-z0-9+/=]{2}", value) or "=" in value.rstrip("="):
        raise ValidationError(_("i-PIN CI: the connecting information is 88 base64 characters."),
                              code="ipin_ci_format")


def validate_ipin_di(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9+/]{62}[A-Za-z0-9+/=]{2}", value) or "=" in value.rstrip("="):
        raise ValidationError(_("i-PIN DI: the duplicate-joining information is 64 base64 characters."),
                              code="ipin_di_format")


def validate_birth_date(value: datetime.date) -> None:
    if value > timezone.localdate() or value < datetime.date(1900, 1, 1):
        raise ValidationError(_("Birth date: must be between 1900-01-01 and today."), code="birth_date_range")
