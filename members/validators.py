"""Validators (raise ValidationError) and normalizers (return the stored form) for members' personal data.

Both take raw user input and tolerate surrounding whitespace; a normalizer raises the same errors as its validator,
so callers can just normalize. Every message names the field and the rule it breaks.
"""

import datetime
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberType

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
# Birth dates before 1900 are refused, as for the birth date field (BIRTH_DATE_MIN).
RRN_MIN_CENTURY = 1900
# Numbers issued from this date on end in six random digits, without a check digit.
RRN_RANDOM_SERIAL_SINCE = datetime.date(2020, 10, 1)

CARD_SEPARATORS = re.compile(r"[\s\-]")
CARD_PATTERN = re.compile(r"[0-9]{14,19}")

# The library compiles its metadata patterns on each check, through re's own cache (512 patterns, shared with
# the rest of the process: a busy worker evicts them). Its documented pattern cache keeps each one: 3 µs less a
# number here, and never a recompile.
phonenumbers.enable_pattern_cache()

PHONE_SEPARATORS = re.compile(r"[\s.\-]")
PHONE_DIGITS = re.compile(r"[0-9]{7,12}")
KOREA = 82
# The mobile type: in the library's data for KR no number is both fixed line and mobile (FIXED_LINE_OR_MOBILE).
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE})
# Numbers a company or a person can be called back on.
PHONE_TYPES = frozenset({
    PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.UAN,
})
UNREACHABLE_TYPES = frozenset({PhoneNumberType.PREMIUM_RATE, PhoneNumberType.PAGER})

EMAIL_MAX_LENGTH = 254
EMAIL_VALIDATOR = EmailValidator(
    message=_("Email: enter a valid email address, as name@example.com."), code="email_format"
)

LOGIN_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,19}")
NAME_PATTERN = re.compile(r"[가-힣A-Za-z][가-힣A-Za-z ·'\-]{0,48}[가-힣A-Za-z]")
BIRTH_DATE_MIN = datetime.date(1900, 1, 1)

# Invisible characters that change how text reads: bidirectional overrides, embeddings, isolates and marks
# (U+202E turns "gpj.exe" around); other format characters (a zero-width joiner in an emoji) are left alone.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# Unicode's category Cc is exactly U+0000-U+001F and U+007F-U+009F (a stable property): one regex search per
# value instead of a category lookup per character.
_BIDI = "".join(sorted(BIDI_CONTROLS))
CONTROL_PATTERN = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")
CONTROL_PATTERN_MULTILINE = re.compile(f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_BIDI}]")  # tab, LF, CR allowed


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether text holds a control character (Unicode category Cc: NUL, escape, line breaks, ...) or a
    bidirectional control; a multi-line text may hold tabs and line breaks."""
    return (CONTROL_PATTERN_MULTILINE if multiline else CONTROL_PATTERN).search(value) is not None


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
    if birth_date.year < RRN_MIN_CENTURY:
        raise ValidationError(
            _("Resident registration number: the 7th digit (9 or 0) puts the birth before 1900; birth dates before "
              "1900 are not accepted."),
            code="rrn_date",
        )
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
    """주민등록번호: 13 digits, a real past birth date from 1900 on, and a valid check digit unless issued since
    October 2020."""
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


# A service normalises a value and then validates the stored form with the field's validator: the answers of
# libphonenumber (the costliest check of a sign-up) and of the email validator are kept for the service call, and
# no longer (the values are personal data).
_ANSWERS: ContextVar[dict | None] = ContextVar("members_validators_answers", default=None)


@contextmanager
def answers_kept() -> Iterator[None]:
    """Within this block each distinct phone number and email address is checked once."""
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def _kept(key: tuple, check: Callable[[], Any]) -> Any:
    """check()'s answer, asked once per key within answers_kept (a refusal is raised again each time)."""
    answers = _ANSWERS.get()
    if answers is None:
        return check()
    if key not in answers:
        answers[key] = check()
    return answers[key]


def _korean_number(value: str, *, types: frozenset[int]) -> str | None:
    """The stored, hyphenated form of a Korean number the library (libphonenumber) calls valid and of one of
    `types`; None when it is not one."""
    return _kept((value, types), lambda: _korean_number_checked(value, types))


def _korean_number_checked(value: str, types: frozenset[int]) -> str | None:
    digits = _domestic_phone_digits(value.strip())
    # Only ASCII digits after the separators: no letters (1588-CALL), extensions (#123) or foreign prefixes (00X).
    if not PHONE_DIGITS.fullmatch(digits):
        return None
    try:
        number = _parsed(digits)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    # The library strips carrier-selection prefixes (08X) and dials abroad on 00X; the typed digits must be the
    # number itself: the trunk 0 and the national number, or a representative number (15XX) as it is.
    # For country code 82 (KR alone) the type is read from KR's metadata, and a number matching none of KR's
    # patterns is UNKNOWN, never in `types`: the type check is is_valid_number_for_region's check as well.
    kind = phonenumbers.number_type(number)
    # Only a representative number (15XX) is written without the trunk 0.
    if (number.country_code != KOREA or digits.removeprefix("0") != national
            or (not digits.startswith("0") and kind != PhoneNumberType.UAN)
            or kind not in types):
        return None
    if kind == PhoneNumberType.PERSONAL_NUMBER:
        # 050X personal numbers are written with their four-digit prefix: 0505-929-2693, 0502-1234-5678.
        return f"{digits[:4]}-{digits[4:-4]}-{digits[-4:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# A trunk 0 and a national number that begins with neither 0 nor 8: parse() only strips that 0 from it. KR's
# national prefix for parsing, 0(8(?:[1-46-8]|5\d\d))?, takes a carrier code only before an 8; its international
# prefix begins 00; no KR number begins with 0 (so the unstripped form is not viable) and digits beginning 0 are
# not the country code 82. Where the stripped number has a length KR does not allow, parse() keeps the 0 and the
# checks above refuse it; built directly, its type is UNKNOWN, refused too.
TRUNK_PREFIX_ONLY = re.compile(r"0[1-79][0-9]*")


def _parsed(digits: str) -> phonenumbers.PhoneNumber:
    """phonenumbers.parse(digits, "KR") for a number the checks above accept: built directly for the usual
    domestic form (TRUNK_PREFIX_ONLY), which saves half the library's time; any other form goes through it."""
    if TRUNK_PREFIX_ONLY.fullmatch(digits):
        return phonenumbers.PhoneNumber(country_code=KOREA, national_number=int(digits[1:]))
    return phonenumbers.parse(digits, "KR")


def normalize_mobile(value: str) -> str:
    """A 휴대전화번호 as 010-1234-5678 (or 011-123-4567); hyphens, spaces, dots and +82 are accepted."""
    stored = _korean_number(value, types=MOBILE_TYPES)
    if stored is None:
        raise ValidationError(
            _("Mobile phone: enter a Korean mobile number, as 010-1234-5678."),
            code="mobile_format",
        )
    return stored


def validate_mobile(value: str) -> None:
    """휴대전화번호: a number libphonenumber calls a valid Korean mobile number (010, 011, 016-019, ...)."""
    normalize_mobile(value)


def normalize_phone(value: str) -> str:
    """A company or home phone number, hyphenated (02-1234-5678, 1588-1234, 080-123-4567, 010-1234-5678)."""
    stored = _korean_number(value, types=PHONE_TYPES)
    if stored is None:
        digits = _domestic_phone_digits(value.strip())
        if PHONE_DIGITS.fullmatch(digits) and _korean_number(digits, types=UNREACHABLE_TYPES):
            raise ValidationError(
                _("Phone number: a premium-rate (060) or pager (015) number cannot be used as a contact number."),
                code="phone_type",
            )
        raise ValidationError(
            _("Phone number: enter a Korean phone number, as 02-1234-5678."),
            code="phone_format",
        )
    return stored


def validate_phone(value: str) -> None:
    """Phone: a number libphonenumber calls a valid Korean landline, mobile, 070 internet, 050X personal,
    080/030 toll-free or 15XX/16XX/18XX representative number; premium-rate and pager numbers are refused."""
    normalize_phone(value)


def normalize_email(value: str) -> str:
    """An email address with the domain in lower case; the local part is kept as typed (it may be case-sensitive)."""
    email = value.strip()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(_("Email: an email address has at most 254 characters."), code="email_format")
    return _kept(("email", email), lambda: _email_checked(email))


def _email_checked(email: str) -> str:
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
