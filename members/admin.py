"""The officer's console for members: personal values are shown masked, exact search goes through blind indexes.

Personal data is changed through the members' own pages and the services, not typed over here.
"""

from collections.abc import Callable

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.admin_lists import BigChangeListMixin
from members.models import Certification, Complaint, Course, Enrollment, Member, Payment, SensitiveIdentifier
from members.registry import registry


def masked(model: type[Model], name: str) -> Callable[[Model], str]:
    """An admin column showing a declared personal field the way staff see it by default: masked."""
    item = registry.get(model, name)

    @admin.display(description=item.export_label)
    def show(obj: Model) -> str:
        return item.masked(obj)

    show.__name__ = f"masked_{name}"
    return show


def masked_all(model: type[Model]) -> list[Callable[[Model], str]]:
    return [masked(model, item.name) for item in registry.for_model(model) if item.exported]


MEMBER_MASKED = masked_all(Member)
ENROLLMENT_MASKED = masked_all(Enrollment)
SUMMARY_MASKED = masked(Complaint, "summary")
IDENTIFIER_MASKED = masked(SensitiveIdentifier, "value")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are evidence: written by the services only, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(BigChangeListMixin, admin.ModelAdmin):
    list_columns = ("id", "name", "email", "mobile", "company_name", "status", "is_staff", "date_joined")
    list_display = ["id", masked(Member, "name"), masked(Member, "email"), masked(Member, "mobile"),
                    masked(Member, "company_name"), "status", "is_staff", "date_joined"]
    list_filter = ["status", "is_staff", "is_superuser"]
    search_fields = ["=id"]
    search_help_text = _("Exact login ID, email or mobile phone number, or member number.")
    readonly_fields = [*MEMBER_MASKED, "status", "withdrawn_at", "date_joined", "last_login"]
    fieldsets = [
        (_("Personal data (masked)"), {"fields": MEMBER_MASKED}),
        (_("Account"), {"fields": ["status", "withdrawn_at", "date_joined", "last_login"]}),
        (_("Staff permissions"), {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    filter_horizontal = ["groups", "user_permissions"]
    ordering = ["-id"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        found = (queryset.by_login_id(term) | queryset.by_email(term) | queryset.by_mobile(term))
        if term.isdigit():
            found |= queryset.filter(pk=int(term))
        return found, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Members sign up themselves; staff accounts come from `createsuperuser` or the officer's tools.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Deleting a member skips the retention rules; withdrawal and destruction do it properly.
        return False


@admin.register(SensitiveIdentifier)
class SensitiveIdentifierAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "kind", "value", "legal_basis", "collected_at")
    list_display = ["id", "member_id", "kind", IDENTIFIER_MASKED, "legal_basis", "collected_at"]
    list_filter = ["kind", "legal_basis"]
    readonly_fields = ["member", "kind", IDENTIFIER_MASKED, "legal_basis_text", "reissued", "collected_at"]
    fields = readonly_fields


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "is_employment_insurance_refund", "is_sme_core_job", "is_insurance_required",
                    "is_disability_awareness", "ships_textbook"]
    search_fields = ["code", "title"]


@admin.register(Enrollment)
class EnrollmentAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "course__title", "started_on", "ended_on", "payment_method", "cancelled_at")
    list_display = ["id", "member_id", "course", "started_on", "ended_on", "payment_method", "cancelled_at"]
    list_filter = ["course", "payment_method"]
    list_select_related = ["course"]
    readonly_fields = ["member", "course", "started_on", "ended_on", "payment_method", "cancelled_at",
                       *ENROLLMENT_MASKED, "created_at"]
    fields = readonly_fields


@admin.register(Payment)
class PaymentAdmin(BigChangeListMixin, ReadOnlyAdmin):
    # The enrolment column shows "<course> #<id>": its encrypted columns are never loaded.
    list_columns = ("id", "enrollment__id", "enrollment__course__title", "amount", "method", "paid_at",
                    "refunded_at")
    list_display = ["id", "enrollment", "amount", "method", "paid_at", "refunded_at"]
    list_filter = ["method"]
    list_select_related = ["enrollment__course"]


@admin.register(Complaint)
class ComplaintAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "received_at", "closed_at")
    list_display = ["id", "member_id", "received_at", "closed_at"]
    readonly_fields = ["member", "received_at", "closed_at", SUMMARY_MASKED]
    fields = readonly_fields


@admin.register(Certification)
class CertificationAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "kind", "issued_on")
    list_display = ["id", "member_id", "kind", "issued_on"]
    list_filter = ["kind"]
