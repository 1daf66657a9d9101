"""Login lockout with django-axes (안전성 확보조치 기준: lock out after repeated failures): 5 failures lock the
account or the address for 30 minutes, on every login page that authenticates with the request.

A login ID is personal data, encrypted everywhere else, so axes never stores it: its tables hold the login
ID's blind index instead (`username_index`), the form data of a failed attempt is dropped before it is
saved, and its access log of successful logins (which would store the login ID itself) is switched off in
settings. The officer sees lockouts in the admin and lifts them with `login_lockout_lift`.
"""

import ipaddress
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from members.encryption import blind_index
from members.models import Member

logger = logging.getLogger(__name__)

_DIGEST = re.compile(r"[0-9a-f]{64}")
# The names a login form may give the login ID (Django's AuthenticationForm says "username").
_LOGIN_ID_FIELDS = ("username", "login_id")


def username_index(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the blind index of the typed login ID, so axes stores no plaintext login ID."""
    typed = next((credentials[name] for name in _LOGIN_ID_FIELDS if credentials and credentials.get(name)), None)
    if typed is None and request is not None:
        data = getattr(request, "data", request.POST)
        typed = next((data[name] for name in _LOGIN_ID_FIELDS if data.get(name)), None)
    if not isinstance(typed, str):
        return None
    return typed if _DIGEST.fullmatch(typed) else blind_index("login_id", typed)


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: behind the TLS proxy, the address the proxy saw (the right-most forwarded one);
    otherwise the connection's. Without this, every login behind a proxy would share the proxy's address."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def client_str(username: str | None, ip_address: str | None, user_agent: str, path_info: Any,
               request: HttpRequest) -> str:
    """AXES_CLIENT_STR_CALLABLE: how axes names a client in the log, never with the plaintext login ID (axes
    passes it on a successful login)."""
    index = username if username is None or _DIGEST.fullmatch(username) else blind_index("login_id", username)
    if isinstance(path_info, tuple | list):
        path_info = path_info[0]
    return f'{{login_id_index: "{index}", ip_address: "{ip_address}", path_info: "{path_info}"}}'


@receiver(pre_save, sender=AccessAttempt)
def _drop_form_data(sender: type, instance: AccessAttempt, **kwargs: Any) -> None:
    # axes keeps the GET and POST data of a failed login; a login form's fields are personal data.
    instance.get_data = instance.post_data = ""


def lockout_ends_at(request: HttpRequest, credentials: dict | None = None) -> datetime:
    """When the lockout that refused this request lifts: 30 minutes after the last failure that counts."""
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    ends = []
    for attempts in AxesDatabaseHandler().get_user_attempts(request, credentials):
        totals = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        if (totals["failures"] or 0) >= limit:
            ends.append(totals["last"] + cool_off)
    return max(ends) if ends else timezone.now() + cool_off


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page in the reader's language that says when to try again (429)."""
    context = {"retry_at": lockout_ends_at(request, credentials),
               "failure_limit": get_failure_limit(request, credentials),
               "cool_off_minutes": int(get_cool_off(request).total_seconds() // 60)}
    response = render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(max(0, int((context["retry_at"] - timezone.now()).total_seconds())))
    return response


def attempts_with_lockout(attempts: QuerySet) -> QuerySet:
    """Each failure counter with when its account and its address are locked until (None when not locked):
    a lockout counts the failures of the last 30 minutes of the account, or of the address, across rows."""
    cool_off, limit = settings.AXES_COOLOFF_TIME, settings.AXES_FAILURE_LIMIT
    recent = AccessAttempt.objects.filter(attempt_time__gt=timezone.now() - cool_off)

    def locked_until(key: str) -> Subquery:
        group = (recent.filter(**{key: OuterRef(key)}).order_by().values(key)
                 .annotate(total=Sum("failures_since_start"), last=Max("attempt_time")).filter(total__gte=limit))
        return Subquery(group.values("last")[:1])

    return attempts.annotate(account_locked_until=locked_until("username") + cool_off,
                             address_locked_until=locked_until("ip_address") + cool_off)


@transaction.atomic
def login_lockout_lift(*, actor: Member | None, accounts: Iterable[str] = (), addresses: Iterable[str] = ()) -> int:
    """Lift lockouts before their 30 minutes end: delete the failure counters of these accounts (login-ID blind
    indexes) or addresses; returns how many. The failure log (AccessFailureLog) keeps the history. `actor` is
    None on the command line (`manage.py login_unlock`), when no officer can log in."""
    accounts, addresses = sorted(accounts), sorted(addresses)
    deleted = AccessAttempt.objects.filter(Q(username__in=accounts) | Q(ip_address__in=addresses))
    count = len(deleted.values_list("pk", flat=True))
    deleted.delete()
    logger.info("login lockout lifted by %s: %d failure counter(s) of %d account(s), addresses %s",
                f"member {actor.pk}" if actor else "the command line", count, len(accounts), addresses)
    return count
