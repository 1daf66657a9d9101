"""Many archived records at once, for the reliability tests and the bench (sealed like real ones)."""

import datetime
import uuid

from django.utils import timezone

from retention import crypto
from retention.models import ArchiveDataKey, ArchivedRecord
from retention.partitions import months_ensure
from retention.routers import archive_alias


def archive_rows(count: int, *, destroy_after: datetime.date, rule: str = "ecommerce_payment",
                 batch_size: int = 2000) -> None:
    using = archive_alias()
    key_id = crypto.key_ring_ids()[0].hex()
    now = timezone.now()
    months_ensure(using, {destroy_after})
    for start in range(0, count, batch_size):
        records, keys = [], []
        for _n in range(start, min(count, start + batch_size)):
            key = uuid.uuid4().hex + uuid.uuid4().hex
            ciphertext, wrapped = crypto.seal({"summary": "대금결제 기록"}, context=key)
            keys.append(ArchiveDataKey(archive_key=key, wrapped=wrapped, wrapped_by=key_id, created_at=now,
                                        destroy_after=destroy_after))
            records.append(ArchivedRecord(archive_key=key, rule=rule, category="대금결제 기록", subject_key=key,
                                          source="members.Payment", fields=["summary"], payload=ciphertext,
                                          trigger_date=destroy_after, archived_at=now, destroy_after=destroy_after))
        ArchiveDataKey.objects.using(using).bulk_create(keys)
        ArchivedRecord.objects.using(using).bulk_create(records)
