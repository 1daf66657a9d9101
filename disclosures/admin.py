"""The officer's console for disclosures: registries edited through the services (each change recorded, the
policy flagged outdated), the ledger and the change records read-only, provision files and correction notices."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from disclosures import selectors, services
from disclosures.imports import invitations_pending, invitations_queue, partner_import
from disclosures.items import ITEM_CHOICES, ITEMS
from disclosures.models import (
    Basis,
    CorrectionNotice,
    ImportBatch,
    ImportedMember,
    ProcessingRestriction,
    Processor,
    Provision,
    ProvisionBatch,
    Recipient,
    RegistryChange,
    Source,
)
from members.admin import ReadOnlyAdmin
from members.admin_lists import BigChangeListMixin
from members.models import Course, Enrollment


def member_link(member_id: int) -> str:
    return format_html('<a href="{}">#{}</a>', reverse("admin:members_member_change", args=[member_id]), member_id)


def _items_text(codes: list[str]) -> str:
    return ", ".join(str(ITEMS[code].label) if code in ITEMS else code for code in codes)


def csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class RegistryAdmin(admin.ModelAdmin):
    """Saved through registry_entry_save (who, when, before, after); never deleted: end the entry's dates."""

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        services.registry_entry_save(entry=obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def _warn_if_outdated(self, request: HttpRequest) -> None:
        changes = selectors.policy_outdated()
        if request.method == "GET" and changes.exists():
            messages.warning(request, _(
                "The published privacy policy is out of date: %(count)s registry change(s) since it was published. "
                "Publish a new policy version (at least 7 days before it takes effect) so that members see them.")
                % {"count": changes.count()})

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        self._warn_if_outdated(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None):
        self._warn_if_outdated(request)
        return super().changeform_view(request, object_id, form_url, extra_context)


class RecipientForm(forms.ModelForm):
    item_codes = forms.MultipleChoiceField(label=_("items provided"), choices=ITEM_CHOICES, required=False,
                                           widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Recipient
        fields = ["name", "is_group", "group", "purpose", "items_text", "item_codes", "retention", "consent_item",
                  "statute", "statute_rule", "active_from", "active_to", "order"]


@admin.register(Recipient)
class RecipientAdmin(RegistryAdmin):
    form = RecipientForm
    list_display = ["name", "group", "purpose", "items_text", "retention", "basis", "active_from", "active_to"]
    list_filter = ["is_group", "statute_rule", "active_to"]
    list_select_related = ["group", "consent_item"]
    search_fields = ["name"]
    readonly_fields = ["partners"]

    @admin.display(description=_("basis"))
    def basis(self, obj: Recipient) -> str:
        terms = obj.terms
        parts = [str(_("consent: %(item)s") % {"item": terms.consent_item.title_ko})] if terms.consent_item else []
        if terms.statute:
            parts.append(str(_("statute: %(statute)s") % {"statute": terms.statute}))
        return " / ".join(parts)

    @admin.display(description=_("partner companies"))
    def partners(self, obj: Recipient) -> str:
        names = list(obj.partners.values_list("name", flat=True)) if obj.pk else []
        return ", ".join(names) or "-"


@admin.register(Processor)
class ProcessorAdmin(RegistryAdmin):
    list_display = ["name", "work", "items_text", "retention", "contract_start", "contract_end", "overseas_transfer"]
    list_filter = ["overseas_transfer", "contract_end"]
    search_fields = ["name"]


@admin.register(Source)
class SourceAdmin(RegistryAdmin):
    list_display = ["name", "contact", "consent_method", "active_from", "active_to"]
    search_fields = ["name"]


@admin.register(RegistryChange)
class RegistryChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "registry", "object_repr", "action", "actor", "outdates_policy"]
    list_filter = ["registry", "action"]
    list_select_related = ["actor"]
    readonly_fields = ["registry", "object_id", "object_repr", "action", "actor", "changed_at", "differences"]
    fields = readonly_fields

    @admin.display(description=_("not yet in a published policy"), boolean=True)
    def outdates_policy(self, obj: RegistryChange) -> bool:
        return obj.pk in self._outdating

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        self._outdating = set(selectors.policy_outdated().values_list("pk", flat=True))
        return super().get_queryset(request)

    @admin.display(description=_("before → after"))
    def differences(self, obj: RegistryChange) -> str:
        before = obj.before or {}
        rows = [(name, before.get(name, ""), value) for name, value in obj.after.items() if before.get(name) != value]
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>", rows))


@admin.register(ProcessingRestriction)
class ProcessingRestrictionAdmin(admin.ModelAdmin):
    """Opened when a member asks for a correction or a stop (by phone, email or the request pages); while
    open, provision_record refuses the member (policy §7)."""

    list_display = ["id", "member_display", "kind", "opened_at", "closed_at"]
    list_filter = ["kind", "closed_at"]
    raw_id_fields = ["member"]
    actions = ["close"]

    @admin.display(description=_("member"), ordering="member_id")
    def member_display(self, obj: ProcessingRestriction) -> str:
        return member_link(obj.member_id)

    def get_fields(self, request: HttpRequest, obj: ProcessingRestriction | None = None) -> list[str]:
        if obj is None:
            return ["member", "kind", "reason"]
        return ["member_display", "kind", "reason", "opened_at", "opened_by", "closed_at", "closed_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: ProcessingRestriction | None = None) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ProcessingRestriction, form, change: bool) -> None:
        if not change:
            opened = services.restriction_open(member=obj.member, kind=obj.kind, reason=obj.reason,
                                               actor=request.user)
            obj.pk = opened.pk

    @admin.action(description=_("Close the selected requests (the data is correct again)"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        closed = 0
        for restriction in queryset.filter(closed_at__isnull=True):
            services.restriction_close(restriction=restriction, actor=request.user)
            closed += 1
        self.message_user(request, _("%(count)s request(s) closed.") % {"count": closed}, messages.SUCCESS)


class ProvisionForm(forms.Form):
    recipient = forms.ModelChoiceField(label=_("recipient"), queryset=Recipient.objects.none())
    basis = forms.ChoiceField(label=_("basis"), choices=Basis.choices)
    course = forms.ModelChoiceField(label=_("members enrolled in this course"), required=False,
                                    queryset=Course.objects.all())
    member_ids = forms.CharField(label=_("or these member numbers"), required=False, widget=forms.Textarea,
                                 help_text=_("Member numbers separated by spaces, commas or new lines."))
    purpose = forms.CharField(label=_("purpose"), max_length=200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = Recipient.objects.active().filter(is_group=False)

    def clean_member_ids(self) -> list[int]:
        raw = self.cleaned_data["member_ids"].replace(",", " ").split()
        if not all(part.isdigit() for part in raw):
            raise ValidationError(_("Member numbers: digits only, separated by spaces, commas or new lines."))
        return [int(part) for part in raw]

    def members(self) -> list[int]:
        ids = list(self.cleaned_data["member_ids"])
        if self.cleaned_data.get("course"):
            ids += list(Enrollment.objects.filter(course=self.cleaned_data["course"], cancelled_at__isnull=True)
                        .order_by("member_id").values_list("member_id", flat=True))
        return list(dict.fromkeys(ids))


@admin.register(ProvisionBatch)
class ProvisionBatchAdmin(ReadOnlyAdmin):
    """Each batch is one provision; "add" records a new one through provision_record and downloads its file."""

    list_display = ["provided_at", "recipient", "items_display", "basis", "purpose", "member_count", "actor"]
    list_filter = ["recipient", "basis"]
    list_select_related = ["recipient", "actor"]
    readonly_fields = ["id", "recipient", "items_display", "basis", "basis_text", "purpose", "member_count",
                       "actor", "provided_at"]
    fields = readonly_fields

    @admin.display(description=_("items"))
    def items_display(self, obj: ProvisionBatch) -> str:
        return _items_text(obj.items)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("disclosures.add_provisionbatch")

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None):
        if not self.has_add_permission(request):
            return redirect("admin:disclosures_provisionbatch_changelist")
        form = ProvisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            recipient = data["recipient"]
            try:
                batch, content = services.provision_export(
                    recipient=recipient, members=form.members(), items=recipient.terms.item_codes,
                    basis=data["basis"], actor=request.user, purpose=data["purpose"])
            except services.ProvisionRefused as refused:
                form.add_error(None, _("Nothing was provided: %(count)s member(s) are refused.")
                               % {"count": len(refused.refusals)})
                for message in refused.messages:
                    form.add_error(None, message)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(None, [f"{field}: {message}" for message in errors])
            else:
                filename = f"provision-{recipient.pk}-{timezone.localtime(batch.provided_at):%Y%m%d-%H%M}.csv"
                return csv_response(content, filename)
        context = {**self.admin_site.each_context(request), "title": _("Record a provision and download its file"),
                   "form": form, "opts": self.model._meta, **(extra_context or {})}
        return TemplateResponse(request, "admin/disclosures/provision_form.html", context)


@admin.register(Provision)
class ProvisionAdmin(BigChangeListMixin, ReadOnlyAdmin):
    # A row per member per provision. Newest first by the primary key's index: a row is written when it is
    # provided (provided_at is the time of writing), so the order is the same as by provided_at, which has no
    # index; sorting by any column would sort the whole ledger for one page. The actor shows as "#<id>".
    list_columns = ("id", "provided_at", "member_id", "recipient__name", "items", "basis", "purpose", "actor__id",
                    "batch_id")
    list_display = ["provided_at", "member_display", "recipient", "items_display", "basis", "purpose", "actor",
                    "batch_id"]
    list_filter = ["recipient", "basis"]
    list_select_related = ["recipient", "actor"]
    sortable_by = ()
    ordering = ["-id"]
    search_fields = ["=member__id"]
    readonly_fields = ["batch", "member_display", "recipient", "items_display", "basis", "consent_record",
                       "purpose", "provided_at", "actor"]
    fields = readonly_fields

    @admin.display(description=_("member"), ordering="member_id")
    def member_display(self, obj: Provision) -> str:
        return member_link(obj.member_id)

    @admin.display(description=_("items"))
    def items_display(self, obj: Provision) -> str:
        return _items_text(obj.items)


@admin.register(CorrectionNotice)
class CorrectionNoticeAdmin(ReadOnlyAdmin):
    """Notices to send (sent at: none) and sent; the file goes to each recipient with the new values."""

    list_display = ["created_at", "recipient", "member_display", "items_display", "old_values", "sent_at"]
    list_filter = ["recipient", "sent_at"]
    list_select_related = ["recipient"]
    readonly_fields = ["recipient", "member_display", "items_display", "old_values", "created_at", "sent_at",
                       "sent_by"]
    fields = readonly_fields
    actions = ["send"]

    @admin.display(description=_("member"), ordering="member_id")
    def member_display(self, obj: CorrectionNotice) -> str:
        return member_link(obj.member_id)

    @admin.display(description=_("corrected items"))
    def items_display(self, obj: CorrectionNotice) -> str:
        return _items_text(obj.items)

    @admin.display(description=_("old values (masked)"))
    def old_values(self, obj: CorrectionNotice) -> str:
        return ", ".join(f"{ITEMS[code].label if code in ITEMS else code}: {value}"
                         for code, value in obj.old_values_masked.items())

    def has_send_permission(self, request: HttpRequest) -> bool:
        # Sending reads members' current values and records the notice sent: the model's change permission.
        return request.user.has_perm("disclosures.change_correctionnotice")

    @admin.action(description=_("Produce the file of the selected recipient's unsent notices and record them sent"),
                  permissions=["send"])
    def send(self, request: HttpRequest, queryset: QuerySet):
        recipient_ids = set(queryset.values_list("recipient_id", flat=True))
        if len(recipient_ids) != 1:
            self.message_user(request, _("Select the notices of one recipient at a time: each recipient gets its "
                                         "own file."), messages.ERROR)
            return None
        recipient = Recipient.objects.get(pk=recipient_ids.pop())
        try:
            _sent, content = services.correction_notices_send(recipient=recipient, actor=request.user)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return None
        filename = f"correction-{recipient.pk}-{timezone.localtime():%Y%m%d-%H%M}.csv"
        return csv_response(content, filename)



class ImportForm(forms.Form):
    source = forms.ModelChoiceField(label=_("source"), queryset=Source.objects.all())
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "Columns (Korean or English headers): 이름, 이메일, 동의참조번호 required; 휴대전화번호, 회사명, 부서, 직책, "
        "사번, 회사전화번호, 생년월일 (YYYY-MM-DD), 로그인ID optional."))
    encoding = forms.ChoiceField(label=_("encoding"), choices=[
        ("auto", _("detect (UTF-8, else CP949)")), ("utf-8", "UTF-8"), ("cp949", "CP949 (EUC-KR)")])


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Each partner file, with its skipped rows; "add" imports a new one through partner_import."""

    list_display = ["imported_at", "source", "filename", "created_count", "updated_count", "skipped_count", "actor"]
    list_filter = ["source"]
    list_select_related = ["source", "actor"]
    readonly_fields = ["source", "filename", "encoding", "imported_at", "actor", "created_count", "updated_count",
                       "skipped_count", "skipped_rows", "members"]
    fields = readonly_fields
    actions = ["invite"]

    @admin.display(description=_("skipped rows"))
    def skipped_rows(self, obj: ImportBatch) -> str:
        # Each message names its field in the reader's words; the report's keys are the code's field names.
        rows = [(entry["row"], " ".join(message for messages in entry["errors"].values() for message in messages))
                for entry in obj.report]
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)) \
            if rows else "-"

    @admin.display(description=_("members"))
    def members(self, obj: ImportBatch) -> str:
        rows = obj.rows.order_by("row_number").values_list("row_number", "member_id", "action", "consent_reference",
                                                            "invited_at")
        header = format_html("<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>", _("row"),
                             _("member"), _("action"), _("partner's consent reference"), _("invited at"))
        return format_html("<table>{}{}</table>", header, format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [(number, member_link(member_id), ImportedMember.Action(action).label, reference,
              date_format(timezone.localtime(invited), "DATETIME_FORMAT") if invited
              else (_("not yet sent") if action == ImportedMember.Action.CREATED else "—"))
             for number, member_id, action, reference, invited in rows]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("disclosures.add_importbatch")

    def has_invite_permission(self, request: HttpRequest) -> bool:
        # Sending the invitations is part of importing: the permission to import.
        return self.has_add_permission(request)

    @admin.action(description=_("Send the selected imports' invitations not yet sent"), permissions=["invite"])
    def invite(self, request: HttpRequest, queryset: QuerySet):
        pending = invitations_pending(queryset)
        for batch in pending:
            invitations_queue(batch=batch, base_url=request.build_absolute_uri("/"))
        if pending:
            self.message_user(request, _("Invitations of %(count)s imports queued; a worker sends them, and each "
                                         "import's page shows when each one left.") % {"count": len(pending)})
        else:
            self.message_user(request, _("The selected imports have no invitation left to send."), messages.WARNING)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None):
        if not self.has_add_permission(request):
            return redirect("admin:disclosures_importbatch_changelist")
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = partner_import(source=form.cleaned_data["source"], content=upload.read(),
                                       filename=upload.name, actor=request.user, encoding=form.cleaned_data["encoding"],
                                       base_url=request.build_absolute_uri("/"))
            except ValidationError as error:
                for messages_ in error.message_dict.values():
                    for message in messages_:
                        form.add_error("file", message)
            else:
                self.message_user(request, _("Imported: %(created)s created, %(updated)s updated, %(skipped)s rows "
                                             "skipped.") % {"created": batch.created_count,
                                                            "updated": batch.updated_count,
                                                            "skipped": batch.skipped_count},
                                  messages.WARNING if batch.skipped_count else messages.SUCCESS)
                return redirect("admin:disclosures_importbatch_change", batch.pk)
        context = {**self.admin_site.each_context(request), "title": _("Import members from a partner company"),
                   "form": form, "opts": self.model._meta, "multipart": True, **(extra_context or {})}
        return TemplateResponse(request, "admin/disclosures/import_form.html", context)
