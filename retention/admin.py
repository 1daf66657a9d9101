"""The officer's console for retention: rules (changes recorded), the archive's metadata (payload only with a
permission and a recorded reason), legal holds, the destruction ledger (read-only, CSV) and sweep runs."""

import csv
import datetime
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.admin_lists import BigChangeListMixin
from members.models import Member
from members.registry import Retention, registry
from retention import selectors, services
from retention.crypto import UndecryptableError
from retention.forms import LegalHoldForm, ReasonForm, RetentionRuleForm
from retention.models import (
    ArchivedRecord,
    DestructionLog,
    LegalHold,
    RetentionRule,
    RetentionRuleChange,
    SweepRun,
)
from retention.purposes import PURPOSE_RULES
from retention.records import RECORD_RULES
from retention.services.rules import EDITABLE


def rule_label(code: str) -> str:
    """A rule code as the officer reads it: the policy's retention row or the purpose-ended rule."""
    if code in Retention.values:
        return str(Retention(code).label)
    declared = {rule.ledger_rule: rule.label for rule in [*PURPOSE_RULES, *RECORD_RULES]}
    return str(declared.get(code, code or "—"))


def source_label(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label or "—"


class RuleFilter(admin.SimpleListFilter):
    title = _("rule")
    parameter_name = "rule"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).order_by("rule").values_list("rule", flat=True).distinct()
        return [(code, rule_label(code)) for code in codes]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(rule=self.value()) if self.value() else queryset


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RetentionRuleChangeInline(admin.TabularInline):
    model = RetentionRuleChange
    fields = ["changed_at", "changed_by", "before", "after", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    form = RetentionRuleForm
    list_display = ["code", "data_category", "legal_basis", "period", "trigger", "active", "due_in_30_days",
                    "approved_by"]
    list_select_related = ["approved_by"]
    readonly_fields = ["code", "kept_fields", "approved_by", "updated_at"]
    fields = ["code", "data_category", "legal_basis", "period_amount", "period_unit", "trigger", "active",
              "kept_fields", "reason", "approved_by", "updated_at"]
    inlines = [RetentionRuleChangeInline]

    @admin.display(description=_("retention period"))
    def period(self, rule: RetentionRule) -> str:
        return rule.period_display()

    @admin.display(description=_("kept fields (from the personal-data declaration)"))
    def kept_fields(self, rule: RetentionRule) -> str:
        return ", ".join(f"{item.model._meta.verbose_name}: {item.export_label}" for item in rule.kept_fields()) or "—"

    @admin.display(description=_("to be destroyed in the next 30 days"))
    def due_in_30_days(self, rule: RetentionRule) -> int:
        return self._due.get(rule.code, 0)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        self._due = selectors.due_within(30)  # one query for the whole page
        # The record rules (retention.records) are declared in code; listed below the policy's rules.
        extra_context = {**(extra_context or {}), "record_rules": selectors.record_rules_due(30)}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the policy's rules come from the loader; one per retention code

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_form(self, request: HttpRequest, form: RetentionRuleForm, change: bool) -> RetentionRule:
        return form.instance  # saved by save_model through the service

    def save_related(self, request: HttpRequest, form: RetentionRuleForm, formsets: list, change: bool) -> None:
        # No many-to-many fields; the read-only history inline saves nothing (the service writes it).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_model(self, request: HttpRequest, obj: RetentionRule, form: RetentionRuleForm, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in EDITABLE}
        services.retention_rule_update(rule=obj, actor=request.user, reason=form.cleaned_data.get("reason", ""),
                                       **changes)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form_class = super().get_form(request, obj, change, **kwargs)

        class CheckedForm(form_class):
            def _post_clean(self) -> None:
                # The service's own checks, on a fresh copy of the rule; nothing is saved here.
                super()._post_clean()
                if self.errors or not self.instance.pk:
                    return
                try:
                    services.retention_rule_check(rule=RetentionRule.objects.get(pk=self.instance.pk),
                                                  reason=self.cleaned_data.get("reason", ""),
                                                  **{name: self.cleaned_data[name] for name in EDITABLE})
                except ValidationError as error:
                    for field, messages_ in error.message_dict.items():
                        self.add_error(field if field in self.fields else None, messages_)

        return CheckedForm


class DestructionDueFilter(admin.SimpleListFilter):
    """When the records are due for destruction, as fixed choices: a range on destroy_after, which the partition
    key and its index serve. (Django's date hierarchy drew its year and month links from the dates of every
    archived record, a scan of the whole archive on each page.)"""

    title = _("destruction due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("past", _("already past (awaiting the sweep)")), ("month", _("this month")),
                ("next", _("next month")), ("later", _("after next month"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        this_month = today.replace(day=1)
        next_month = (this_month + datetime.timedelta(days=32)).replace(day=1)
        after_next = (next_month + datetime.timedelta(days=32)).replace(day=1)
        ranges = {"past": {"destroy_after__lt": today},
                  "month": {"destroy_after__gte": today, "destroy_after__lt": next_month},
                  "next": {"destroy_after__gte": next_month, "destroy_after__lt": after_next},
                  "later": {"destroy_after__gte": after_next}}
        return queryset.filter(**ranges[self.value()]) if self.value() in ranges else queryset


class ArchivedSourceFilter(admin.SimpleListFilter):
    """The record types a retention rule keeps fields of (the personal-data declaration), as fixed choices:
    Django's filter on the column listed the distinct values of the whole archive on each page."""

    title = _("source record type")
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        labels = {item.model._meta.label for item in registry if item.retention}
        return sorted(((label, source_label(label)) for label in labels), key=lambda choice: choice[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(ArchivedRecord)
class ArchivedRecordAdmin(BigChangeListMixin, ReadOnly):
    """Metadata only; the payload opens on its own page, with the permission and a recorded reason. The archive
    grows with every member who leaves: the list counts no more than the paginator's cap, reads only its columns
    (never the payload), and sorts by the destruction date or the number, which the indexes serve."""

    list_columns = ("id", "rule", "source", "subject_key", "archived_at", "destroy_after")
    list_display = ["id", "rule", "source_name", "short_subject", "archived_at", "destroy_after"]
    list_filter = [DestructionDueFilter, "rule", ArchivedSourceFilter]
    sortable_by = ("id", "destroy_after")
    fields = ["rule", "category", "source", "subject_key", "fields", "trigger_date", "archived_at", "destroy_after",
              "open_link"]
    readonly_fields = fields
    ordering = ["destroy_after", "id"]

    @admin.display(description=_("source record type"), ordering="source")
    def source_name(self, record: ArchivedRecord) -> str:
        return source_label(record.source)

    @admin.display(description=_("subject (pseudonym)"))
    def short_subject(self, record: ArchivedRecord) -> str:
        return record.subject_key[:12] + "…"

    @admin.display(description=_("payload"))
    def open_link(self, record: ArchivedRecord) -> str:
        url = reverse("admin:retention_archivedrecord_open", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the payload (reason recorded)"))

    def get_urls(self) -> list:
        return [path("<int:pk>/open/", self.admin_site.admin_view(self.open_view),
                     name="retention_archivedrecord_open"), *super().get_urls()]

    def open_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("retention.view_archived_payload"):
            raise PermissionDenied
        record = get_object_or_404(ArchivedRecord, pk=pk)
        form = ReasonForm(request.POST or None)
        payload, error = None, None
        if request.method == "POST" and form.is_valid():
            try:
                payload = services.archived_payload_open(record=record, actor=request.user,
                                                         reason=form.cleaned_data["reason"])
            except UndecryptableError:
                error = _("This payload can no longer be decrypted (its key was destroyed or is not held).")
        context = {**self.admin_site.each_context(request), "opts": self.opts, "record": record, "form": form,
                   "payload": payload, "error": error, "title": _("Open an archived payload")}
        return TemplateResponse(request, "admin/retention/archivedrecord/open.html", context)


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    form = LegalHoldForm
    list_display = ["id", "member", "reason", "until", "held_by", "created_at", "released_at"]
    list_filter = ["released_at"]
    list_select_related = ["member", "held_by"]
    raw_id_fields = ["member"]
    actions = ["release"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LegalHold, form: LegalHoldForm, change: bool) -> None:
        hold = services.legal_hold_place(member=form.cleaned_data["member"], actor=request.user,
                                         reason=form.cleaned_data["reason"], until=form.cleaned_data["until"])
        obj.pk = hold.pk

    @admin.action(description=_("Release the selected legal holds"), permissions=["change"])
    def release(self, request: HttpRequest, queryset: QuerySet) -> None:
        for hold in queryset:
            services.legal_hold_release(hold=hold, actor=request.user)
        messages.success(request, _("Released %(count)d legal holds.") % {"count": queryset.count()})


@admin.register(DestructionLog)
class DestructionLogAdmin(ReadOnly):
    list_display = ["occurred_at", "event", "rule_name", "category", "source_name", "count", "method", "run_id",
                    "approved_by"]
    list_filter = ["event", "method", RuleFilter]
    list_select_related = ["approved_by"]
    date_hierarchy = "occurred_at"
    actions = ["export_csv"]

    @admin.display(description=_("rule"), ordering="rule")
    def rule_name(self, entry: DestructionLog) -> str:
        return rule_label(entry.rule)

    @admin.display(description=_("record type"), ordering="source")
    def source_name(self, entry: DestructionLog) -> str:
        return source_label(entry.source)

    @admin.action(description=_("Export the selected entries as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="destruction-ledger-{timezone.localdate()}.csv"'
        response.write("\ufeff")  # a BOM, so that Excel reads the Korean as UTF-8
        writer = csv.writer(response)
        columns = ["occurred_at", "event", "rule", "category", "source", "count", "method", "run_id", "approved_by",
                   "reason"]
        writer.writerow([str(DestructionLog._meta.get_field(name).verbose_name) for name in columns])
        for entry in queryset.select_related("approved_by").order_by("occurred_at", "id"):
            writer.writerow([timezone.localtime(entry.occurred_at).isoformat(), entry.get_event_display(),
                             rule_label(entry.rule), entry.category, source_label(entry.source), entry.count,
                             entry.get_method_display(), entry.run_id, entry.approved_by_id or "", entry.reason])
        return response


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnly):
    list_display = ["started_at", "finished_at", "status", "dry_run", "destroyed", "held", "undecryptable"]
    list_filter = ["status", "dry_run"]


def _member_admin_class() -> type | None:
    model_admin = admin.site._registry.get(Member)
    return type(model_admin) if model_admin else None


@admin.action(description=_("Withdraw the selected members (asks for a reason, shows a preview)"),
              permissions=["withdraw"])
def withdraw_members(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """Policy §8: a member who asks by phone or email is withdrawn by the officer, with the same preview the
    member sees on their own page, and the reason recorded in the ledger."""
    members = list(queryset.order_by("pk"))
    form = ReasonForm(request.POST if "confirm" in request.POST else None)
    if "confirm" in request.POST and form.is_valid():
        for result in services.members_withdraw(members=members, actor=request.user,
                                                reason=form.cleaned_data["reason"]):
            level = messages.SUCCESS if result.done else messages.WARNING
            model_admin.message_user(request, f"#{result.member.pk}: {result.message}", level)
        return None
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "form": form,
               "previews": [(member, selectors.withdrawal_preview(member)) for member in members],
               "action": "withdraw_members", "selected": [member.pk for member in members],
               "title": _("Withdraw members")}
    return TemplateResponse(request, "admin/retention/withdraw_confirmation.html", context)


def _has_withdraw_permission(model_admin: admin.ModelAdmin, request: HttpRequest) -> bool:
    return request.user.has_perm("retention.withdraw_member")


member_admin_class = _member_admin_class()
if member_admin_class is not None:
    # The withdrawal lives with the retention rules it applies; the members' console offers it as an action.
    member_admin_class.has_withdraw_permission = _has_withdraw_permission
    member_admin_class.actions = [*(member_admin_class.actions or []), withdraw_members]
