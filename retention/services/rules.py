"""Retention rules: created and changed with their history (policy §2)."""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from members.registry import Retention, registry
from retention.models import PeriodUnit, RecordDeferral, RetentionRule, RetentionRuleChange, Trigger
from retention.partitions import ArchiveTables, months_ensure
from retention.policy import POLICY_RULES
from retention.routers import archive_alias

EDITABLE = ("data_category", "legal_basis", "period_amount", "period_unit", "trigger", "active")
# A fixed day on which two periods are compared (months and years have no fixed length in days).
_REFERENCE = datetime.date(2000, 1, 31)


def _snapshot(rule: RetentionRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in ("code", *EDITABLE)}


def _validate(rule: RetentionRule, fields: Iterable[str] | None) -> None:
    """Every problem at once, each naming its field and the rule it breaks."""
    errors: dict[str, list] = {}
    if rule.code not in Retention.values:
        errors["code"] = [_("Code: %(value)s is not one of the policy's retention codes (%(codes)s).")
                          % {"value": rule.code, "codes": ", ".join(Retention.values)}]
    if not isinstance(rule.period_amount, int) or isinstance(rule.period_amount, bool):
        errors["period_amount"] = [_("Retention period: enter a whole number.")]
    elif rule.period_amount <= 0:
        errors["period_amount"] = [_("Retention period: must be more than zero (got %(value)s).")
                                   % {"value": rule.period_amount}]
    if rule.period_unit not in PeriodUnit.values:
        errors["period_unit"] = [_("Period unit: %(value)s is not one of days, months or years.")
                                 % {"value": rule.period_unit}]
    if rule.trigger not in Trigger.values:
        errors["trigger"] = [_("Trigger event: %(value)s is not an event the system records (%(events)s).")
                             % {"value": rule.trigger, "events": ", ".join(Trigger.values)}]
    for name in ("data_category", "legal_basis"):
        if not str(getattr(rule, name) or "").strip():
            label = RetentionRule._meta.get_field(name).verbose_name
            errors[name] = [_("%(field)s: this field is required.") % {"field": str(label).capitalize()}]
    if fields is not None:
        declared = {item.label for item in registry if rule.code in item.retention}
        unknown = sorted(set(fields) - declared)
        if unknown:
            errors["fields"] = [_("Fields: %(fields)s are not personal fields the declaration keeps under this rule.")
                                % {"fields": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)


def _is_shorter(rule: RetentionRule, before: dict[str, Any]) -> bool:
    old = RetentionRule(period_amount=before["period_amount"], period_unit=before["period_unit"])
    return rule.destroy_after(_REFERENCE) < old.destroy_after(_REFERENCE)


@transaction.atomic
def retention_rule_create(*, code: str, data_category: str, legal_basis: str, period_amount: int,
                          period_unit: str, trigger: str, active: bool = True, actor: Member | None = None,
                          fields: Iterable[str] | None = None) -> RetentionRule:
    """Create a rule. `fields`, when given, is checked against the declaration (it never stores them: the
    declaration is the one list of what a rule keeps)."""
    rule = RetentionRule(code=code, data_category=data_category, legal_basis=legal_basis,
                         period_amount=period_amount, period_unit=period_unit, trigger=trigger, active=active,
                         approved_by=actor)
    _validate(rule, fields)
    if RetentionRule.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("Code: a rule for %(code)s exists already.") % {"code": code}]})
    rule.full_clean()
    rule.save()
    RetentionRuleChange.objects.create(rule=rule, changed_by=actor, before=None, after=_snapshot(rule),
                                       reason=_("created"))
    return rule


def retention_rule_check(*, rule: RetentionRule, reason: str = "", **changes: Any) -> RetentionRule:
    """Apply the changes to `rule` in memory and raise every rule they break (nothing is saved): the admin's
    form asks this before it saves through retention_rule_update."""
    before = _snapshot(rule)
    for name, value in changes.items():
        setattr(rule, name, value)
    _validate(rule, None)
    if _is_shorter(rule, before) and not (reason or "").strip():
        raise ValidationError({"reason": [_("Reason: shortening a retention period needs a written reason.")]})
    return rule


@transaction.atomic
def retention_rule_update(*, rule: RetentionRule, actor: Member, reason: str = "", **changes: Any) -> RetentionRule:
    """Change a rule; the change is recorded (who, when, before, after). Shortening a period needs a written
    reason, because data would be destroyed earlier than the policy promised to keep it."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("%(field)s: this field cannot be changed.") % {"field": name}]
                               for name in sorted(unknown)})
    rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
    before = _snapshot(rule)
    retention_rule_check(rule=rule, reason=reason, **changes)
    after = _snapshot(rule)
    if after == before:
        return rule
    rule.approved_by = actor
    rule.full_clean()
    rule.save()
    if (after["period_amount"], after["period_unit"]) != (before["period_amount"], before["period_unit"]):
        after["rescheduled_archived_records"] = _reschedule(rule)
        # What the record rules deferred until the archive's old dates is checked again at the next sweep.
        RecordDeferral.objects.all().delete()
    RetentionRuleChange.objects.create(rule=rule, changed_by=actor, changed_at=timezone.now(), before=before,
                                       after=after, reason=reason.strip())
    return rule


def _reschedule(rule: RetentionRule) -> int:
    """A changed period applies to what the rule already keeps: destroy_after = trigger date + new period,
    for each record and its data key alike (on PostgreSQL they move to the partitions of their new month)."""
    using = archive_alias()
    connection = connections[using]
    tables = ArchiveTables()
    records, keys = (connection.ops.quote_name(name) for name in tables.partitioned)
    if connection.vendor == "postgresql":
        shifted = f"(trigger_date + make_interval({rule.period_unit} => %s))::date"
        params = [rule.period_amount, rule.code]
    else:
        shifted = "date(trigger_date, %s)"
        params = [f"+{rule.period_amount} {rule.period_unit}", rule.code]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT {shifted} FROM {records} WHERE rule = %s", params)
        months_ensure(using, {_as_date(row[0]) for row in cursor.fetchall()})
        cursor.execute(f"UPDATE {keys} SET destroy_after = r.new FROM (SELECT archive_key, destroy_after AS old, "
                       f"{shifted} AS new FROM {records} WHERE rule = %s) r "
                       f"WHERE {keys}.archive_key = r.archive_key AND {keys}.destroy_after = r.old", params)
        cursor.execute(f"UPDATE {records} SET destroy_after = {shifted} WHERE rule = %s", params)
        return cursor.rowcount


def _as_date(value: datetime.date | str) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


@transaction.atomic
def retention_rules_load() -> int:
    """Load the five rows of policy §2 (idempotent: rules that exist, perhaps changed by the officer, are kept).
    Returns how many rules were created."""
    created = 0
    for row in POLICY_RULES:
        if not RetentionRule.objects.filter(code=row["code"]).exists():
            retention_rule_create(**row)
            created += 1
    return created
