"""The retention sweep (policy §3): archived records whose period ended are destroyed by crypto-shredding,
in bounded batches, each batch one transaction, rows claimed with SELECT ... FOR UPDATE SKIP LOCKED so that
two workers never destroy the same row. Legal holds and rows that cannot be decrypted are skipped and
reported. The ledger (in the main database) is fed from receipts written in the batch's own transaction."""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, transaction
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
from retention.partitions import ArchiveTables, is_partitioned
from retention.purposes import PURPOSE_RULES
from retention.records import RECORD_RULES
from retention.routers import archive_alias
from retention.services import shred
from retention.services.purpose import purpose_candidates, purpose_rule_apply
from retention.services.records import record_rule_apply, record_rule_measure

SOURCE = "retention.ArchivedRecord"
# Rows per batch (one transaction each) for the beat task and the command; the bench uses it too.
DEFAULT_BATCH_SIZE = 5000


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


def _holds(today: datetime.date) -> QuerySet:
    return LegalHold.objects.filter(released_at__isnull=True, until__gte=today)


def held_subjects(today: datetime.date) -> list[str]:
    """The pseudonyms of every member on hold, under every blind-index key of the ring (rows archived before
    a rotation keep the old key's pseudonym until rotate_keys re-keys them), and as each hold stored it."""
    holds = _holds(today).values_list("member_id", "subject_key").distinct()
    return sorted({key for member_id, stored in holds for key in (stored, *crypto.subject_keys(member_id))})


def expired(rule: str, today: datetime.date) -> QuerySet:
    return ArchivedRecord.objects.using(archive_alias()).filter(rule=rule, destroy_after__lt=today)


def _openable() -> Exists:
    """The row's data key exists and was wrapped by a key the ring holds: otherwise it cannot be decrypted."""
    return Exists(ArchiveDataKey.objects.filter(archive_key=OuterRef("archive_key"),
                                                destroy_after=OuterRef("destroy_after"), wrapped_by__in=_ring()))


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
                   batch_size: int, after_id: int) -> tuple[int, int | None]:
    """One batch in one transaction of the archive database, its receipt written in the same transaction.
    Returns (destroyed, last id claimed) — None when nothing was left to claim."""
    using = archive_alias()
    ring = _ring()
    if connections[using].vendor == "postgresql":
        return shred.batch_destroy(using, ArchiveTables(), rule=rule.code, category=rule.data_category,
                                   today=today, held=held, ring=ring, after_id=after_id, limit=batch_size,
                                   run_id=run_id)
    with transaction.atomic(using=using):
        claimed = list(expired(rule.code, today).filter(id__gt=after_id).exclude(subject_key__in=held)
                       .filter(_openable()).order_by("id").select_for_update(skip_locked=True, of=("self",))
                       .values_list("id", "archive_key")[:batch_size])
        last_id = claimed[-1][0] if claimed else None
        # The key first: once it is gone, no copy of the payload can be read again.
        ArchiveDataKey.objects.using(using).filter(archive_key__in=[k for _id, k in claimed])._raw_delete(using)
        count = ArchivedRecord.objects.using(using).filter(id__in=[pk for pk, _k in claimed])._raw_delete(using)
        if count:
            SweepReceipt.objects.using(using).create(batch_id=uuid.uuid4(), run_id=run_id, rule=rule.code,
                                                     category=rule.data_category, count=count,
                                                     destroyed_at=timezone.now())
    return count, last_id


def _ring() -> list[str]:
    return [key_id.hex() for key_id in crypto.key_ring_ids()]


def _months_drop(today: datetime.date, held: list[str], report: SweepReport, budget: list[int | None],
                 progress: Callable[[str, int, int], None] | None) -> dict[str, int]:
    """PostgreSQL: whole expired months go first, counted into receipts and dropped (retention.partitions).
    Returns what was destroyed per rule."""
    using = archive_alias()
    dropped: dict[str, int] = {}
    if report.dry_run or not is_partitioned(using, ArchiveTables().records):
        return dropped
    for counts in shred.months_drop(using, ArchiveTables(), today=today, held=held, ring=_ring(),
                                    run_id=report.run_id, spend=lambda: _spend(budget)):
        for rule, _category, count in counts:
            dropped[rule] = dropped.get(rule, 0) + count
            if progress:
                progress(rule, dropped[rule], dropped[rule])
    ledger_flush()
    return dropped


def retention_sweep(*, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False, max_batches: int | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> SweepReport:
    """Destroy every archived record whose retention period has ended, rule by rule, except under a legal
    hold or when it cannot be decrypted (both reported); then apply the purpose-ended rules to the live
    records, and the record rules (retention.records) to consent records, the provision ledger and other
    evidence whose keeping period ended. `max_batches` bounds one call (a Celery task); the report says
    whether work is left. `dry_run` reports, per rule, what would be destroyed and changes nothing."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not dry_run:
        ledger_flush()
    today = timezone.localdate()
    report = SweepReport(run_id=uuid.uuid4(), dry_run=dry_run)
    run = SweepRun.objects.create(run_id=report.run_id, dry_run=dry_run)
    held = held_subjects(today)
    budget = [max_batches]
    try:
        dropped = _months_drop(today, held, report, budget, progress)
        # Inactive rules archive nothing new, but what they archived is still destroyed on its day.
        for rule in RetentionRule.objects.all():
            if not _sweep_rule(rule, today, held, report, batch_size, budget, progress,
                               dropped=dropped.pop(rule.code, 0)):
                break
        else:
            for code, count in dropped.items():  # rows of a rule that has no row any more
                report.rules[code] = RuleReport(rule=code, expired=count, destroyed=count)
            _sweep_purposes(today, report, batch_size, budget)
            if not report.has_more:
                _sweep_records(today, report, batch_size, budget)
    except Exception as error:
        SweepRun.objects.filter(pk=run.pk).update(status=SweepRun.Status.FAILED, finished_at=timezone.now(),
                                                  error=f"{type(error).__name__}: {error}",
                                                  destroyed=report.destroyed, report=report.as_dict())
        raise
    SweepRun.objects.filter(pk=run.pk).update(
        status=SweepRun.Status.FINISHED, finished_at=timezone.now(), destroyed=report.destroyed, held=report.held,
        undecryptable=report.undecryptable, report=report.as_dict())
    return report


def _spend(budget: list[int | None]) -> bool:
    """Take one batch from the call's budget; False once it is spent."""
    if budget[0] is None:
        return True
    if budget[0] <= 0:
        return False
    budget[0] -= 1
    return True


def _sweep_rule(rule: RetentionRule, today: datetime.date, held: list[str], report: SweepReport, batch_size: int,
                budget: list[int | None], progress: Callable[[str, int, int], None] | None, *,
                dropped: int = 0) -> bool:
    rows = expired(rule.code, today)
    line = report.rules[rule.code] = RuleReport(rule=rule.code, expired=rows.count())
    line.held = rows.filter(subject_key__in=held).count() if held else 0
    broken = rows.exclude(subject_key__in=held).exclude(_openable())
    line.undecryptable_ids = list(broken.order_by("id").values_list("id", flat=True)[:50])
    line.undecryptable = broken.count()
    todo = line.expired - line.held - line.undecryptable
    if report.dry_run:
        line.destroyed = todo
        return True
    line.expired, line.destroyed, todo = line.expired + dropped, dropped, todo + dropped
    using = archive_alias()
    if line.destroyed >= todo:
        return True
    if is_partitioned(using, ArchiveTables().records):
        batches = shred.rule_batches(using, ArchiveTables(), rule=rule.code, category=rule.data_category,
                                     today=today, held=held, ring=_ring(), run_id=report.run_id, limit=batch_size,
                                     spend=lambda: _spend(budget))
        try:
            for count in batches:
                ledger_flush()
                line.destroyed += count
                if progress:
                    progress(rule.code, line.destroyed, todo)
                if line.destroyed >= todo:
                    batches.close()
        except shred.BudgetSpent:
            report.has_more = True
            return False
        return True
    after_id = 0
    while line.destroyed < todo:
        if not _spend(budget):
            report.has_more = True
            return False
        count, last_id = _destroy_batch(rule, today, held, report.run_id, batch_size, after_id)
        ledger_flush()
        line.destroyed += count
        if progress:
            progress(rule.code, line.destroyed, todo)
        if last_id is None:  # the rest is gone or claimed by another worker
            break
        after_id = last_id
    return True


def _sweep_purposes(today: datetime.date, report: SweepReport, batch_size: int, budget: list[int | None]) -> None:
    held_members = list(_holds(today).values_list("member_id", flat=True))
    for rule in PURPOSE_RULES:
        if report.dry_run:
            candidates = purpose_candidates(rule, today).exclude(member_id__in=held_members).count()
            report.rules[rule.ledger_rule] = RuleReport(rule=rule.ledger_rule, expired=candidates,
                                                        destroyed=candidates)
            continue
        result, more = purpose_rule_apply(rule, run_id=report.run_id, batch_size=batch_size, max_batches=budget[0],
                                          held_members=held_members)
        if budget[0] is not None:
            budget[0] -= result.batches
        report.rules[rule.ledger_rule] = RuleReport(rule=rule.ledger_rule, destroyed=result.destroyed,
                                                    undecryptable=result.undecryptable,
                                                    undecryptable_ids=result.undecryptable_ids[:50])
        if more:
            report.has_more = True
            return


def _sweep_records(today: datetime.date, report: SweepReport, batch_size: int, budget: list[int | None]) -> None:
    held_members = list(_holds(today).values_list("member_id", flat=True).distinct())
    for rule in RECORD_RULES:
        if report.dry_run:
            measured = record_rule_measure(rule, today, held_members=held_members, batch_size=batch_size)
            report.rules[rule.ledger_rule] = RuleReport(rule=rule.ledger_rule, expired=measured.expired,
                                                        destroyed=measured.destroyed, held=measured.held)
            continue
        result, more = record_rule_apply(rule, run_id=report.run_id, held_members=held_members,
                                         batch_size=batch_size, max_batches=budget[0])
        if budget[0] is not None:
            budget[0] -= result.batches
        report.rules[rule.ledger_rule] = RuleReport(rule=rule.ledger_rule, expired=result.expired,
                                                    destroyed=result.destroyed, held=result.held)
        if more:
            report.has_more = True
            return
