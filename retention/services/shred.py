"""One destruction batch as set-based SQL (PostgreSQL): claim, delete the data keys, then the records whose
key went, in one statement and one round trip. The bench runs the same statement on tables of its own."""

import datetime
from dataclasses import dataclass

from retention.models import ArchiveDataKey, ArchivedRecord


@dataclass(frozen=True)
class ArchiveTables:
    records: str = ArchivedRecord._meta.db_table
    keys: str = ArchiveDataKey._meta.db_table


def destroy_batch_sql(cursor, *, tables: ArchiveTables, rule: str, today: datetime.date, held: list[str],
                      ring: list[str], after_id: int, limit: int) -> tuple[int, int | None]:
    """Destroy up to `limit` expired records of `rule` with id above `after_id` (keyset, so dead rows of
    earlier batches are never scanned again); rows locked by another worker are skipped (SKIP LOCKED), rows
    on hold or whose key the ring cannot open are left. Returns (destroyed, last id claimed)."""
    records, keys = tables.records, tables.keys
    cursor.execute(
        f"""
        WITH claimed AS (
            SELECT r.id, r.archive_key FROM {records} r
            WHERE r.rule = %(rule)s AND r.id > %(after)s AND r.destroy_after < %(today)s
              AND NOT (r.subject_key = ANY(%(held)s))
              AND EXISTS (SELECT 1 FROM {keys} k WHERE k.archive_key = r.archive_key AND k.wrapped_by = ANY(%(ring)s))
            ORDER BY r.id LIMIT %(limit)s
            FOR UPDATE OF r SKIP LOCKED
        ), keys_gone AS (
            DELETE FROM {keys} k USING claimed c WHERE k.archive_key = c.archive_key RETURNING k.archive_key
        ), records_gone AS (
            DELETE FROM {records} r USING keys_gone g WHERE r.archive_key = g.archive_key RETURNING 1
        )
        SELECT (SELECT count(*) FROM records_gone), (SELECT max(id) FROM claimed)
        """,
        {"rule": rule, "after": after_id, "today": today, "held": held, "ring": ring, "limit": limit},
    )
    destroyed, last_id = cursor.fetchone()
    return destroyed, last_id
