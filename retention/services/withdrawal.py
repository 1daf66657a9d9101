"""Membership withdrawal (회원탈퇴, policy §8; PIPA §21): keep what a law keeps, apart; destroy the rest at once."""

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.encryption import BlindIndexField
from members.hooks import member_withdrawing
from members.models import Member, SensitiveIdentifier
from members.registry import member_path, registry
from retention import crypto
from retention.models import DestructionEvent, DestructionLog, DestructionMethod
from retention.services.archive import archive_plan, archive_write


@dataclass
class WithdrawalResult:
    member: Member
    done: bool
    message: str
    archived: int = 0
    destroyed: dict[str, int] = field(default_factory=dict)


def _erased_value(model_field: models.Field) -> object:
    return None if model_field.null else ""


def _sessions_end(member: Member) -> int:
    """Delete every session logged in as the member (database sessions)."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(member.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def _erase_related(member: Member, ledger: Counter) -> None:
    """Erase the declared personal fields of the member's learning records (enrolments, complaints, ...);
    the rows stay, since their non-personal facts are the contract and payment records a law keeps."""
    for model in {item.model for item in registry}:
        if model in (Member, SensitiveIdentifier) or model._meta.app_label != "members":
            continue
        declared = registry.for_model(model)
        count = model.objects.filter(**{member_path(model): member}).update(
            **{item.name: _erased_value(model._meta.get_field(item.name)) for item in declared})
        if not count:
            continue
        for category in {item.category for item in declared}:
            ledger[(model._meta.label, category, DestructionMethod.ERASE)] += count


def _erase_member(member: Member, ledger: Counter, at: datetime.datetime) -> None:
    declared = registry.for_model(Member)
    values = {item.name: _erased_value(Member._meta.get_field(item.name)) for item in declared}
    values["password"] = make_password(None)
    values.update({f.name: None for f in Member._meta.fields if isinstance(f, BlindIndexField)})
    Member.objects.filter(pk=member.pk).update(status=Member.Status.WITHDRAWN, withdrawn_at=at, is_staff=False,
                                               is_superuser=False, **values)
    member.groups.clear()
    member.user_permissions.clear()
    for category in {item.category for item in declared}:
        ledger[(Member._meta.label, category, DestructionMethod.ERASE)] += 1


def member_withdraw(*, member: Member, actor: Member | None, reason: str) -> WithdrawalResult:
    """Withdraw a member (policy §8, PIPA §21): for each rule that applies, the fields it keeps move to the
    archive with destroy_after = trigger date + period; everything else is destroyed at once and the
    destruction ledger says what, how and on whose request. The member row stays as a tombstone.

    The archive may be another database: its rows are written first under deterministic keys, so a crash
    before the destruction commits is finished by calling this again, with no duplicate archive rows.
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Reason: say why the member is withdrawn (e.g. asked by phone).")]})
    member = Member.objects.get(pk=member.pk)
    if member.status == Member.Status.WITHDRAWN:
        return WithdrawalResult(member=member, done=False,
                                message=str(_("This member has already withdrawn; nothing was changed.")))
    at = timezone.now()
    subject = crypto.subject_key(member.pk)
    archived = archive_write(archive_plan(member, at=at), subject=subject, at=at)
    ledger: Counter = Counter()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status == Member.Status.WITHDRAWN:  # another request finished it meanwhile
            return WithdrawalResult(member=member, done=False,
                                    message=str(_("This member has already withdrawn; nothing was changed.")))
        member_withdrawing.send(sender=Member, member=member, actor=actor, at=at)
        _total, deleted = SensitiveIdentifier.objects.filter(member=member).delete()
        identifiers_count = deleted.get(SensitiveIdentifier._meta.label, 0)
        if identifiers_count:
            ledger[(SensitiveIdentifier._meta.label, "unique_identifier", DestructionMethod.DELETE)] += \
                identifiers_count
        _erase_related(member, ledger)
        _erase_member(member, ledger, at)
        _sessions_end(member)
        run_id = uuid.uuid4()
        DestructionLog.objects.bulk_create([
            DestructionLog(occurred_at=at, event=DestructionEvent.WITHDRAWAL, category=category, source=source,
                           count=count, method=method, run_id=run_id, approved_by=actor, reason=reason.strip())
            for (source, category, method), count in sorted(ledger.items())
        ])
        member.refresh_from_db()
    return WithdrawalResult(member=member, done=True, archived=archived,
                            message=str(_("The member has withdrawn; kept records moved to the archive.")),
                            destroyed={f"{source}/{category}": count
                                       for (source, category, _method), count in ledger.items()})
