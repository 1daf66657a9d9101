"""The officer's view of login lockouts (django-axes' tables): which account or address is locked until when,
the action that lifts it, and every failed login. Accounts are shown by member number, found through the
login ID's blind index that axes stores; no login ID is ever shown or stored."""

import ipaddress

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.admin import ReadOnlyAdmin
from members.lockout import attempts_with_lockout, login_lockout_lift, username_index
from members.models import Member


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class LockedOutFilter(admin.SimpleListFilter):
    title = _("locked out")
    parameter_name = "locked_out"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        locked = Q(account_locked_until__isnull=False) | Q(address_locked_until__isnull=False)
        if self.value() == "yes":
            return queryset.filter(locked)
        if self.value() == "no":
            return queryset.exclude(locked)
        return queryset


class LoginAttemptColumns:
    """The account column and the search, shared by both pages."""

    search_fields = ["=ip_address"]
    search_help_text = _("Exact login ID or IP address.")
    personal_search = True

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Exact login ID (through its blind index) or IP address; the term arrives by POST (config/admin.py).
        term = search_term.strip()
        if not term:
            return queryset, False
        by_address = Q(ip_address=term) if _is_ip(term) else Q(pk__in=[])
        return queryset.filter(Q(username=username_index(None, {"username": term})) | by_address), False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        account = Member.objects.filter(login_id_index=OuterRef("username")).values("pk")[:1]
        return super().get_queryset(request).annotate(account_pk=Subquery(account))

    @admin.display(description=_("account"))
    def account(self, obj: Model) -> str:
        if obj.account_pk is None:
            return _("no such account")
        return format_html('<a href="{}">#{}</a>', reverse("admin:members_member_change", args=[obj.account_pk]),
                           obj.account_pk)


def _until(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else "-"


@admin.register(AccessAttempt)
class LoginAttemptAdmin(LoginAttemptColumns, admin.ModelAdmin):
    """Failure counters (axes): who is locked out until when, and the actions that lift a lockout early."""

    list_display = ["attempt_time", "account", "ip_address", "failures_since_start", "account_locked",
                    "address_locked", "path_info"]
    list_filter = [LockedOutFilter]
    date_hierarchy = "attempt_time"
    fields = ["attempt_time", "account", "ip_address", "failures_since_start", "account_locked", "address_locked",
              "path_info", "user_agent"]
    readonly_fields = fields
    actions = ["lift_account_lockout", "lift_address_lockout"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return attempts_with_lockout(super().get_queryset(request))

    @admin.display(description=_("account locked until"))
    def account_locked(self, obj: AccessAttempt) -> str:
        return _until(obj.account_locked_until)

    @admin.display(description=_("address locked until"))
    def address_locked(self, obj: AccessAttempt) -> str:
        return _until(obj.address_locked_until)

    @admin.action(description=_("Lift the lockout of the selected accounts"), permissions=["lift"])
    def lift_account_lockout(self, request: HttpRequest, queryset: QuerySet) -> None:
        accounts = {username for username in queryset.values_list("username", flat=True) if username}
        count = login_lockout_lift(actor=request.user, accounts=accounts)
        self.message_user(request, _("Lockout lifted: %(count)d failure counter(s) removed.") % {"count": count})

    @admin.action(description=_("Lift the lockout of the selected addresses"), permissions=["lift"])
    def lift_address_lockout(self, request: HttpRequest, queryset: QuerySet) -> None:
        addresses = {address for address in queryset.values_list("ip_address", flat=True) if address}
        count = login_lockout_lift(actor=request.user, addresses=addresses)
        self.message_user(request, _("Lockout lifted: %(count)d failure counter(s) removed.") % {"count": count})

    def has_lift_permission(self, request: HttpRequest) -> bool:
        """Lifting deletes failure counters, so it takes axes' delete permission; it goes through the service."""
        return request.user.has_perm("axes.delete_accessattempt")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a lockout is lifted by the actions above, which call login_lockout_lift


@admin.register(AccessFailureLog)
class LoginFailureAdmin(LoginAttemptColumns, ReadOnlyAdmin):
    """Every failed login (axes' failure log), by account and address; read-only."""

    list_display = ["attempt_time", "account", "ip_address", "locked_out", "path_info"]
    list_filter = ["locked_out"]
    date_hierarchy = "attempt_time"
    fields = ["attempt_time", "account", "ip_address", "locked_out", "path_info", "user_agent"]
    readonly_fields = fields
