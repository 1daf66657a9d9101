"""Membership withdrawal (회원탈퇴, policy §8; PIPA §21): keep what a law keeps, apart; destroy the rest at once."""

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.encryption import BlindIndexField
from members.hooks import member_withdrawing, members_withdrawing
from members.models import Member, SensitiveIdentifier, SensitiveIdentifierBasis, SensitiveIdentifierCorrection
from members.registry import member_path, registry
from members.services import member_sessions_end
from members.staff_access import staff_access_end_for_withdrawal
from retention.models import DestructionEvent, DestructionLog, DestructionMethod, RetentionRule
from retention.services.archive import MemberRecords, archive_plan, archive_write, members_records


@dataclass
class WithdrawalResult:
    member: Member
    done: bool
    message: str
    archived: int = 0
    destroyed: dict[str, int] = field(default_factory=dict)


def _erased_value(model_field: models.Field) -> object:
    return None if model_field.null else ""


def _ids(members: list[Member]) -> list[int]:
    return [member.pk for member in members]


def _identifiers_delete(members: list[Member], records: dict[int, MemberRecords], ledger: Counter) -> None:
    """Delete the members' 고유식별정보 with what hangs from them (bases, corrections): one DELETE each, none
    when no member holds an identifier."""
    if not any(records[member.pk].identifiers() for member in members):
        return
    using = router.db_for_write(SensitiveIdentifier)
    for dependent in (SensitiveIdentifierBasis, SensitiveIdentifierCorrection):
        dependent.objects.filter(identifier__member__in=_ids(members))._raw_delete(using)
    count = SensitiveIdentifier.objects.filter(member__in=_ids(members))._raw_delete(using)
    if count:
        ledger[(SensitiveIdentifier._meta.label, "unique_identifier", DestructionMethod.DELETE)] += count


def _erase_related(members: list[Member], records: dict[int, MemberRecords], ledger: Counter) -> None:
    """Erase the declared personal fields of the members' learning records (enrolments, complaints, ...);
    the rows stay, since their non-personal facts are the contract and payment records a law keeps. A model
    whose rows were read and found empty is not updated."""
    for model in {item.model for item in registry}:
        if model in (Member, SensitiveIdentifier) or model._meta.app_label != "members":
            continue
        if all(records[member.pk].known_empty(model) for member in members):
            continue
        declared = registry.for_model(model)
        count = model.objects.filter(**{f"{member_path(model)}__in": _ids(members)}).update(
            **{item.name: _erased_value(model._meta.get_field(item.name)) for item in declared})
        if not count:
            continue
        for category in {item.category for item in declared}:
            ledger[(model._meta.label, category, DestructionMethod.ERASE)] += count


def _erase_members(members: list[Member], ledger: Counter, at: datetime.datetime, actor: Member | None,
                   reason: str) -> None:
    staff_access_end_for_withdrawal(members=members, actor=actor, reason=reason)
    declared = registry.for_model(Member)
    values = {item.name: _erased_value(Member._meta.get_field(item.name)) for item in declared}
    values["password"] = make_password(None)  # unusable: "!" and random characters, never a hash of anything
    values.update({f.name: None for f in Member._meta.fields if isinstance(f, BlindIndexField)})
    values.update(status=Member.Status.WITHDRAWN, withdrawn_at=at, is_staff=False, is_superuser=False)
    Member.objects.filter(pk__in=_ids(members)).update(**values)
    for member in members:  # the caller's instances read as tombstones, without a query
        for name, value in values.items():
            setattr(member, name, value)
    for category in {item.category for item in declared}:
        ledger[(Member._meta.label, category, DestructionMethod.ERASE)] += len(members)


def _destroyed(records: MemberRecords) -> dict[str, int]:
    """What the withdrawal destroyed of one member, by record type and category (for the result's message)."""
    destroyed: Counter = Counter()
    for item in registry:
        if item.model._meta.app_label != "members":
            continue
        count = 1 if item.model is Member else records.count(item.model)
        if count:
            category = "unique_identifier" if item.model is SensitiveIdentifier else item.category
            destroyed[f"{item.model._meta.label}/{category}"] = count
    return dict(destroyed)


def _already_withdrawn(member: Member) -> WithdrawalResult:
    return WithdrawalResult(member=member, done=False,
                            message=str(_("This member has already withdrawn; nothing was changed.")))


def member_withdraw(*, member: Member, actor: Member | None, reason: str) -> WithdrawalResult:
    """Withdraw one member (policy §8, PIPA §21): members_withdraw for a batch of one."""
    return members_withdraw(members=[member], actor=actor, reason=reason)[0]


def members_withdraw(*, members: list[Member], actor: Member | None, reason: str) -> list[WithdrawalResult]:
    """Withdraw members (policy §8, PIPA §21): for each rule that applies, the fields it keeps move to the
    archive with destroy_after = trigger date + period; everything else is destroyed at once and the
    destruction ledger says what, how and on whose request (one run for the call). Member rows stay as
    tombstones. The work is set-based: a batch of members costs about the statements of one.

    The member rows are locked first, so two requests never withdraw a member twice; one already withdrawn
    is left as it is and said so. When the archive is another database, its rows are committed first under
    deterministic keys, so a crash before the destruction commits is finished by calling this again, with no
    duplicate archive rows. Returns one result per member, in the order given.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Reason: say why the member is withdrawn (e.g. asked by phone).")]})
    at = timezone.now()
    ledger: Counter = Counter()
    with transaction.atomic():
        locked = {member.pk: member for member in
                  Member.objects.select_for_update().filter(pk__in=_ids(members)).order_by("pk")}
        pending = [member for member in locked.values() if member.status != Member.Status.WITHDRAWN]
        records = members_records(pending)
        rules = list(RetentionRule.objects.filter(active=True)) if pending else []
        archived = Counter()
        items = []
        for member in pending:
            planned = archive_plan(member, at=at, records=records[member.pk], rules=rules)
            archived[member.pk] = len(planned)
            items += planned
        archive_write(items, at=at)
        if pending:
            # Other apps erase what they declare of the members and say what, for the ledger.
            for _receiver, erased in members_withdrawing.send(sender=Member, members=pending, actor=actor, at=at):
                for source, category, count in erased or []:
                    ledger[(source, category, DestructionMethod.ERASE)] += count
            for member in pending:
                member_withdrawing.send(sender=Member, member=member, actor=actor, at=at)
            _identifiers_delete(pending, records, ledger)
            _erase_related(pending, records, ledger)
            _erase_members(pending, ledger, at, actor, reason.strip())
            member_sessions_end(members=pending)
            run_id = uuid.uuid4()
            DestructionLog.objects.bulk_create([
                DestructionLog(occurred_at=at, event=DestructionEvent.WITHDRAWAL, category=category, source=source,
                               count=count, method=method, run_id=run_id, approved_by=actor, reason=reason.strip())
                for (source, category, method), count in sorted(ledger.items())
            ])
    results = []
    withdrawn_now = {member.pk for member in pending}
    for given in members:
        member = locked.get(given.pk, given)
        if member.pk not in withdrawn_now:
            results.append(_already_withdrawn(member))
            continue
        results.append(WithdrawalResult(member=member, done=True, archived=archived[member.pk],
                                        message=str(_("The member has withdrawn; kept records moved to the archive.")),
                                        destroyed=_destroyed(records[member.pk])))
    return results
