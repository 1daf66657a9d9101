"""How staff see personal values by default: masked (홍*동, 010-****-5678, ho***@example.com, ...)."""

import datetime
import math
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

from members.validators import normalize_phone


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*" * (len(value) - 1) if len(value) == 2 else "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    try:
        parts = normalize_phone(value).split("-")
    except ValidationError:
        digits = re.sub(r"\D", "", value)
        return "*" * max(len(digits) - 4, 0) + digits[-4:]
    if len(parts) == 2:
        return "*" * len(parts[0]) + "-" + parts[1]
    return f"{parts[0]}-{'*' * len(parts[1])}-{parts[2]}"


def mask_email(value: str | None) -> str:
    if not value:
        return ""
    if "@" not in value:
        return value[:2] + "*" * max(len(value) - 2, 0)
    local, domain = value.rsplit("@", 1)
    return f"{local[:2] if len(local) > 2 else local[:1]}***@{domain}"


def mask_rrn(value: str | None) -> str:
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    return f"{digits[:6]}-{digits[6:7]}******"


def mask_card(value: str | None) -> str:
    if not value:
        return ""
    return "****-****-****-" + re.sub(r"\D", "", value)[-4:]


def mask_address(value: str | None) -> str:
    if not value:
        return ""
    tokens = value.split()
    return " ".join(tokens[:2] if len(tokens) > 2 else tokens[:1]) + " ***"


def mask_date(value: datetime.date | str | None) -> str:
    if not value:
        return ""
    return f"{str(value)[:4]}-**-**"


def mask_partial(value: str | None) -> str:
    if not value:
        return ""
    shown = math.ceil(len(value) / 3)
    return value[:shown] + "*" * (len(value) - shown)


def mask_ip(value: str | None) -> str:
    if not value:
        return ""
    if ":" in value:
        return ":".join(value.split(":")[:4]) + ":****"
    return ".".join(value.split(".")[:3]) + ".***"


def mask_secret(value: Any) -> str:
    return "********" if value else ""


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
