"""Validators (raise ValidationError) and normalizers (return the stored form) for members' personal data.

Both take raw user input and tolerate surrounding whitespace; a normalizer raises the same errors as its validator,
so callers can just normalize. Every message names the field and the rule it breaks.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# [0-9], not \d: \d also matches other scripts' digits (٣, ３), which int() would happily read.
RRN_PATTERN = re.compile(r"([0-9]{6})\s*-?\s*([0-9]{7})")
RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
# The 7th digit gives sex, nationality and century; all ten digits are assigned, so it cannot be wrong on its own.
RRN_CENTURY = {
    "9": 1800, "0": 1800,
    "1": 1900, "2": 1900, "5": 1900, "6": 1900,
    "3": 2000, "4": 2000, "7": 2000, "8": 2000,
}
RRN_FOREIGNER_DIGITS = frozenset("5678")
# Numbers issued from this date on end in six random digits, without a check digit.
RRN_RANDOM_SERIAL_SINCE = datetime.date(2020, 10, 1)

CARD_SEPARATORS = re.compile(r"[\s\-]")
CARD_PATTERN = re.compile(r"[0-9]{14,19}")

PHONE_SEPARATORS = re.compile(r"[\s.\-]")
MOBILE_PATTERN = re.compile(r"(010)([0-9]{4})([0-9]{4})|(01[16-9])([0-9]{3,4})([0-9]{4})")
# Seoul 02, the other area codes, 070 internet phones, 050X personal numbers, 15XX/16XX/18XX representative numbers.
PHONE_PATTERN = re.compile(
    r"(02)([0-9]{3,4})([0-9]{4})"
    r"|(0(?:3[1-3]|4[1-4]|5[1-5]|6[1-4]))([0-9]{3,4})([0-9]{4})"
    r"|(070)([0-9]{4})([0-9]{4})"
    r"|(050[2-8])([0-9]{4})([0-9]{4})"
    r"|(1[568][0-9]{2})([0-9]{4})"
)

EMAIL_MAX_LENGTH = 254
EMAIL_VALIDATOR = EmailValidator(
    message=_("Email: enter a valid email address, as name@example.com."), code="email_format"
)

LOGIN_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,19}")
NAME_PATTERN = re.compile(r"[가-힣A-Za-z][가-힣A-Za-z ·'\-]{0,48}[가-힣A-Za-z]")
BIRTH_DATE_MIN = datetime.date(1900, 1, 1)


def _base64_pattern(length: int) -> re.Pattern[str]:
    # '=' is padding: at most two, and only at the very end.
    return re.compile(rf"[A-Za-z0-9+/]{{{length - 2}}}(?:[A-Za-z0-9+/]{{2}}|[A-Za-z0-9+/]=|==)")


IPIN_CI_PATTERN = _base64_pattern(88)
IPIN_DI_PATTERN = _base64_pattern(64)


def rrn_check_digit(first12: str, *, foreigner: bool) -> int:
    """The 13th digit of a 주민등록번호 issued before October 2020 (주민등록법 시행규칙).

    Weights 2-9,2-5 on the first 12 digits; Koreans (11 - sum % 11) % 10, foreigners under the old
    외국인등록번호 rule (13 - sum % 11) % 10.
    """
    total = sum(int(digit) * weight for digit, weight in zip(first12, RRN_WEIGHTS, strict=True))
    return ((13 if foreigner else 11) - total % 11) % 10


def _rrn_digits(value: str) -> str:
    match = RRN_PATTERN.fullmatch(value.strip())
    if not match:
        raise ValidationError(_("Resident registration number: enter 13 digits, as 900101-1234567."), code="rrn_format")
    return match[1] + match[2]


def rrn_birth_date(value: str) -> datetime.date:
    """The birth date in a 주민등록번호: YYMMDD, in the century given by the 7th digit."""
    digits = _rrn_digits(value)
    try:
        return datetime.date(RRN_CENTURY[digits[6]] + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError as error:
        raise ValidationError(
            _("Resident registration number: the first six digits are not a real date of birth."),
            code="rrn_date",
        ) from error


def normalize_rrn(value: str, *, reissued: bool = False) -> str:
    """A 주민등록번호 as YYMMDD-GNNNNNN, after the checks of validate_rrn."""
    digits = _rrn_digits(value)
    birth_date = rrn_birth_date(digits)
    if birth_date > timezone.localdate():
        raise ValidationError(
            _("Resident registration number: the first six digits are a date in the future."), code="rrn_date"
        )
    # Numbers issued since October 2020 (new or changed, 주민등록번호 변경) end in random digits.
    if not reissued and birth_date < RRN_RANDOM_SERIAL_SINCE:
        foreigner = digits[6] in RRN_FOREIGNER_DIGITS
        if int(digits[12]) != rrn_check_digit(digits[:12], foreigner=foreigner):
            raise ValidationError(
                _("Resident registration number: the check digit (13th digit) does not match; check the number for "
                  "typos."),
                code="rrn_checksum",
            )
    return f"{digits[:6]}-{digits[6:]}"


def validate_rrn(value: str, *, reissued: bool = False) -> None:
    """주민등록번호: 13 digits, a real past birth date, and a valid check digit unless issued since October 2020."""
    normalize_rrn(value, reissued=reissued)


def luhn_check_digit(partial: str) -> int:
    """The Luhn (ISO/IEC 7812) digit to append to `partial`."""
    total = 0
    # Counting from the right of `partial`, every other digit is doubled, starting with the last.
    for position, digit in enumerate(reversed(partial)):
        doubled = int(digit) * (2 if position % 2 == 0 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    return (10 - total % 10) % 10


def normalize_card_number(value: str) -> str:
    """A 내일배움카드 number as digits only, after the checks of validate_card_number."""
    digits = CARD_SEPARATORS.sub("", value)
    if not CARD_PATTERN.fullmatch(digits):
        raise ValidationError(_("Card number: enter 14 to 19 digits."), code="card_format")
    if int(digits[-1]) != luhn_check_digit(digits[:-1]):
        raise ValidationError(
            _("Card number: the number fails the card checksum (Luhn); check it for typos."),
            code="card_checksum",
        )
    return digits


def validate_card_number(value: str) -> None:
    """내일배움카드 number: 14 to 19 digits with a valid Luhn check digit (ISO/IEC 7812)."""
    normalize_card_number(value)


def _domestic_phone_digits(value: str) -> str:
    digits = PHONE_SEPARATORS.sub("", value)
    if digits.startswith("+82"):
        # +82 replaces the leading trunk 0, which some people still write after it (+82 010-...).
        return "0" + digits[3:].removeprefix("0")
    return digits


def _hyphenated(match: re.Match[str]) -> str:
    return "-".join(part for part in match.groups() if part)


def normalize_mobile(value: str) -> str:
    """A 휴대전화번호 as 010-1234-5678 (or 011-123-4567); hyphens, spaces, dots and +82 are accepted."""
    match = MOBILE_PATTERN.fullmatch(_domestic_phone_digits(value))
    if not match:
        raise ValidationError(
            _("Mobile phone: enter a Korean mobile number, as 010-1234-5678."),
            code="mobile_format",
        )
    return _hyphenated(match)


def validate_mobile(value: str) -> None:
    """휴대전화번호: 010 + 8 digits, or 011/016/017/018/019 + 7 or 8 digits (전기통신번호관리세칙)."""
    normalize_mobile(value)


def normalize_phone(value: str) -> str:
    """A company or home phone number, hyphenated (02-1234-5678, 1588-1234, 010-1234-5678)."""
    digits = _domestic_phone_digits(value)
    match = PHONE_PATTERN.fullmatch(digits) or MOBILE_PATTERN.fullmatch(digits)
    if not match:
        raise ValidationError(
            _("Phone number: enter a Korean phone number, as 02-1234-5678."),
            code="phone_format",
        )
    return _hyphenated(match)


def validate_phone(value: str) -> None:
    """Phone (전기통신번호관리세칙): 02/0XX area code + 7 or 8 digits, 070/050X + 8, 15XX/16XX/18XX + 4, or a mobile."""
    normalize_phone(value)


def normalize_email(value: str) -> str:
    """An email address with the domain in lower case; the local part is kept as typed (it may be case-sensitive)."""
    email = value.strip()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(_("Email: an email address has at most 254 characters."), code="email_format")
    EMAIL_VALIDATOR(email)
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def validate_email(value: str) -> None:
    """Email: Django's EmailValidator and at most 254 characters (RFC 5321 path limit)."""
    normalize_email(value)


def normalize_login_id(value: str) -> str:
    """A login ID in lower case, after the checks of validate_login_id."""
    login_id = value.strip()
    # Checked before lower-casing: str.lower() turns some non-ASCII letters (the Kelvin sign) into ASCII ones.
    if not LOGIN_ID_PATTERN.fullmatch(login_id):
        raise ValidationError(
            _("Login ID: use 4 to 20 lower-case letters, digits or underscores, starting with a letter."),
            code="login_id_format",
        )
    return login_id.lower()


def validate_login_id(value: str) -> None:
    """Login ID (project rule): 4 to 20 ASCII letters, digits or underscores, starting with a letter."""
    normalize_login_id(value)


def validate_person_name(value: str) -> None:
    """성명: 2 to 50 Hangul syllables or Latin letters (as in a passport), with spaces, ·, - or ' between them."""
    if not NAME_PATTERN.fullmatch(value.strip()):
        raise ValidationError(
            _("Name: use 2 to 50 Korean or Latin letters (spaces, middle dots, hyphens and apostrophes allowed)."),
            code="name_format",
        )


def validate_ipin_ci(value: str) -> None:
    """i-PIN CI (연계정보) from an identity verification agency: 88 characters of standard base64."""
    if not IPIN_CI_PATTERN.fullmatch(value.strip()):
        raise ValidationError(
            _("i-PIN CI: the connecting information is 88 base64 characters."),
            code="ipin_ci_format",
        )


def validate_ipin_di(value: str) -> None:
    """i-PIN DI (중복가입확인정보) from an identity verification agency: 64 characters of standard base64."""
    if not IPIN_DI_PATTERN.fullmatch(value.strip()):
        raise ValidationError(
            _("i-PIN DI: the duplicate-joining information is 64 base64 characters."),
            code="ipin_di_format",
        )


def validate_birth_date(value: datetime.date) -> None:
    """생년월일 (project rule): from 1900-01-01 up to today, in the site's time zone."""
    if not BIRTH_DATE_MIN <= value <= timezone.localdate():
        raise ValidationError(_("Birth date: must be between 1900-01-01 and today."), code="birth_date_range")
