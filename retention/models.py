"""Retention rules (policy §2), the archive kept apart (분리 보관, §3), legal holds and the destruction ledger."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.registry import PersonalField, Retention, registry


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class Trigger(models.TextChoices):
    """The event a retention period runs from."""

    MEMBERSHIP_WITHDRAWAL = "membership_withdrawal", _("membership withdrawal")
    ENROLMENT_END = "enrolment_end", _("enrolment end")
    OFFER_WITHDRAWN = "offer_withdrawn", _("offer withdrawn")
    PAYMENT = "payment", _("payment")
    COMPLAINT_CLOSED = "complaint_closed", _("complaint closed")


class RetentionRule(models.Model):
    """One row of policy §2: what a law keeps, why, and for how long after which event.

    The fields a rule keeps are not stored here: they come from the personal-data declaration.
    """

    code = models.CharField(pgettext_lazy("retention", "code"), max_length=40, choices=Retention.choices, unique=True)
    data_category = models.CharField(_("data category"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    period_amount = models.IntegerField(_("retention period"))
    period_unit = models.CharField(_("period unit"), max_length=10, choices=PeriodUnit.choices)
    trigger = models.CharField(_("trigger event"), max_length=30, choices=Trigger.choices)
    active = models.BooleanField(_("active"), default=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(period_amount__gt=0), name="retention_rule_period_positive",
                                   violation_error_message=_("Retention period: must be more than zero.")),
            models.CheckConstraint(condition=Q(code__in=Retention.values), name="retention_rule_code_known"),
            models.CheckConstraint(condition=Q(trigger__in=Trigger.values), name="retention_rule_trigger_known"),
            models.CheckConstraint(condition=Q(period_unit__in=PeriodUnit.values), name="retention_rule_unit_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()}"

    @property
    def period(self) -> relativedelta:
        return relativedelta(**{self.period_unit: self.period_amount})

    def period_display(self) -> str:
        return f"{self.period_amount} {self.get_period_unit_display()}"

    def destroy_after(self, trigger_date: datetime.date) -> datetime.date:
        return trigger_date + self.period

    def kept_fields(self) -> list[PersonalField]:
        """The declared personal fields this rule keeps (members.personal_data and every app's declaration)."""
        return [item for item in registry if self.code in item.retention]


class RetentionRuleChange(models.Model):
    """A rule's change history (who, when, before, after, why); append-only evidence."""

    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="changes",
                             verbose_name=_("retention rule"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   related_name="+", verbose_name=pgettext_lazy("retention", "changed by"))
    changed_at = models.DateTimeField(pgettext_lazy("retention", "changed at"), default=timezone.now)
    before = models.JSONField(pgettext_lazy("retention", "before"), null=True, blank=True)
    after = models.JSONField(pgettext_lazy("retention", "after"))
    reason = models.TextField(pgettext_lazy("retention", "reason"), blank=True)

    class Meta:
        verbose_name = _("retention rule change")
        verbose_name_plural = _("retention rule changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class ArchiveModel(models.Model):
    """A model stored in the archive database when ARCHIVE_DATABASE_URL is set (retention.routers)."""

    in_archive = True

    class Meta:
        abstract = True


class ArchivedRecord(ArchiveModel):
    """Fields a law keeps after their purpose ended, sealed under a data key of their own (crypto-shredding).

    Holds no member id: the subject is a keyed pseudonym, and the payload only the fields the rule keeps.
    """

    archive_key = models.CharField(_("archive key"), max_length=64)
    rule = models.CharField(_("retention rule"), max_length=40, choices=Retention.choices)
    category = models.CharField(_("data category"), max_length=200)
    subject_key = models.CharField(_("subject (pseudonym)"), max_length=64)
    source = models.CharField(_("source record type"), max_length=100)
    fields = models.JSONField(_("kept fields"), default=list)
    payload = models.BinaryField(_("payload (encrypted)"))
    trigger_date = models.DateField(_("trigger date"))
    archived_at = models.DateTimeField(_("archived at"), default=timezone.now)
    destroy_after = models.DateField(_("destroy after"), db_index=True)

    class Meta:
        verbose_name = _("archived record")
        verbose_name_plural = _("archived records")
        # On PostgreSQL the table is partitioned by destruction month (retention.partitions): a unique key
        # of a partitioned table includes destroy_after.
        # archive_key lookups use the unique key's index; a keyed hash needs no pattern (_like) index.
        constraints = [models.UniqueConstraint(fields=["archive_key", "destroy_after"],
                                               name="archived_record_key_once")]
        indexes = [models.Index(fields=["subject_key"], name="archived_record_subject_idx")]
        permissions = [("view_archived_payload", _("Can open an archived payload (with a recorded reason)"))]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} #{self.pk}"


class ArchiveDataKey(ArchiveModel):
    """The data key of one archived payload, wrapped by the field key; deleting it destroys the payload."""

    archive_key = models.CharField(_("archive key"), max_length=64)
    wrapped = models.BinaryField(_("wrapped data key"))
    wrapped_by = models.CharField(_("field key id"), max_length=16)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The record's: a key lives in the partition of the same destruction month as its payload.
    destroy_after = models.DateField(_("destroy after"))

    class Meta:
        verbose_name = _("archive data key")
        verbose_name_plural = _("archive data keys")
        constraints = [models.UniqueConstraint(fields=["archive_key", "destroy_after"],
                                               name="archive_data_key_once")]

    def __str__(self) -> str:
        return f"{self.wrapped_by} #{self.pk}"


class SweepReceipt(ArchiveModel):
    """Written in the archive database in the same transaction as a destruction batch, then copied once into
    the ledger (which lives in the main database), so the ledger stays exact across a crash."""

    batch_id = models.UUIDField(pgettext_lazy("retention", "batch"), unique=True)
    run_id = models.UUIDField(_("run"))
    rule = models.CharField(_("retention rule"), max_length=40)
    category = models.CharField(_("data category"), max_length=200)
    count = models.PositiveIntegerField(_("count"))
    destroyed_at = models.DateTimeField(_("destroyed at"))

    class Meta:
        verbose_name = _("sweep receipt")
        verbose_name_plural = _("sweep receipts")

    def __str__(self) -> str:
        return str(self.batch_id)


class LegalHold(models.Model):
    """Records of a member that must not be destroyed yet (an investigation, a lawsuit), until a date."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_holds",
                               verbose_name=_("member"))
    subject_key = models.CharField(_("subject (pseudonym)"), max_length=64, editable=False, db_index=True)
    reason = models.TextField(pgettext_lazy("retention", "reason"))
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("held by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    until = models.DateField(_("held until"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class DestructionMethod(models.TextChoices):
    ERASE = "erase", _("erase")
    DELETE = "delete", pgettext_lazy("retention", "delete")
    CRYPTO_SHRED = "crypto_shred", _("crypto-shred")


class DestructionEvent(models.TextChoices):
    WITHDRAWAL = "withdrawal", _("membership withdrawal")
    SWEEP = "sweep", _("retention period ended")
    PURPOSE_ENDED = "purpose_ended", _("purpose achieved")


class DestructionLog(models.Model):
    """파기 대장: what was destroyed, how, when, by which run and on whose approval; never the values."""

    occurred_at = models.DateTimeField(_("destroyed at"), default=timezone.now, db_index=True)
    event = models.CharField(_("event"), max_length=20, choices=DestructionEvent.choices)
    rule = models.CharField(_("rule"), max_length=40, blank=True)
    category = models.CharField(_("data category"), max_length=200)
    source = models.CharField(_("record type"), max_length=100, blank=True)
    count = models.PositiveIntegerField(_("count"))
    method = models.CharField(_("method"), max_length=20, choices=DestructionMethod.choices)
    run_id = models.UUIDField(_("run"), db_index=True)
    batch_id = models.UUIDField(pgettext_lazy("retention", "batch"), null=True, blank=True, unique=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    reason = models.TextField(pgettext_lazy("retention", "reason"), blank=True)

    class Meta:
        verbose_name = _("destruction log entry")
        verbose_name_plural = _("destruction ledger")
        ordering = ["-occurred_at", "-id"]
        permissions = [("withdraw_member", _("Can withdraw a member on their request (policy §8)"))]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.count} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class SweepRun(models.Model):
    """One run of retention_sweep: its result or failure, shown on the admin index."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    run_id = models.UUIDField(_("run"), unique=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    destroyed = models.PositiveIntegerField(_("destroyed"), default=0)
    held = models.PositiveIntegerField(_("skipped under legal hold"), default=0)
    undecryptable = models.PositiveIntegerField(_("skipped as undecryptable"), default=0)
    report = models.JSONField(_("report"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class PurposeErasure(models.Model):
    """A record whose fields a purpose rule (retention.purposes) erased, so the sweep erases and counts it once."""

    rule = models.CharField(_("rule"), max_length=40)
    source = models.CharField(_("record type"), max_length=100)
    source_id = models.BigIntegerField(_("record id"))
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    run_id = models.UUIDField(_("run"))

    class Meta:
        verbose_name = _("purpose-ended erasure")
        verbose_name_plural = _("purpose-ended erasures")
        constraints = [models.UniqueConstraint(fields=["rule", "source", "source_id"], name="purpose_erasure_once")]

    def __str__(self) -> str:
        return f"{self.rule} {self.source}#{self.source_id}"


class ArchiveAccess(models.Model):
    """Each opening of an archived payload: who, when, which record and why (policy §3: no other use)."""

    archive_key = models.CharField(_("archive key"), max_length=64)
    rule = models.CharField(_("retention rule"), max_length=40)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=pgettext_lazy("retention", "opened by"))
    opened_at = models.DateTimeField(pgettext_lazy("retention", "opened at"), default=timezone.now)
    reason = models.TextField(pgettext_lazy("retention", "reason"))

    class Meta:
        verbose_name = _("archive access")
        verbose_name_plural = _("archive accesses")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.opened_at:%Y-%m-%d %H:%M}"


class RecordDeferral(models.Model):
    """A key a record rule (retention.records) found still kept by the archive, which may be another database
    and so cannot be joined: the sweep leaves it until the day the archive's first row of it can be
    destroyed, instead of reading it again every night (and never getting past it in a bounded run)."""

    rule = models.CharField(_("rule"), max_length=40)
    key = models.BigIntegerField(_("record id"))
    recheck_on = models.DateField(_("checked again on"))

    class Meta:
        verbose_name = _("deferred record")
        verbose_name_plural = _("deferred records")
        constraints = [models.UniqueConstraint(fields=["rule", "key"], name="record_deferral_once")]

    def __str__(self) -> str:
        return f"{self.rule} #{self.key}"
