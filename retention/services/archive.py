"""Moving kept fields into the archive (분리 보관) and opening them again with a recorded reason."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from members.models import Complaint, Enrollment, Member, Payment, SensitiveIdentifier, SensitiveIdentifierCorrection
from members.registry import member_path
from retention import crypto
from retention.models import ArchiveDataKey, ArchivedRecord, RetentionRule, Trigger
from retention.partitions import months_ensure
from retention.routers import archive_alias

# Which enrolments a rule covers, and which identifiers it keeps (by the basis they were collected under).
COURSE_FLAG = {
    "employment_insurance_refund": "is_employment_insurance_refund",
    "disability_awareness": "is_disability_awareness",
}
IDENTIFIER_BASES = {"employment_insurance_refund": ["employment_insurance_refund"]}


@dataclass
class ArchiveItem:
    rule: RetentionRule
    source: models.Model
    values: dict[str, Any]
    trigger_date: datetime.date
    destroy_after: datetime.date
    fields: list[str] = field(default_factory=list)
    subject: str = ""  # the member's pseudonym in the archive (crypto.subject_key)

    @property
    def source_label(self) -> str:
        return self.source._meta.label


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


class MemberRecords:
    """The member's learning records, each read once however many rules (and the erasure) look at them;
    `prefetched` holds them when many members' records were read at once (MembersRecords)."""

    def __init__(self, member: Member, prefetched: dict[str, list] | None = None) -> None:
        self.member = member
        self._cache: dict[str, list] = dict(prefetched or {})

    def _get(self, name: str, query: Callable[[], models.QuerySet]) -> list:
        if name not in self._cache:
            self._cache[name] = list(query())
        return self._cache[name]

    def enrollments(self) -> list[Enrollment]:
        return self._get(Enrollment._meta.label,
                         lambda: Enrollment.objects.filter(member=self.member).select_related("course"))

    def payments(self) -> list[Payment]:
        return self._get(Payment._meta.label, lambda: Payment.objects.filter(enrollment__member=self.member))

    def complaints(self) -> list[Complaint]:
        return self._get(Complaint._meta.label, lambda: Complaint.objects.filter(member=self.member))

    def identifiers(self) -> list[SensitiveIdentifier]:
        return self._get(SensitiveIdentifier._meta.label,
                         lambda: SensitiveIdentifier.objects.filter(member=self.member))

    def rows(self, model: type[models.Model]) -> list:
        """Any other declared model's rows of the member (an identifier's corrections need identifiers)."""
        if model is SensitiveIdentifierCorrection and not self.identifiers():
            return []
        return self._get(model._meta.label, lambda: model.objects.filter(**{member_path(model): self.member}))

    def known_empty(self, model: type[models.Model]) -> bool:
        """Whether the model's rows were read and there are none (an erasure of them would change nothing)."""
        if model is SensitiveIdentifierCorrection and self._cache.get(SensitiveIdentifier._meta.label) == []:
            return True
        return self._cache.get(model._meta.label) == []

    def count(self, model: type[models.Model]) -> int:
        return len(self._cache.get(model._meta.label, []))


# What a withdrawal reads of each member, for many members at once (one query per model).
BATCH_READ = (Enrollment, Payment, Complaint, SensitiveIdentifier, SensitiveIdentifierCorrection)


def members_records(members: list[Member]) -> dict[int, MemberRecords]:
    """The records of many members, read with one query per model (BATCH_READ) instead of one per member."""
    ids = [member.pk for member in members]
    found: dict[int, dict[str, list]] = {pk: {model._meta.label: [] for model in BATCH_READ} for pk in ids}
    for model in BATCH_READ:
        if model is SensitiveIdentifierCorrection and not any(found[pk][SensitiveIdentifier._meta.label]
                                                               for pk in ids):
            continue  # corrections hang from identifiers: none held, none to read
        path = member_path(model)
        rows = model.objects.filter(**{f"{path}__in": ids}).annotate(owner_id=F(f"{path}_id"))
        if model is Enrollment:
            rows = rows.select_related("course")
        for row in rows:
            found[row.owner_id][model._meta.label].append(row)
    return {member.pk: MemberRecords(member, found[member.pk]) for member in members}


def trigger_events(rule: RetentionRule, records: MemberRecords,
                   at: datetime.datetime) -> list[tuple[Any, datetime.date]]:
    """The events this member's data is kept for under the rule, each with the date its period runs from."""
    if rule.trigger == Trigger.MEMBERSHIP_WITHDRAWAL:
        return [(None, _local_date(at))]
    if rule.trigger in (Trigger.ENROLMENT_END, Trigger.OFFER_WITHDRAWN):
        flag = COURSE_FLAG.get(rule.code)
        enrollments = [e for e in records.enrollments() if not flag or getattr(e.course, flag)]
        if rule.trigger == Trigger.OFFER_WITHDRAWN:
            enrollments = [e for e in enrollments if e.cancelled_at]
        # A withdrawn offer ends the contract on the day it was withdrawn.
        return [(e, _local_date(e.cancelled_at) if e.cancelled_at else e.ended_on) for e in enrollments]
    if rule.trigger == Trigger.PAYMENT:
        return [(p, _local_date(p.refunded_at or p.paid_at)) for p in records.payments()]
    # An open complaint is closed by the withdrawal itself.
    return [(c, _local_date(c.closed_at or at)) for c in records.complaints()]


def _serialise(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _values(record: models.Model, names: list[str]) -> dict[str, Any]:
    return {name: _serialise(getattr(record, name)) for name in names if getattr(record, name) not in (None, "")}


def archive_plan(member: Member, *, at: datetime.datetime, records: MemberRecords | None = None,
                 rules: list[RetentionRule] | None = None) -> list[ArchiveItem]:
    """For each active rule that applies to the member, the kept fields of each record, with the day after
    which they are destroyed (trigger date + period). Periods already over keep nothing."""
    today = _local_date(at)
    items = []
    records = records or MemberRecords(member)
    subject = crypto.subject_key(member.pk)
    for rule in (RetentionRule.objects.filter(active=True) if rules is None else rules):
        events = trigger_events(rule, records, at)
        if not events:
            continue
        latest = max(day for _record, day in events)
        by_model: dict[type[models.Model], list[str]] = {}
        for item in rule.kept_fields():
            by_model.setdefault(item.model, []).append(item.name)
        for model, names in by_model.items():
            if model is Member:
                sources = [(member, latest)]
            elif model is SensitiveIdentifier:
                bases = IDENTIFIER_BASES.get(rule.code, [])
                sources = [(identifier, latest) for identifier in records.identifiers()
                           if identifier.legal_basis in bases]
            elif any(isinstance(record, model) for record, _day in events):
                sources = [(record, day) for record, day in events if isinstance(record, model)]
            else:
                sources = [(record, latest) for record in records.rows(model)]
            for record, day in sources:
                destroy_after = rule.destroy_after(day)
                values = _values(record, names)
                if destroy_after > today and values:
                    items.append(ArchiveItem(rule=rule, source=record, values=values, trigger_date=day,
                                             destroy_after=destroy_after, fields=sorted(values), subject=subject))
    return items


def archive_write(items: list[ArchiveItem], *, at: datetime.datetime) -> int:
    """Write the items to the archive database in one transaction; a record archived before (a retried
    withdrawal) is left as it is, so a retry never duplicates. Returns how many records are new."""
    using = archive_alias()
    keyed = {crypto.archive_key(item.rule.code, item.subject, item.source_label, item.source.pk): item
             for item in items}
    if not keyed:
        return 0
    wrapped_by = crypto.key_ring_ids()[0].hex()
    months_ensure(using, {item.destroy_after for item in keyed.values()})
    with transaction.atomic(using=using, savepoint=False):
        done = set(ArchivedRecord.objects.using(using).filter(archive_key__in=list(keyed))
                   .values_list("archive_key", flat=True))
        keys, records = [], []
        for key, item in keyed.items():
            if key in done:
                continue
            ciphertext, wrapped = crypto.seal(item.values, context=key)
            keys.append(ArchiveDataKey(archive_key=key, wrapped=wrapped, wrapped_by=wrapped_by, created_at=at,
                                       destroy_after=item.destroy_after))
            records.append(ArchivedRecord(
                archive_key=key, rule=item.rule.code, category=item.rule.data_category, subject_key=item.subject,
                source=item.source_label, fields=item.fields, payload=ciphertext, trigger_date=item.trigger_date,
                archived_at=at, destroy_after=item.destroy_after))
        # A concurrent retry of the same withdrawal may have written them meanwhile: the unique archive
        # key turns that into an error here, and the caller's retry then finds them done.
        ArchiveDataKey.objects.using(using).bulk_create(keys)
        ArchivedRecord.objects.using(using).bulk_create(records)
    return len(records)


def archived_payload(record: ArchivedRecord) -> dict[str, Any]:
    """The kept fields of one archived record; raises crypto.UndecryptableError once its key is destroyed."""
    wrapped = (ArchiveDataKey.objects.using(archive_alias())
               .filter(archive_key=record.archive_key, destroy_after=record.destroy_after)
               .values_list("wrapped", flat=True).first())
    return crypto.open_sealed(record.payload, wrapped, context=record.archive_key)


def archive_data_keys_rewrap(*, batch_size: int = 500) -> tuple[int, int]:
    """Key rotation (`manage.py rotate_keys`): every data key wrapped by an old field key is wrapped again by
    FIELD_ENCRYPTION_KEY, in bounded batches each committed on its own, so the old key can be removed without
    losing the archive. A key that no key of the ring opens is left as it is (the sweep reports it).
    Returns (keys seen, keys re-wrapped)."""
    using = archive_alias()
    current = crypto.key_ring_ids()[0].hex()
    seen = rewrapped = after = 0
    while True:
        with transaction.atomic(using=using):
            batch = list(ArchiveDataKey.objects.using(using).filter(pk__gt=after).exclude(wrapped_by=current)
                         .order_by("pk").select_for_update(skip_locked=True)[:batch_size])
            if not batch:
                return seen, rewrapped
            changed = []
            for data_key in batch:
                try:
                    opened = crypto.unwrap_data_key(data_key.wrapped)
                except crypto.UndecryptableError:
                    continue
                data_key.wrapped, data_key.wrapped_by = crypto.wrap_data_key(opened), current
                changed.append(data_key)
            ArchiveDataKey.objects.using(using).bulk_update(changed, ["wrapped", "wrapped_by"])
        seen, rewrapped, after = seen + len(batch), rewrapped + len(changed), batch[-1].pk
