"""The officer's console for members: personal values are shown masked, exact search goes through blind indexes.

Personal data is changed through the members' own pages and the services, not typed over here.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members import services
from members.admin_lists import BigChangeListMixin
from members.forms import StaffAccessForm
from members.models import (
    Certification,
    Complaint,
    Course,
    DecryptionFailure,
    Enrollment,
    Member,
    Payment,
    SensitiveIdentifier,
    SensitiveIdentifierBasis,
    SensitiveIdentifierCorrection,
)
from members.registry import registry
from members.staff_access import MANAGE_STAFF_ACCESS, permission_label, staff_access_change


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
    # 50 rows a page, not Django's 100. Each row costs about 0.4 ms to show (four values decrypted and
    # masked, a date localised), on top of the page around them. With 100 rows the list measured p95 91 ms at
    # 100,000 members (bench members, with admin_lists.result_rows), and issue 9 found it about 15% slower at
    # 1,000,000, which would be over the 100 ms target. With 50 rows it measured p95 78 ms, which leaves room.
    list_per_page = 50
    search_fields = ["=id"]
    search_help_text = _("Exact login ID, email or mobile phone number, or member number.")
    personal_search = True  # no autocomplete to members: its typed term would be in the URL (config/admin.py)
    # Staff access is read-only here: it changes only through the staff-access page and its service.
    STAFF_ACCESS_FIELDS = ["is_staff", "is_superuser", "staff_groups", "staff_permissions", "staff_access_page"]
    # The last login is declared personal (접속로그) and shown masked with the personal data, never raw.
    readonly_fields = [*MEMBER_MASKED, "status", "withdrawn_at", "date_joined", *STAFF_ACCESS_FIELDS]
    fieldsets = [
        (_("Personal data (masked)"), {"fields": MEMBER_MASKED}),
        (_("Account"), {"fields": ["status", "withdrawn_at", "date_joined"]}),
        (_("Staff permissions"), {"fields": STAFF_ACCESS_FIELDS}),
    ]
    ordering = ["-id"]

    @admin.display(description=_("groups"))
    def staff_groups(self, obj: Member) -> str:
        return ", ".join(sorted(obj.groups.values_list("name", flat=True))) or "-"

    @admin.display(description=_("permissions"))
    def staff_permissions(self, obj: Member) -> str:
        return ", ".join(permission_label(p) for p in obj.user_permissions.select_related("content_type")) or "-"

    @admin.display(description=_("change staff access"))
    def staff_access_page(self, obj: Member) -> str:
        url = reverse("admin:members_member_staff_access", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Change staff access"))

    def get_urls(self) -> list:
        return [path("<path:object_id>/staff-access/", self.admin_site.admin_view(self.staff_access_view),
                     name="members_member_staff_access"), *super().get_urls()]

    def staff_access_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The only page that changes staff flags, groups and permissions; it calls staff_access_change."""
        member = self.get_object(request, unquote(object_id))
        if member is None:
            raise Http404
        if not request.user.has_perm(MANAGE_STAFF_ACCESS) or not self.has_view_or_change_permission(request, member):
            raise PermissionDenied
        if request.method == "POST":
            form = StaffAccessForm(request.POST)
            if form.is_valid():
                try:
                    staff_access_change(actor=request.user, member=member, **form.cleaned_data)
                except ValidationError as error:
                    for field, messages in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, messages)
                else:
                    self.message_user(request, _("Staff access of member %(member)s changed and recorded.")
                                      % {"member": member})
                    return redirect("admin:members_member_change", member.pk)
        else:
            form = StaffAccessForm(initial={"is_staff": member.is_staff, "is_superuser": member.is_superuser,
                                            "groups": member.groups.all(),
                                            "permissions": member.user_permissions.all()})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change staff access of member %(member)s") % {"member": member},
            "opts": self.opts,
            "original": member,
            "form": form,
            "media": self.media + form.media,
            "changes": member.staff_access_changes.select_related("actor")[:20],
        }
        return TemplateResponse(request, "admin/members/member/staff_access.html", context)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        found = (queryset.by_login_id(term) | queryset.by_email(term) | queryset.by_mobile(term))
        # isdigit() alone accepts ², ① and other digits that int() refuses.
        if term.isascii() and term.isdigit():
            found |= queryset.filter(pk=int(term))
        return found, False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Members sign up themselves; staff accounts come from `createsuperuser` or the officer's tools.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Deleting a member skips the retention rules; withdrawal and destruction do it properly.
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SensitiveIdentifierBasisInline(ReadOnlyInline):
    model = SensitiveIdentifierBasis
    fields = readonly_fields = ["legal_basis", "enrollment", "recorded_at"]


class SensitiveIdentifierCorrectionInline(ReadOnlyInline):
    model = SensitiveIdentifierCorrection
    fields = readonly_fields = ["corrected_at", "corrected_by", *masked_all(SensitiveIdentifierCorrection)]


@admin.register(SensitiveIdentifier)
class SensitiveIdentifierAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "kind", "value", "legal_basis", "collected_at")
    list_display = ["id", "member_id", "kind", IDENTIFIER_MASKED, "held_under", "collected_at"]
    list_filter = ["kind", "bases__legal_basis"]
    readonly_fields = ["member", "kind", IDENTIFIER_MASKED, "legal_basis_text", "reissued", "collected_at"]
    fields = readonly_fields
    inlines = [SensitiveIdentifierBasisInline, SensitiveIdentifierCorrectionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("bases")

    @admin.display(description=_("legal bases held under"))
    def held_under(self, obj: SensitiveIdentifier) -> str:
        return ", ".join(dict.fromkeys(str(basis.get_legal_basis_display()) for basis in obj.bases.all()))


class ControlCharacterFreeForm(forms.ModelForm):
    """An admin form that refuses control characters in text, as the services do."""

    def _post_clean(self) -> None:
        super()._post_clean()
        for name, errors in services.control_character_errors(self.instance).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, errors)


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = ControlCharacterFreeForm
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


@admin.register(DecryptionFailure)
class DecryptionFailureAdmin(ReadOnlyAdmin):
    """Where a stored value could not be decrypted (never the value): a ledger for the officer to resolve."""

    list_display = ["first_seen", "table", "column", "row"]
    list_filter = ["table", "column"]
    readonly_fields = list_display
    fields = list_display


# The staff-access record and group pages, and the login-lockout pages (they use ReadOnlyAdmin above).
from members import lockout_admin, staff_access_admin  # noqa: E402, F401
