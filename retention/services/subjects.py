"""The archive's pseudonymous subjects across a blind-index key rotation.

A subject key is an HMAC of the member id under BLIND_INDEX_KEY (retention.crypto). When rotate_keys moves to
a new key, the archived rows and the legal holds are re-keyed from the tombstone's member id, so a hold placed
after the old key is removed still finds the member's rows. The archive key (the payload's associated data)
never changes. Until the re-keying has run, lookups by member match the pseudonym under every key of the ring.
"""

from django.db import transaction
from django.db.models import QuerySet

from members.encryption import blind_index_keys
from members.models import Member
from retention import crypto
from retention.models import ArchivedRecord, LegalHold
from retention.routers import archive_alias


def archived_records_of(member_id: int) -> QuerySet:
    """Every archived record of a member, whichever key of the ring its subject key was made under."""
    return ArchivedRecord.objects.using(archive_alias()).filter(subject_key__in=crypto.subject_keys(member_id))


def _legal_holds_rekey(batch_size: int) -> tuple[int, int]:
    seen = rekeyed = after = 0
    while True:
        with transaction.atomic():
            holds = list(LegalHold.objects.filter(pk__gt=after).order_by("pk").select_for_update()
                         .only("pk", "member_id", "subject_key")[:batch_size])
            if not holds:
                return seen, rekeyed
            changed = []
            for hold in holds:
                current = crypto.subject_key(hold.member_id)
                if hold.subject_key != current:
                    hold.subject_key = current
                    changed.append(hold)
            LegalHold.objects.bulk_update(changed, ["subject_key"])
        seen, rekeyed, after = seen + len(holds), rekeyed + len(changed), holds[-1].pk


def _archive_subjects_rekey(batch_size: int, old_secrets: list[str]) -> tuple[int, int]:
    """Withdrawn members in batches of `batch_size` (the archive only holds rows of withdrawn members): each
    pseudonym under an old key that the archive still holds is replaced by the one under the current key,
    one batch per transaction of the archive database."""
    using = archive_alias()
    seen = rekeyed = after = 0
    while True:
        member_ids = list(Member._base_manager.filter(status=Member.Status.WITHDRAWN, pk__gt=after).order_by("pk")
                          .values_list("pk", flat=True)[:batch_size])
        if not member_ids:
            return seen, rekeyed
        renamed = {crypto.subject_key(member_id, secret=secret): crypto.subject_key(member_id)
                   for member_id in member_ids for secret in old_secrets}
        with transaction.atomic(using=using):
            present = set(ArchivedRecord.objects.using(using).filter(subject_key__in=list(renamed))
                          .values_list("subject_key", flat=True).distinct())
            for old in sorted(present):
                rekeyed += ArchivedRecord.objects.using(using).filter(subject_key=old).update(
                    subject_key=renamed[old])
        seen, after = seen + len(member_ids), member_ids[-1]


def archive_subjects_rekey(*, batch_size: int = 500) -> tuple[int, int]:
    """Key rotation (`manage.py rotate_keys`, a step of members.keys.ROTATION_STEPS): every legal hold and
    every archived record whose subject key was made under an old blind-index key (BLIND_INDEX_OLD_KEYS) gets
    the one under BLIND_INDEX_KEY, recomputed from the member id; the archive key stays. Bounded batches,
    each committed on its own; running it again goes on where it stopped. Returns (rows seen, rows re-keyed)."""
    seen, rekeyed = _legal_holds_rekey(batch_size)
    old_secrets = list(blind_index_keys()[1:])
    if old_secrets:
        members_seen, records_rekeyed = _archive_subjects_rekey(batch_size, old_secrets)
        seen, rekeyed = seen + members_seen, rekeyed + records_rekeyed
    return seen, rekeyed
