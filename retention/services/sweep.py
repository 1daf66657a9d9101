"""The retention sweep (policy §3): archived records whose period ended are destroyed by crypto-shredding,
in bounded batches, each batch one transaction, rows claimed with SELECT ... FOR UPDATE SKIP LOCKED so that
two workers never destroy the same row. Legal holds and rows that cannot be decrypted are skipped and
reported. The ledger (in the main database) is fed from receipts written in the batch's own transaction."""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from retention import crypto
from retention.models import (
    ArchiveDataKey,
    ArchivedRecord,
    DestructionEvent,
    DestructionLog,
    DestructionMethod,
    LegalHold,
    RetentionRule,
    SweepReceipt,
    SweepRun,
)
from retention.routers import archive_alias

SOURCE = "retention.ArchivedRecord"


@dataclass
class RuleReport:
    rule: str
    expired: int = 0
    destroyed: int = 0
    held: int = 0
    undecryptable: int = 0
    undecryptable_ids: list[int] = field(default_factory=list)


@dataclass
class SweepReport:
    run_id: uuid.UUID
    dry_run: bool
    rules: dict[str, RuleReport] = field(default_factory=dict)
    has_more: bool = False

    @property
    def destroyed(self) -> int:
        return sum(r.destroyed for r in self.rules.values())

    @property
    def held(self) -> int:
        return sum(r.held for r in self.rules.values())

    @property
    def undecryptable(self) -> int:
        return sum(r.undecryptable for r in self.rules.values())

    def as_dict(self) -> dict:
        return {code: {"expired": r.expired, "destroyed": r.destroyed, "held": r.held,
                       "undecryptable": r.undecryptable, "undecryptable_ids": r.undecryptable_ids[:50]}
                for code, r in self.rules.items()}


def held_subjects(today: datetime.date) -> list[str]:
    return list(LegalHold.objects.filter(released_at__isnull=True, until__gte=today)
                .values_list("subject_key", flat=True).distinct())


def expired(rule: str, today: datetime.date) -> QuerySet:
    return ArchivedRecord.objects.using(archive_alias()).filter(rule=rule, destroy_after__lt=today)


def _openable() -> Exists:
    """The row's data key exists and was wrapped by a key the ring holds: otherwise it cannot be decrypted."""
    ring = [key_id.hex() for key_id in crypto.key_ring_ids()]
    return Exists(ArchiveDataKey.objects.filter(archive_key=OuterRef("archive_key"), wrapped_by__in=ring))


def ledger_flush() -> int:
    """Copy receipts of committed batches into the ledger, once each (batch_id is unique in the ledger)."""
    using = archive_alias()
    rules = {rule.code: rule for rule in RetentionRule.objects.all()}
    copied = 0
    for receipt in SweepReceipt.objects.using(using).order_by("id").iterator():
        rule = rules.get(receipt.rule)
        with transaction.atomic():
            _entry, created = DestructionLog.objects.get_or_create(batch_id=receipt.batch_id, defaults={
                "occurred_at": receipt.destroyed_at, "event": DestructionEvent.SWEEP, "rule": receipt.rule,
                "category": receipt.category, "source": SOURCE, "count": receipt.count,
                "method": DestructionMethod.CRYPTO_SHRED, "run_id": receipt.run_id,
                "approved_by": rule.approved_by if rule else None})
        SweepReceipt.objects.using(using).filter(pk=receipt.pk).delete()
        copied += created
    return copied


def _destroy_batch(rule: RetentionRule, today: datetime.date, held: list[str], run_id: uuid.UUID,
                   batch_size: int) -> int:
    using = archive_alias()
    with transaction.atomic(using=using):
        claimed = list(expired(rule.code, today).exclude(subject_key__in=held).filter(_openable())
                       .order_by("destroy_after", "id").select_for_update(skip_locked=True, of=("self",))
                       .values_list("id", "archive_key")[:batch_size])
        if not claimed:
            return 0
        # The key first: once it is gone, no copy of the payload can be read again.
        ArchiveDataKey.objects.using(using).filter(archive_key__in=[key for _id, key in claimed])._raw_delete(using)
        count = ArchivedRecord.objects.using(using).filter(id__in=[pk for pk, _key in claimed])._raw_delete(using)
        if count:
            SweepReceipt.objects.using(using).create(batch_id=uuid.uuid4(), run_id=run_id, rule=rule.code,
                                                     category=rule.data_category, count=count,
                                                     destroyed_at=timezone.now())
    return count


def retention_sweep(*, batch_size: int = 1000, dry_run: bool = False, max_batches: int | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> SweepReport:
    """Destroy every archived record whose retention period has ended, rule by rule, except under a legal
    hold or when it cannot be decrypted (both reported). `max_batches` bounds one call (a Celery task);
    the report says whether work is left."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ledger_flush()
    today = timezone.localdate()
    report = SweepReport(run_id=uuid.uuid4(), dry_run=dry_run)
    run = SweepRun.objects.create(run_id=report.run_id, dry_run=dry_run)
    held = held_subjects(today)
    batches = 0
    try:
        for rule in RetentionRule.objects.filter(active=True):
            rows = expired(rule.code, today)
            line = report.rules[rule.code] = RuleReport(rule=rule.code, expired=rows.count())
            line.held = rows.filter(subject_key__in=held).count() if held else 0
            broken = rows.exclude(subject_key__in=held).exclude(_openable())
            line.undecryptable_ids = list(broken.values_list("id", flat=True)[:50])
            line.undecryptable = broken.count()
            if dry_run:
                line.destroyed = line.expired - line.held - line.undecryptable
                continue
            todo = line.expired - line.held - line.undecryptable
            while max_batches is None or batches < max_batches:
                count = _destroy_batch(rule, today, held, report.run_id, batch_size)
                batches += 1
                ledger_flush()
                if not count:
                    break
                line.destroyed += count
                if progress:
                    progress(rule.code, line.destroyed, todo)
            else:
                report.has_more = True
                break
    except Exception as error:
        SweepRun.objects.filter(pk=run.pk).update(status=SweepRun.Status.FAILED, finished_at=timezone.now(),
                                                  error=f"{type(error).__name__}: {error}",
                                                  destroyed=report.destroyed, report=report.as_dict())
        raise
    SweepRun.objects.filter(pk=run.pk).update(
        status=SweepRun.Status.FINISHED, finished_at=timezone.now(), destroyed=report.destroyed, held=report.held,
        undecryptable=report.undecryptable, report=report.as_dict())
    return report
