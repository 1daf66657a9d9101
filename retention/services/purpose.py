"""Purpose achieved for members who stay (policy §2): the declared rules of retention.purposes, applied in
bounded batches; each batch one transaction with its ledger rows. A row that cannot be decrypted is
skipped and reported, never half-destroyed."""

import datetime
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from members.encryption import Undecryptable, seal_field_of
from members.registry import registry
from retention.models import DestructionEvent, DestructionLog, DestructionMethod, PurposeErasure
from retention.purposes import PurposeRule


@dataclass
class PurposeReport:
    rule: str
    destroyed: int = 0
    batches: int = 0
    undecryptable_ids: list[int] = field(default_factory=list)

    @property
    def undecryptable(self) -> int:
        return len(self.undecryptable_ids)


def purpose_candidates(rule: PurposeRule, today: datetime.date) -> QuerySet:
    rows = rule.model.objects.filter(rule.ended(today))
    if rule.method == DestructionMethod.ERASE:
        rows = rows.exclude(Exists(PurposeErasure.objects.filter(rule=rule.code, source=rule.model._meta.label,
                                                                  source_id=OuterRef("pk"))))
    return rows


def _read(rule: PurposeRule, ids: list[int]) -> dict[int, dict[str, object] | None]:
    """The rule's fields of each row, decrypted (None for a row holding a value that cannot be)."""
    model = rule.model
    seal = seal_field_of(model)
    rows: dict[int, dict[str, object] | None] = {}
    for record in model._base_manager.filter(pk__in=ids).only(*rule.fields, *([seal.name] if seal else [])):
        values = {name: getattr(record, name) for name in rule.fields}
        rows[record.pk] = None if any(isinstance(value, Undecryptable) for value in values.values()) else values
    return rows


def _batch(rule: PurposeRule, today: datetime.date, run_id: uuid.UUID, batch_size: int, skip: list[int],
           held_members: list[int], report: PurposeReport) -> int:
    label = rule.model._meta.label
    with transaction.atomic():
        ids = list(purpose_candidates(rule, today).exclude(pk__in=skip).exclude(member_id__in=held_members)
                   .order_by("pk")
                   .select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return 0
        rows = _read(rule, ids)
        broken = [pk for pk, values in rows.items() if values is None]
        report.undecryptable_ids += broken
        skip += broken
        readable = [pk for pk, values in rows.items() if values is not None]
        holding = [pk for pk in readable if any(value not in (None, "") for value in rows[pk].values())]
        now = timezone.now()
        if rule.method == DestructionMethod.ERASE:
            erased = {name: None if rule.model._meta.get_field(name).null else "" for name in rule.fields}
            rule.model.objects.filter(pk__in=holding).update(**erased)
            PurposeErasure.objects.bulk_create([PurposeErasure(rule=rule.code, source=label, source_id=pk,
                                                               erased_at=now, run_id=run_id) for pk in readable])
        else:
            rule.model.objects.filter(pk__in=readable).delete()
            holding = readable
        if holding:
            category = registry.get(rule.model, rule.fields[0]).category
            DestructionLog.objects.create(occurred_at=now, event=DestructionEvent.PURPOSE_ENDED,
                                          rule=rule.ledger_rule, category=category, source=label,
                                          count=len(holding), method=rule.method, run_id=run_id)
        report.destroyed += len(holding)
    return len(ids)


def purpose_rule_apply(rule: PurposeRule, *, run_id: uuid.UUID, batch_size: int = 1000,
                       max_batches: int | None = None, held_members: list[int] = ()) -> tuple[PurposeReport, bool]:
    """Destroy what the rule says has no purpose left (members under a legal hold excepted); returns the
    report and whether work is left."""
    today = timezone.localdate()
    report = PurposeReport(rule=rule.code)
    skip: list[int] = []
    while max_batches is None or report.batches < max_batches:
        report.batches += 1
        if _batch(rule, today, run_id, batch_size, skip, list(held_members), report) < batch_size:
            return report, False
    return report, True
