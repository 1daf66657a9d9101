"""How staff see personal values by default: masked, as 홍*동, 010-****-5678 or ho***@example.com.

Every mask accepts None or "" and returns "", and never raises on a malformed value.
"""

import datetime
import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from members.encryption import Undecryptable
from members.validators import normalize_phone

NON_DIGITS = re.compile(r"[^0-9]")
# The stored forms of phone numbers: 010-1234-5678, 02-123-4567, 0505-929-2693, 1588-1234.
STORED_PHONE = re.compile(r"0[0-9]{1,3}-[0-9]{3,5}-[0-9]{4}|1[0-9]{3}-[0-9]{4}")
SECRET = "********"


def _marker_safe(mask: Callable[[Any], str]) -> Callable[[Any], str]:
    """A value that could not be decrypted is shown as the marker, whatever the mask."""

    @functools.wraps(mask)
    def masked(value: Any) -> str:
        return str(value) if isinstance(value, Undecryptable) else mask(value)

    return masked


@_marker_safe
def mask_name(value: str | None) -> str:
    """Every character but the first and the last: 홍*동, 남**수, 홍*; a one-character name is *."""
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


@_marker_safe
def mask_phone(value: str | None) -> str:
    """The middle part hidden: 010-****-5678, 02-***-4567, ****-1234 for a representative number."""
    if not value:
        return ""
    # A stored number is already in its hyphenated form (the services normalised and validated it): it is
    # masked as it stands, without validating it again on every row of a list.
    stored = STORED_PHONE.fullmatch(value)
    try:
        parts = stored.group(0).split("-") if stored else normalize_phone(value).split("-")
    except ValidationError:
        # Not a number we can parse: show at most the last four digits.
        digits = NON_DIGITS.sub("", value)
        return "*" * (len(digits) - 4) + digits[-4:] if len(digits) > 4 else "****"
    if len(parts) == 2:
        return f"{'*' * len(parts[0])}-{parts[1]}"
    return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"


@_marker_safe
def mask_email(value: str | None) -> str:
    """The first two characters of the local part (one if it is that short), then ***: ho***@example.com."""
    if not value:
        return ""
    if "@" not in value:
        return value[:2] + "*" * (len(value) - 2)
    local, domain = value.rsplit("@", 1)
    return f"{local[: 2 if len(local) > 2 else 1]}***@{domain}"


@_marker_safe
def mask_rrn(value: str | None) -> str:
    """The birth date and the 7th digit: 900101-1******."""
    if not value:
        return ""
    digits = NON_DIGITS.sub("", value)
    return f"{digits[:6]}-{digits[6:7]}******"


@_marker_safe
def mask_card(value: str | None) -> str:
    """The last four digits only, whatever the length: ****-****-****-5678."""
    if not value:
        return ""
    return f"****-****-****-{NON_DIGITS.sub('', value)[-4:]}"


@_marker_safe
def mask_address(value: str | None) -> str:
    """The first two words (province, district), or only the first if there are two or fewer: 서울특별시 강남구 ***."""
    if not value:
        return ""
    words = value.split()
    return " ".join(words[:2] if len(words) > 2 else words[:1]) + " ***"


@_marker_safe
def mask_date(value: datetime.date | str | None) -> str:
    """The year only: 1990-**-**, from a date or an ISO string."""
    if not value:
        return ""
    # str() of a date is its ISO form, so both kinds start with the year.
    return f"{str(value).strip()[:4]}-**-**"


@_marker_safe
def mask_partial(value: str | None) -> str:
    """The first third of the characters (rounded down, at least one), the rest hidden: A123456 → A1*****."""
    if not value:
        return ""
    shown = max(1, len(value) // 3)
    return value[:shown] + "*" * (len(value) - shown)


@_marker_safe
def mask_ip(value: str | None) -> str:
    """IPv4 without its last octet (192.168.10.***); IPv6 with its first four groups only (2001:db8:0:1:****)."""
    if not value:
        return ""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return SECRET
    if address.version == 4:
        return str(address).rsplit(".", 1)[0] + ".***"
    # Expanded first, so that a compressed address (2001:db8::1) cannot show more than four groups.
    groups = [format(int(group, 16), "x") for group in address.exploded.split(":")[:4]]
    return ":".join(groups) + ":****"


@_marker_safe
def mask_secret(value: str | None) -> str:
    """Always eight stars, so that not even the length shows (i-PIN CI and DI)."""
    return SECRET if value else ""


# Masks by the names the personal-data declaration (members/personal_data.py) uses.
MASKS: dict[str, Callable[[Any], str]] = {
    "name": mask_name,
    "phone": mask_phone,
    "email": mask_email,
    "rrn": mask_rrn,
    "card": mask_card,
    "address": mask_address,
    "date": mask_date,
    "partial": mask_partial,
    "ip": mask_ip,
    "secret": mask_secret,
}
