"""Sign-up data as the form sends it, built from the items in force."""

import datetime
import itertools

from consents import selectors
from consents.texts import consent_text, sha256

_serial = itertools.count(1)

PASSWORD = "a-long-Passphrase-2023"


def member_fields(**overrides) -> dict:
    n = next(_serial)
    fields = {"login_id": f"signup{n:04d}", "name": "김민준", "email": f"minjun.kim{n}@hangyeol-it.co.kr",
              "mobile": f"010-{2000 + n:04d}-1234", "birth_date": datetime.date(1990, 5, 17),
              "company_name": "한결정보기술", "department": "인사팀", "job_title": "대리",
              "employee_number": f"2020{n:04d}", "company_phone": "02-2163-5700"}
    return fields | overrides


def sign_up_kwargs(*, grant_optional: bool = False, language: str = "ko", **overrides) -> dict:
    """Arguments for consents.services.member_sign_up: required items granted, optional as asked."""
    items = selectors.signup_items()
    kwargs = {
        "member_fields": member_fields(),
        "password": PASSWORD,
        "decisions": {item.code: item.required or grant_optional for item in items},
        "shown": {item.code: sha256(consent_text(item, language)) for item in items},
        "policy_version": selectors.current_version().pk,
        "guardian": None,
        "ip": "203.0.113.7",
        "user_agent": "pytest",
    }
    return kwargs | overrides


def signup_post(*, grant_optional: bool = False, **overrides) -> dict:
    """The POST body of /accounts/signup/."""
    kwargs = sign_up_kwargs(grant_optional=grant_optional)
    data = {key: (value.isoformat() if isinstance(value, datetime.date) else value)
            for key, value in kwargs["member_fields"].items()}
    data |= {"password": PASSWORD, "password_again": PASSWORD, "policy_version": kwargs["policy_version"]}
    data |= {f"consent_{code}": "on" for code, granted in kwargs["decisions"].items() if granted}
    data |= {f"shown_{code}": value for code, value in kwargs["shown"].items()}
    return data | overrides
