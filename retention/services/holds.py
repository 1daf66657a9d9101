"""Legal holds (a lawsuit, an investigation) and opening the archive for a stated reason."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from retention import crypto
from retention.models import ArchiveAccess, ArchivedRecord, LegalHold
from retention.services.archive import archived_payload


@transaction.atomic
def legal_hold_place(*, member: Member, actor: Member, reason: str, until: datetime.date) -> LegalHold:
    """Stop the sweep from destroying a member's records until a date; the reason is kept with the hold."""
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = [_("Reason: a legal hold needs the reason it is placed for.")]
    if not until or until < timezone.localdate():
        errors["until"] = [_("Held until: must be today or later.")]
    if errors:
        raise ValidationError(errors)
    return LegalHold.objects.create(member=member, subject_key=crypto.subject_key(member.pk), reason=reason.strip(),
                                    held_by=actor, until=until)


@transaction.atomic
def legal_hold_release(*, hold: LegalHold, actor: Member) -> LegalHold:
    if hold.released_at is None:
        hold.released_at = timezone.now()
        hold.save(update_fields=["released_at"])
    return hold


@transaction.atomic
def archived_payload_open(*, record: ArchivedRecord, actor: Member, reason: str) -> dict[str, Any]:
    """Open an archived payload: only with the permission and a reason, and the opening is recorded."""
    if not actor.has_perm("retention.view_archived_payload"):
        raise PermissionDenied(_("Opening an archived payload needs its own permission."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Reason: say why the archived payload is opened.")]})
    payload = archived_payload(record)
    ArchiveAccess.objects.create(archive_key=record.archive_key, rule=record.rule, opened_by=actor,
                                 reason=reason.strip())
    return payload
