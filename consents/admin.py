"""The officer's console for consents: versions change through the publish workflow, items only while their
version is a draft, records and notices are read-only evidence."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from consents import services
from consents.models import (
    ComplaintBody,
    ConsentItem,
    ConsentRecord,
    GuardianConsent,
    MarketingNotice,
    PolicyContact,
    PolicyVersion,
)
from members.admin import ReadOnlyAdmin, masked
from members.admin_lists import BigChangeListMixin


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "effective_at", "published_at", "short_hash", "state"]
    list_filter = ["published_at", "effective_at"]
    readonly_fields = ["published_at", "text_sha256", "text", "created_at"]
    actions = ["publish"]
    ordering = ["-effective_at"]

    @admin.display(description=_("text SHA-256"))
    def short_hash(self, obj: PolicyVersion) -> str:
        return obj.text_sha256[:12]

    @admin.display(description=_("state"))
    def state(self, obj: PolicyVersion) -> str:
        current = PolicyVersion.objects.current()
        if not obj.is_published:
            return _("draft")
        if current and current.pk == obj.pk:
            return _("in force")
        return _("announced") if obj.effective_at > timezone.now() else _("superseded")

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> list[str]:
        if obj is not None and obj.is_published:
            return ["version", "change_summary", "effective_at", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return obj is None or not obj.is_published

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form, change: bool) -> None:
        if not change:
            created = services.policy_version_draft(version=obj.version, effective_at=obj.effective_at,
                                                    change_summary=obj.change_summary)
            obj.pk = created.pk
        elif not obj.is_published:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Publish the selected drafts (effective at least 7 days later)"),
                  permissions=["change"])
    def publish(self, request: HttpRequest, queryset) -> None:
        for version in queryset:
            try:
                services.policy_version_publish(version=version)
            except ValidationError as error:
                for messages_ in error.message_dict.values():
                    for message in messages_:
                        self.message_user(request, f"{version.version}: {message}", messages.ERROR)
            else:
                self.message_user(request, _("%(version)s published.") % {"version": version.version},
                                  messages.SUCCESS)


@admin.register(ConsentItem)
class ConsentItemAdmin(admin.ModelAdmin):
    list_display = ["code", "title_ko", "kind", "required", "recipient", "introduced_in", "order"]
    list_filter = ["kind", "required", "introduced_in"]
    list_select_related = ["introduced_in"]
    search_fields = ["code", "title_ko", "title_en", "recipient"]

    def get_form(self, request: HttpRequest, obj: ConsentItem | None = None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "introduced_in" in form.base_fields:
            # A new item enters the policy through a draft version and its publication.
            form.base_fields["introduced_in"].queryset = PolicyVersion.objects.filter(published_at__isnull=True)
        return form

    def has_change_permission(self, request: HttpRequest, obj: ConsentItem | None = None) -> bool:
        if obj is not None and obj.introduced_in.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ConsentItem | None = None) -> bool:
        if obj is not None and obj.introduced_in.is_published:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(BigChangeListMixin, ReadOnlyAdmin):
    # About 12 records per member: the page reads the newest first from consent_recorded_idx, and the date
    # filter (today, past 7 days, this month, this year) is a range on the same index. No date hierarchy: its
    # year and month links come from the dates of the whole table. Columns sort only where an index serves the
    # order (id, recorded at); sorting by member, item or channel would sort every record for one page.
    list_columns = ("id", "member_id", "item__title_ko", "item__title_en", "granted", "policy_version__version",
                    "channel", "recorded_at", "ip")
    list_display = ["id", "member_link", "item", "granted", "policy_version", "channel", "recorded_at",
                    masked(ConsentRecord, "ip"), "receipt"]
    list_filter = ["item", "policy_version", "granted", "channel", "recorded_at"]
    list_select_related = ["item", "policy_version"]
    sortable_by = ["id", "recorded_at"]
    ordering = ["-recorded_at", "-id"]
    search_fields = ["=member__id"]
    search_help_text = _("Member number.")
    readonly_fields = ["member", "item", "policy_version", "granted", "recorded_at", "channel",
                       masked(ConsentRecord, "ip"), masked(ConsentRecord, "user_agent"), "text_id", "shown_text"]
    fields = readonly_fields

    @admin.display(description=_("member"), ordering="member_id")
    def member_link(self, obj: ConsentRecord) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("admin:members_member_change", args=[obj.member_id]),
                           obj.member_id)

    @admin.display(description=_("receipt"))
    def receipt(self, obj: ConsentRecord) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:consents_consentrecord_change", args=[obj.pk]),
                           _("Show receipt"))

    @admin.display(description=_("The exact text shown"))
    def shown_text(self, obj: ConsentRecord) -> str:
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", obj.text.text)


@admin.register(GuardianConsent)
class GuardianConsentAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "guardian_name", "guardian_contact", "consented_at")
    list_display = ["id", "member_id", masked(GuardianConsent, "guardian_name"),
                    masked(GuardianConsent, "guardian_contact"), "consented_at"]
    list_filter = ["consented_at"]
    sortable_by = ["id"]  # newest first by the primary key's index; any other order sorts the whole table
    ordering = ["-id"]
    search_fields = ["=member__id"]
    readonly_fields = ["member", masked(GuardianConsent, "guardian_name"), masked(GuardianConsent, "guardian_contact"),
                       "consented_at", masked(GuardianConsent, "ip")]
    fields = readonly_fields


@admin.register(MarketingNotice)
class MarketingNoticeAdmin(BigChangeListMixin, ReadOnlyAdmin):
    list_columns = ("id", "member_id", "kind", "record_id", "due_on", "created_at", "sent_at")
    list_display = ["id", "member_id", "kind", "record_number", "due_on", "created_at", "sent_at"]
    list_filter = ["kind", "sent_at", "due_on"]
    sortable_by = ["id"]  # newest first by the primary key's index; any other order sorts the whole table
    ordering = ["-id"]
    search_fields = ["=member__id"]

    @admin.display(description=_("consent record"))
    def record_number(self, obj: MarketingNotice) -> str:
        return f"#{obj.record_id}"  # the record's own name, without loading the record


@admin.register(PolicyContact)
class PolicyContactAdmin(admin.ModelAdmin):
    list_display = ["role", "name", "title", "phone", "email"]


@admin.register(ComplaintBody)
class ComplaintBodyAdmin(admin.ModelAdmin):
    list_display = ["name_ko", "website", "phone", "order"]
