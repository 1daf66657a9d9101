"""Reads for the admin and the member's pages: the withdrawal preview, what is due soon, the last sweep."""

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from members.models import Member
from members.registry import registry
from retention.models import ArchivedRecord, LegalHold, RetentionRule, SweepRun
from retention.records import RECORD_RULES, RecordRule
from retention.services.archive import archive_plan
from retention.services.records import record_rule_measure


@dataclass
class KeptItem:
    rule: RetentionRule
    fields: list[str]
    destroy_after: datetime.date


@dataclass
class WithdrawalPreview:
    kept: list[KeptItem]
    destroyed_now: list[str]


def withdrawal_preview(member: Member) -> WithdrawalPreview:
    """What a withdrawal would keep apart (per rule, which fields, until when) and destroy at once; the same
    plan member_withdraw carries out, read without changing anything."""
    kept: dict[tuple[int, datetime.date], KeptItem] = {}
    kept_labels = set()
    for item in archive_plan(member, at=timezone.now()):
        labels = [str(registry.get(type(item.source), name).export_label) for name in item.fields]
        entry = kept.setdefault((item.rule.pk, item.destroy_after), KeptItem(item.rule, [], item.destroy_after))
        entry.fields += [label for label in labels if label not in entry.fields]
        kept_labels.update(labels)
    everything = []
    for declared in registry:
        if declared.model._meta.app_label == "members" and declared.exported:
            label = str(declared.export_label)
            if label not in everything:
                everything.append(label)
    return WithdrawalPreview(kept=sorted(kept.values(), key=lambda k: (k.destroy_after, k.rule.code)),
                             destroyed_now=[label for label in everything if label not in kept_labels])


def due_within(days: int = 30) -> dict[str, int]:
    """Archived records to be destroyed in the next `days` days, by rule code."""
    today = timezone.localdate()
    rows = (ArchivedRecord.objects.filter(destroy_after__lt=today + datetime.timedelta(days=days))
            .values("rule").annotate(count=Count("id")).order_by())
    return {row["rule"]: row["count"] for row in rows}


def record_rules_due(days: int = 30) -> list[tuple[RecordRule, int]]:
    """Each record rule (retention.records) with the rows it will destroy in the next `days` days, members
    under a legal hold today left out."""
    today = timezone.localdate()
    held = list(LegalHold.objects.filter(released_at__isnull=True, until__gte=today)
                .values_list("member_id", flat=True).distinct())
    on = today + datetime.timedelta(days=days)
    return [(rule, record_rule_measure(rule, on, held_members=held).destroyed) for rule in RECORD_RULES]


def last_sweep() -> SweepRun | None:
    return SweepRun.objects.filter(dry_run=False).order_by("-started_at").first()
