"""Policy §9: analytics cookies only after the member's choice. A member's choice is a consent record; an
anonymous visitor's choice lives only in a signed cookie."""

import secrets

from django.http import HttpRequest, HttpResponse

CHOICE_COOKIE = "pb_cookie_choice"
CHOICE_SALT = "consents.cookie-choice"
ANALYTICS_COOKIE = "pb_analytics"
CHOICE_MAX_AGE = 60 * 60 * 24 * 365
ANALYTICS_CODE = "analytics_cookies"


def cookie_choice(request: HttpRequest) -> str | None:
    """'granted', 'refused' or None (not chosen yet)."""
    value = request.get_signed_cookie(CHOICE_COOKIE, default=None, salt=CHOICE_SALT, max_age=CHOICE_MAX_AGE)
    return value if value in ("granted", "refused") else None


def cookie_choice_made(request: HttpRequest) -> bool:
    return cookie_choice(request) is not None


def cookie_choice_remember(response: HttpResponse, granted: bool, *, secure: bool) -> None:
    response.set_signed_cookie(CHOICE_COOKIE, "granted" if granted else "refused", salt=CHOICE_SALT,
                               max_age=CHOICE_MAX_AGE, httponly=True, samesite="Lax", secure=secure)
    if not granted:
        response.delete_cookie(ANALYTICS_COOKIE)


def analytics_cookie_apply(request: HttpRequest, response: HttpResponse, *, secure: bool) -> None:
    """Set the analytics cookie only when the choice is 'granted'; remove it otherwise."""
    choice = cookie_choice(request)
    if choice == "granted" and ANALYTICS_COOKIE not in request.COOKIES:
        response.set_cookie(ANALYTICS_COOKIE, secrets.token_hex(16), max_age=CHOICE_MAX_AGE, samesite="Lax",
                            secure=secure)
    elif choice != "granted" and ANALYTICS_COOKIE in request.COOKIES:
        response.delete_cookie(ANALYTICS_COOKIE)
