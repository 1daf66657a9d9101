"""Records whose keeping period ended (retention.records), destroyed by the sweep: bounded batches, each one
transaction holding the owning app's purge and its destruction-ledger rows; rows claimed with SELECT ... FOR
UPDATE SKIP LOCKED so two sweeps never count the same row; members under a legal hold skipped and reported."""

import datetime
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from retention.models import DestructionEvent, DestructionLog, RecordDeferral
from retention.records import RecordRule


@dataclass
class RecordReport:
    rule: str
    expired: int = 0
    destroyed: int = 0
    held: int = 0
    batches: int = 0


def _keys(rule: RecordRule, on: datetime.date, held_members: list[int]) -> QuerySet:
    deferred = RecordDeferral.objects.filter(rule=rule.code, key=OuterRef("pk"), recheck_on__gt=on)
    return rule.due(on).exclude(rule.held(held_members)).exclude(Exists(deferred)).order_by("pk")


def _defer(rule: RecordRule, today: datetime.date, kept: dict[int, datetime.date | None], purged: list[int]) -> None:
    """Remember until when each kept key stays kept (at least until tomorrow: a row the sweep could not
    destroy, undecryptable, is not read again the same day); forget the keys purged."""
    tomorrow = today + datetime.timedelta(days=1)
    RecordDeferral.objects.filter(rule=rule.code, key__in=purged).delete()
    RecordDeferral.objects.bulk_create(
        [RecordDeferral(rule=rule.code, key=key, recheck_on=max(day, tomorrow)) for key, day in kept.items() if day],
        update_conflicts=True, unique_fields=["rule", "key"], update_fields=["recheck_on"])


def _counted(rule: RecordRule, keys: list[int]) -> int:
    return sum(rule.count(keys).values()) if keys else 0


def record_rule_measure(rule: RecordRule, on: datetime.date, *, held_members: list[int],
                        batch_size: int = 1000) -> RecordReport:
    """What the rule would destroy on `on`, changing nothing: rows due, and of them those under a legal hold.
    Read in batches, so memory stays flat however many rows are due."""
    report = RecordReport(rule=rule.ledger_rule)
    if held_members:
        held_keys = list(rule.due(on).filter(rule.held(held_members)).values_list("pk", flat=True))
        report.held = _counted(rule, held_keys)
    after = 0
    while True:
        keys = list(_keys(rule, on, held_members).filter(pk__gt=after).values_list("pk", flat=True)[:batch_size])
        if not keys:
            break
        kept = rule.kept(keys, on, False)
        report.destroyed += _counted(rule, [key for key in keys if key not in kept])
        after = keys[-1]
    report.expired = report.destroyed + report.held
    return report


def _batch(rule: RecordRule, today: datetime.date, held_members: list[int], run_id: uuid.UUID, batch_size: int,
           after: int, report: RecordReport) -> int | None:
    """One batch in one transaction: claim, purge through the owning app, write the ledger rows. Returns the
    last key claimed, or None when nothing was left to claim."""
    with transaction.atomic():
        keys = list(_keys(rule, today, held_members).filter(pk__gt=after)
                    .select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:batch_size])
        if not keys:
            return None
        kept = rule.kept(keys, today, True)
        going = [key for key in keys if key not in kept]
        purged = rule.purge(going) if going else {}
        _defer(rule, today, kept, going)
        now = timezone.now()
        DestructionLog.objects.bulk_create([
            DestructionLog(occurred_at=now, event=DestructionEvent.SWEEP, rule=rule.ledger_rule,
                           category=rule.category, source=source, count=count, method=rule.method, run_id=run_id)
            for source, count in sorted(purged.items()) if count])
    report.destroyed += sum(purged.values())
    return keys[-1]


def record_rule_apply(rule: RecordRule, *, run_id: uuid.UUID, held_members: list[int], batch_size: int = 1000,
                      max_batches: int | None = None) -> tuple[RecordReport, bool]:
    """Destroy what the rule says is past its keeping period (members under a legal hold excepted); returns
    the report and whether work is left (`max_batches` spent)."""
    today = timezone.localdate()
    report = RecordReport(rule=rule.ledger_rule)
    if held_members:
        report.held = _counted(rule, list(rule.due(today).filter(rule.held(held_members))
                                          .values_list("pk", flat=True)))
    after, more = 0, True
    while more:
        if max_batches is not None and report.batches >= max_batches:
            # The budget is spent: work is left only if something is still due.
            more = _keys(rule, today, held_members).filter(pk__gt=after).exists()
            break
        last = _batch(rule, today, held_members, run_id, batch_size, after, report)
        if last is None:
            more = False
        else:
            report.batches += 1
            after = last
    report.expired = report.destroyed + report.held
    return report, more

