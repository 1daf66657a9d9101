"""Recipients (제3자), processors (수탁자) and sources (제휴사), the changes made to them, the provision ledger,
processing restrictions and correction notices (policy §1 수집방법, §5, §6, §7; PIPA §17, §26)."""

import uuid

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consents.models import ConsentItem, ConsentRecord


class Basis(models.TextChoices):
    """What allows a provision: the member's consent or a statute (policy §5)."""

    CONSENT = "consent", _("consent of the member")
    STATUTE = "statute", _("statute")


class StatuteRule(models.TextChoices):
    """Statutes the software can check member by member (disclosures/bases.py says who each covers)."""

    EMPLOYMENT_INSURANCE_REPORT = "employment_insurance_report", _("employment-insurance report")
    TRAINING_MONITORING = "training_monitoring", _("vocational training monitoring")


class RecipientQuerySet(models.QuerySet):
    def active(self, on=None) -> "RecipientQuerySet":
        on = on or timezone.localdate()
        return self.filter(Q(active_from__lte=on), Q(active_to__isnull=True) | Q(active_to__gte=on))


class Recipient(models.Model):
    """A third party that receives members' data (policy §5), or a partner company within a recipient group
    such as 과정제휴업체; a partner company is provided to under its group's purpose, items and basis."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    group = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="partners",
                              verbose_name=_("recipient group"),
                              help_text=_("For a partner company: the recipient group it belongs to."))
    is_group = models.BooleanField(_("recipient group"), default=False,
                                   help_text=_("A group (e.g. course partners) lists its partner companies; data is "
                                               "provided to the companies, not to the group."))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    items_text = models.CharField(_("items provided (as the policy words them)"), max_length=300, blank=True)
    item_codes = models.JSONField(_("items provided"), default=list, blank=True)
    retention = models.CharField(_("retention by the recipient"), max_length=200, blank=True)
    consent_item = models.ForeignKey(ConsentItem, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="recipients", verbose_name=_("consent item"),
                                     help_text=_("The third-party consent that allows provision to this recipient."))
    statute = models.CharField(_("statute and article"), max_length=300, blank=True)
    statute_rule = models.CharField(_("statute rule"), max_length=40, choices=StatuteRule.choices, blank=True,
                                    help_text=_("Which members the statute covers, checked member by member."))
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active to"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(active_to__isnull=True) | Q(active_to__gte=F("active_from")),
                                   name="recipient_active_to_after_from",
                                   violation_error_message=_("Active to: cannot be before the active-from date.")),
            models.CheckConstraint(condition=Q(statute_rule="") | ~Q(statute=""),
                                   name="recipient_statute_rule_names_statute",
                                   violation_error_message=_("Statute: a statute rule needs the statute and "
                                                             "article it comes from.")),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from disclosures.items import ITEMS

        errors = {}
        unknown = [code for code in self.item_codes or [] if code not in ITEMS]
        if unknown:
            errors["item_codes"] = _("Items provided: unknown item %(codes)s.") % {"codes": ", ".join(unknown)}
        if self.group_id and (self.is_group or not self.group.is_group or self.group.group_id):
            errors["group"] = _("Recipient group: a partner company belongs to a recipient group, and a group "
                                "cannot belong to another.")
        if self.consent_item_id and self.consent_item.kind != ConsentItem.Kind.THIRD_PARTY:
            errors["consent_item"] = _("Consent item: choose a consent to provision to a third party.")
        if not self.group_id and not (self.consent_item_id or self.statute):
            errors["consent_item"] = _("Basis: a recipient needs the consent item or the statute that allows "
                                       "providing to it (PIPA §17).")
        if not self.group_id and not self.purpose:
            errors["purpose"] = _("Purpose: say why the recipient receives the data (PIPA §17②).")
        if errors:
            raise ValidationError(errors)

    @property
    def terms(self) -> "Recipient":
        """The recipient whose purpose, items and basis apply: a partner company's group, else itself."""
        return self.group if self.group_id else self

    def is_active(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.active_from <= on and (self.active_to is None or self.active_to >= on)


class Processor(models.Model):
    """A processor (수탁자) entrusted with members' data (policy §6; PIPA §26)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    work = models.CharField(_("entrusted work"), max_length=200)
    items_text = models.CharField(_("items"), max_length=300)
    retention = models.CharField(_("retention"), max_length=200)
    contract_start = models.DateField(_("contract start"))
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    sub_processors = models.CharField(_("sub-processors"), max_length=300, blank=True)
    overseas_transfer = models.BooleanField(_("overseas transfer"), default=False)
    overseas_detail = models.CharField(_("overseas transfer details (country, date and method)"), max_length=300,
                                       blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("processor")
        verbose_name_plural = _("processors")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(contract_end__isnull=True) | Q(contract_end__gte=F("contract_start")),
                                   name="processor_contract_end_after_start",
                                   violation_error_message=_("Contract end: cannot be before the contract start.")),
            models.CheckConstraint(condition=Q(overseas_transfer=False) | ~Q(overseas_detail=""),
                                   name="processor_overseas_transfer_detailed",
                                   violation_error_message=_("Overseas transfer details: say where, when and how "
                                                             "the data is transferred (PIPA §28-8).")),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.contract_start <= on and (self.contract_end is None or self.contract_end >= on)


class Source(models.Model):
    """A partner company that provides members' data to us after obtaining their consent (policy §1 수집방법)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    consent_method = models.CharField(_("how the partner obtains consent"), max_length=300)
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active to"), null=True, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegistryChange(models.Model):
    """Who changed a recipient, processor or source, when, and the values before and after."""

    class Action(models.TextChoices):
        SEED = "seed", _("loaded from the policy")
        ADD = "add", _("added")
        CHANGE = "change", _("changed")

    registry = models.CharField(_("registry"), max_length=40)
    object_id = models.BigIntegerField(_("object ID"))
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("changed by"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"))

    class Meta:
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["action", "-changed_at"], name="registry_change_recent_idx")]

    def __str__(self) -> str:
        return f"{self.object_repr} #{self.pk}"


class ProcessingRestriction(models.Model):
    """An open correction or processing-stop request of a member (policy §7; PIPA §36, §37): while it is open
    nothing of the member is provided. Data-subject requests open and close these through the services."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("correction request")
        PROCESSING_STOP = "processing_stop", _("processing-stop request")

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="processing_restrictions", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))

    class Meta:
        verbose_name = _("processing restriction")
        verbose_name_plural = _("processing restrictions")
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["member"], condition=Q(closed_at__isnull=True),
                                name="restriction_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ProvisionBatch(models.Model):
    """One act of provision to one recipient: all its members were provided, or none were."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="batches",
                                  verbose_name=_("recipient"))
    items = models.JSONField(_("items"))
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    basis_text = models.CharField(_("basis (consent item or statute)"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("provided by"))
    provided_at = models.DateTimeField(_("provided at"), default=timezone.now)
    member_count = models.PositiveIntegerField(_("members"))

    class Meta:
        verbose_name = _("provision batch")
        verbose_name_plural = _("provision batches")
        ordering = ["-provided_at"]

    def __str__(self) -> str:
        return f"{self.recipient} {str(self.id)[:8]}"


class Provision(models.Model):
    """The ledger (제공 대장): one row per member per provision; written only by provision_record."""

    # No index of their own on batch and member: provision_once_per_batch begins with batch,
    # provision_member_recipient_idx with member.
    batch = models.ForeignKey(ProvisionBatch, on_delete=models.PROTECT, related_name="provisions",
                              verbose_name=_("batch"), db_index=False)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provisions",
                               verbose_name=_("member"), db_index=False)
    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="provisions",
                                  verbose_name=_("recipient"))
    items = models.JSONField(_("items"))
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    consent_record = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("consent record relied on"))
    purpose = models.CharField(_("purpose"), max_length=200)
    provided_at = models.DateTimeField(_("provided at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("provided by"))

    class Meta:
        verbose_name = _("provision")
        verbose_name_plural = _("provisions (ledger)")
        ordering = ["-provided_at", "-pk"]
        indexes = [models.Index(fields=["member", "recipient"], name="provision_member_recipient_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(basis="statute") | Q(consent_record__isnull=False),
                                   name="provision_consent_basis_has_record"),
            models.UniqueConstraint(fields=["batch", "member"], name="provision_once_per_batch"),
        ]
        # Evidence: PostgreSQL refuses to change or delete a ledger row; only services.provisions_purge
        # deletes one, for the retention sweep once the recipient's period has passed.
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.recipient} #{self.pk}"


class CorrectionNotice(models.Model):
    """Policy §7: a recipient that received a value later corrected is told of the correction. The old value
    is kept masked only; the new value is read from the member when the notice is sent."""

    recipient = models.ForeignKey(Recipient, on_delete=models.PROTECT, related_name="correction_notices",
                                  verbose_name=_("recipient"))
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="correction_notices",
                               verbose_name=_("member"))
    items = models.JSONField(_("corrected items"))
    old_values_masked = models.JSONField(_("old values (masked)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("sent by"))

    class Meta:
        verbose_name = _("correction notice")
        verbose_name_plural = _("correction notices")
        ordering = ["sent_at", "-created_at"]
        indexes = [models.Index(fields=["recipient"], condition=Q(sent_at__isnull=True), name="notice_unsent_idx")]

    def __str__(self) -> str:
        return f"{self.recipient} #{self.pk}"


class ImportBatch(models.Model):
    """One file of members' data received from a source company (policy §1 수집방법), with its report."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="imports", verbose_name=_("source"))
    filename = models.CharField(_("file name"), max_length=200)
    encoding = models.CharField(_("encoding"), max_length=20)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("imported by"))
    created_count = models.PositiveIntegerField(_("members created"), default=0)
    updated_count = models.PositiveIntegerField(_("members updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("rows skipped"), default=0)
    # [{"row": n, "errors": {field: [message, ...]}}] for each skipped row; no values of the row are kept.
    report = models.JSONField(_("skipped rows"), default=list, blank=True)

    class Meta:
        verbose_name = _("partner import")
        verbose_name_plural = _("partner imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.source} {timezone.localtime(self.imported_at):%Y-%m-%d %H:%M}"


class ImportedMember(models.Model):
    """Where a member's data came from: the source, the import batch and the partner's consent reference."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="rows", verbose_name=_("import"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+", verbose_name=_("source"))
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="imported_from",
                               verbose_name=_("member"))
    row_number = models.PositiveIntegerField(_("row"))
    consent_reference = models.CharField(_("partner's consent reference"), max_length=100)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # When the invitation to set a password left (created members only); empty until the task sends it.
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("imported member")
        verbose_name_plural = _("imported members")
        ordering = ["batch", "row_number"]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk}"
