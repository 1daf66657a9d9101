"""Every write to the disclosures registries and ledgers, and the rules they obey (policy §5, §6, §7;
PIPA §17, §26, §36-37)."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pgtrigger
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consents.selectors import latest_records
from disclosures import bases, files
from disclosures.items import ITEMS, items_for_field
from disclosures.models import (
    Basis,
    CorrectionNotice,
    ProcessingRestriction,
    Processor,
    Provision,
    ProvisionBatch,
    Recipient,
    RegistryChange,
    Source,
)
from members.bulk import row_clean
from members.masking import MASKS, SECRET
from members.models import Member
from members.registry import registry

REGISTRIES = (Recipient, Processor, Source)


def _snapshot(entry: models.Model) -> dict[str, Any]:
    """The entry's stored values as JSON (foreign keys by id), for the change record."""
    values = {field.attname: getattr(entry, field.attname) for field in entry._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


@transaction.atomic
def registry_entry_save(*, entry: Recipient | Processor | Source, actor: Member | None,
                        action: str | None = None) -> Recipient | Processor | Source:
    """Save a recipient, processor or source and record who changed what, when, before and after. Any change
    makes the published policy outdated until a new version is published (selectors.policy_outdated)."""
    if not isinstance(entry, REGISTRIES):
        raise TypeError(f"not a disclosures registry: {type(entry).__name__}")
    entry.full_clean()
    before = None
    if entry.pk is not None:
        stored = type(entry).objects.select_for_update().filter(pk=entry.pk).first()
        before = _snapshot(stored) if stored else None
    entry.save()
    after = _snapshot(entry)
    if before == after:
        return entry
    RegistryChange.objects.create(
        registry=entry._meta.model_name, object_id=entry.pk, object_repr=str(entry)[:200],
        action=action or (RegistryChange.Action.CHANGE if before else RegistryChange.Action.ADD),
        actor=actor, before=before, after=after)
    return entry


@transaction.atomic
def restriction_open(*, member: Member, kind: str, reason: str = "", actor: Member | None = None
                     ) -> ProcessingRestriction:
    """Policy §7: from a correction (or processing-stop) request until it is closed, the member's data is not
    provided to anyone."""
    restriction = ProcessingRestriction(member=member, kind=kind, reason=reason.strip(), opened_by=actor)
    row_clean(restriction)  # the member and the actor are the caller's saved rows; no lookup of either
    restriction.save()
    return restriction


@transaction.atomic
def restriction_close(*, restriction: ProcessingRestriction, actor: Member | None = None) -> ProcessingRestriction:
    restriction = ProcessingRestriction.objects.select_for_update().get(pk=restriction.pk)
    if restriction.closed_at is not None:
        raise ValidationError({"closed_at": _("Closed at: this request is already closed.")})
    restriction.closed_at, restriction.closed_by = timezone.now(), actor
    restriction.save(update_fields=["closed_at", "closed_by"])
    return restriction


class ProvisionRefused(ValidationError):
    """A provision refused for some members: nothing was provided; `refusals` maps member id to reasons."""

    def __init__(self, refusals: Mapping[int, list[str]]) -> None:
        self.refusals = {member_id: list(reasons) for member_id, reasons in refusals.items()}
        super().__init__([_("Member #%(member)s: %(reasons)s.") % {"member": member_id, "reasons": "; ".join(reasons)}
                          for member_id, reasons in self.refusals.items()])


def _member_ids(members: Iterable[Member | int]) -> list[int]:
    ids = [member.pk if isinstance(member, Member) else int(member) for member in members]
    return list(dict.fromkeys(ids))


def _batch_errors(recipient: Recipient, terms: Recipient, items: list[str], basis: str, purpose: str,
                  member_ids: list[int]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if recipient.is_group:
        errors["recipient"] = [_("Recipient: %(name)s is a group; provide to one of its partner companies.")
                               % {"name": recipient.name}]
    elif not recipient.is_active() or (terms is not recipient and not terms.is_active()):
        errors["recipient"] = [_("Recipient: %(name)s is not active today.") % {"name": recipient.name}]
    unknown = [code for code in items if code not in ITEMS]
    not_listed = [code for code in items if code in ITEMS and code not in terms.item_codes]
    if not items:
        errors["items"] = [_("Items: choose at least one item to provide.")]
    elif unknown:
        errors["items"] = [_("Items: unknown item %(codes)s.") % {"codes": ", ".join(unknown)}]
    elif not_listed:
        errors["items"] = [_("Items: %(codes)s are not items this recipient receives under the policy.")
                           % {"codes": ", ".join(not_listed)}]
    if basis == Basis.CONSENT and not terms.consent_item_id:
        errors["basis"] = [_("Basis: no consent item allows provision to this recipient.")]
    elif basis == Basis.STATUTE and not terms.statute_rule:
        errors["basis"] = [_("Basis: no statute the system can check covers provision to this recipient.")]
    elif basis not in Basis.values:
        errors["basis"] = [_("Basis: choose consent or statute.")]
    if not purpose.strip():
        errors["purpose"] = [_("Purpose: say why the data is provided.")]
    if not member_ids:
        errors["members"] = [_("Members: choose at least one member.")]
    return errors


@transaction.atomic
def provision_record(*, recipient: Recipient, members: Iterable[Member | int], items: Iterable[str], basis: str,
                     actor: Member, purpose: str) -> ProvisionBatch:
    """Record one provision to a third party: the only way members' data leaves the system (PIPA §17).

    Refused for every member whose consent to the recipient is not active, whom the statute does not cover,
    who has withdrawn, or who has an open correction or processing-stop request (policy §7). One refused
    member refuses the whole batch: nothing is written and every refused member is named with the reason.
    A fixed number of queries whatever the number of members.
    """
    items = list(dict.fromkeys(items))
    member_ids = _member_ids(members)
    terms = recipient.terms
    errors = _batch_errors(recipient, terms, items, basis, purpose, member_ids)
    if errors:
        raise ValidationError(errors)
    refusals: dict[int, list[str]] = {member_id: [] for member_id in member_ids}
    # Locks the members, so a consent withdrawn at this moment waits for the provision or is seen by it.
    statuses = dict(Member.objects.select_for_update(of=("self",)).filter(pk__in=member_ids)
                    .values_list("pk", "status"))
    for member_id in member_ids:
        if member_id not in statuses:
            refusals[member_id].append(_("no such member"))
        elif statuses[member_id] == Member.Status.WITHDRAWN:
            refusals[member_id].append(_("the member has withdrawn"))
    open_requests = ProcessingRestriction.objects.filter(member_id__in=member_ids, closed_at__isnull=True)
    for member_id, kind in open_requests.values_list("member_id", "kind").distinct():
        refusals[member_id].append(_("a %(request)s is open (policy §7)")
                                   % {"request": ProcessingRestriction.Kind(kind).label})
    consent_records: dict[int, int] = {}
    if basis == Basis.CONSENT:
        code = terms.consent_item.code
        for record in latest_records(member_ids, codes=[code]):
            if record.granted:
                consent_records[record.member_id] = record.pk
        for member_id in member_ids:
            if member_id not in consent_records:
                refusals[member_id].append(_("no active consent to provision to %(recipient)s")
                                           % {"recipient": terms.name})
        basis_text = terms.consent_item.title_ko
    else:
        for member_id, reason in bases.statute_refusals(terms.statute_rule, member_ids).items():
            refusals[member_id].append(reason)
        basis_text = terms.statute
    refused = {member_id: reasons for member_id, reasons in refusals.items() if reasons}
    if refused:
        raise ProvisionRefused(refused)
    now = timezone.now()
    batch = ProvisionBatch.objects.create(recipient=recipient, items=items, basis=basis, basis_text=basis_text[:300],
                                          purpose=purpose.strip(), actor=actor, provided_at=now,
                                          member_count=len(member_ids))
    Provision.objects.bulk_create([
        Provision(batch=batch, member_id=member_id, recipient=recipient, items=items, basis=basis,
                  consent_record_id=consent_records.get(member_id), purpose=batch.purpose, provided_at=now,
                  actor=actor)
        for member_id in member_ids
    ])
    return batch


def provisions_purge(*, provision_ids: Iterable[int]) -> dict[str, int]:
    """The one path that deletes provision ledger rows: the retention sweep, once the recipient's retention
    period has passed (the rule is retention.records). The database trigger refuses any other DELETE. The
    batch rows stay: they name the recipient, items and purpose, not the member. Returns the rows deleted by
    record type (model label)."""
    with transaction.atomic(), pgtrigger.ignore("disclosures.Provision:append_only"):
        _total, by_model = Provision.objects.filter(pk__in=list(provision_ids)).delete()
    return {Provision._meta.label: by_model.get(Provision._meta.label, 0)}


def correction_notices_create(*, member: Member, fields: Mapping[str, Any]) -> list[CorrectionNotice]:
    """Policy §7: for each recipient that received an item whose value was just corrected, a notice to send.
    Every recipient that ever received the item holds the old value, because each earlier correction was
    sent to it as well. Only the old value's mask is kept; the new value is read when the notice is sent."""
    corrected_items = {code: field for field in fields for code in items_for_field(field)}
    if not corrected_items:
        return []
    received: dict[int, set[str]] = {}
    for recipient_id, provided in (Provision.objects.filter(member=member)
                                   .values_list("recipient_id", "items").distinct()):
        received.setdefault(recipient_id, set()).update(code for code in provided if code in corrected_items)
    notices = []
    now = timezone.now()
    for recipient_id, codes in received.items():
        if not codes:
            continue
        ordered = [code for code in corrected_items if code in codes]
        notices.append(CorrectionNotice(
            recipient_id=recipient_id, member=member, items=ordered, created_at=now,
            old_values_masked={code: _masked(corrected_items[code], fields[corrected_items[code]])
                               for code in ordered}))
    return CorrectionNotice.objects.bulk_create(notices)


def _masked(field: str, value: Any) -> str:
    declared = registry.get(Member, field)
    return MASKS[declared.mask](value) if declared and isinstance(declared.mask, str) else SECRET


@transaction.atomic
def correction_notices_mark_sent(*, notices: Iterable[CorrectionNotice], actor: Member) -> int:
    """Record that these notices went to their recipient; a notice already sent is not sent again."""
    ids = [notice.pk for notice in notices]
    return CorrectionNotice.objects.filter(pk__in=ids, sent_at__isnull=True).update(sent_at=timezone.now(),
                                                                                     sent_by=actor)


@transaction.atomic
def provision_export(*, recipient: Recipient, members: Iterable[Member | int], items: Iterable[str], basis: str,
                     actor: Member, purpose: str) -> tuple[ProvisionBatch, bytes]:
    """Record a provision and produce its file in the same transaction: the file holds exactly the members
    and items the ledger records (CSV, UTF-8 with BOM)."""
    member_ids = _member_ids(members)
    batch = provision_record(recipient=recipient, members=member_ids, items=items, basis=basis, actor=actor,
                             purpose=purpose)
    return batch, files.provision_csv(batch, member_ids)


@transaction.atomic
def correction_notices_send(*, recipient: Recipient, actor: Member) -> tuple[list[CorrectionNotice], bytes]:
    """Produce the file of every unsent correction notice to one recipient and record them as sent (policy §7:
    recipients of wrong data are notified without delay). The new values are read now."""
    notices = list(CorrectionNotice.objects.select_for_update().filter(recipient=recipient, sent_at__isnull=True)
                   .order_by("created_at", "pk"))
    if not notices:
        raise ValidationError(_("%(recipient)s: there is no correction notice to send.") % {"recipient": recipient})
    content = files.correction_csv(notices)
    correction_notices_mark_sent(notices=notices, actor=actor)
    return notices, content
