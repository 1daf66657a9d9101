"""Destroying expired archive rows on PostgreSQL, set-based (policy §3: 재생할 수 없는 기술적 방법).

Two ways, both crypto-shredding (the data keys go first) and both writing their receipt in the same
transaction: a month whose every day is past, with no row on hold or unreadable, is counted and its two
partitions dropped whole (`months_drop`); what is left (the current month, held or unreadable rows) goes in
bounded batches claimed with FOR UPDATE SKIP LOCKED (`batch_destroy`). `retention_sweep` and `bench retention`
run these same functions, on the archive's tables or on the bench's copies.
"""

import datetime
import uuid
from collections.abc import Callable, Iterator

from django.db import OperationalError, ProgrammingError, connections, transaction

from retention.partitions import (
    ArchiveTables,
    expired_months,
    month_after,
    partition_name,
    quote,
)

# Months are dropped only if their tables can be taken within this; otherwise the batches destroy them.
DROP_LOCK_TIMEOUT = "2s"
# Months counted and dropped per transaction: one commit for many, while writes to the archive wait a little.
MONTHS_PER_DROP = 12
LOCK_NOT_AVAILABLE, DEADLOCK, UNDEFINED_TABLE = "55P03", "40P01", "42P01"



def _receipts_write(cursor, tables: ArchiveTables, run_id: uuid.UUID,
                    counts: list[tuple[str, str, int]]) -> None:
    cursor.executemany(
        f"INSERT INTO {quote(tables.receipts)} (batch_id, run_id, rule, category, count, destroyed_at) "
        "VALUES (%s, %s, %s, %s, %s, now())",
        [(uuid.uuid4(), run_id, rule, category, count) for rule, category, count in counts if count])


def _busy(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in (LOCK_NOT_AVAILABLE, DEADLOCK)


def months_group_drop(alias: str, tables: ArchiveTables, months: list[datetime.date], *, held: list[str],
                      ring: list[str], run_id: uuid.UUID) -> dict[datetime.date, list[tuple[str, str, int]]]:
    """Count expired months' rows into receipts and drop their partitions (the keys' first), in one
    transaction (one commit for the group). A month is left to the batches when a row of it is on hold or no
    key of the ring opens it; the whole group when the tables are busy (another sweep on them). Returns, per
    dropped month, (rule, category, count) per group of rows."""
    connection = connections[alias]
    first, end = months[0], month_after(months[-1])
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
            # The parents first, records then keys, as every statement on both takes them: no deadlock, and
            # no other sweep is inside these months while they are counted and dropped.
            cursor.execute(f"LOCK TABLE {quote(tables.records)}, {quote(tables.keys)} IN ACCESS EXCLUSIVE MODE")
            # Another sweep may have dropped some meanwhile: what is gone has its receipt already.
            present = set(_present_months(cursor, tables, months))
            # A row is readable when its data key is there, wrapped by a key of the ring (one hash join).
            cursor.execute(
                f"""SELECT date_trunc('month', r.destroy_after)::date, r.rule, r.category, count(*),
                           bool_or(r.subject_key = ANY(%(held)s)), count(k.id)
                    FROM {quote(tables.records)} r LEFT JOIN {quote(tables.keys)} k
                      ON k.archive_key = r.archive_key AND k.destroy_after = r.destroy_after
                     AND k.wrapped_by = ANY(%(ring)s) AND k.destroy_after >= %(first)s AND k.destroy_after < %(end)s
                    WHERE r.destroy_after >= %(first)s AND r.destroy_after < %(end)s
                    GROUP BY 1, 2, 3""", {"held": held, "ring": ring, "first": first, "end": end})
            counted: dict[datetime.date, list[tuple[str, str, int]]] = {month: [] for month in present}
            blocked = set()
            for month, rule, category, count, on_hold, readable in cursor.fetchall():
                if on_hold or readable != count:
                    blocked.add(month)
                counted.setdefault(month, []).append((rule, category, count))
            dropped = {month: counts for month, counts in counted.items() if month in present - blocked}
            for month in sorted(dropped):
                cursor.execute(f"DROP TABLE {quote(partition_name(tables.keys, month))}")
                cursor.execute(f"DROP TABLE {quote(partition_name(tables.records, month))}")
            _receipts_write(cursor, tables, run_id, [row for counts in dropped.values() for row in counts])
            return dropped
    except OperationalError as error:
        if _busy(error):
            return {}
        raise


def _present_months(cursor, tables: ArchiveTables, months: list[datetime.date]) -> list[datetime.date]:
    names = [partition_name(table, month) for month in months for table in tables.partitioned]
    cursor.execute("SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(quote_ident(name)) IS NOT NULL",
                   [names])
    found = {row[0] for row in cursor.fetchall()}
    return [month for month in months
            if all(partition_name(table, month) in found for table in tables.partitioned)]


def months_drop(alias: str, tables: ArchiveTables, *, today: datetime.date, held: list[str], ring: list[str],
                run_id: uuid.UUID, spend: Callable[[], bool] = lambda: True) -> Iterator[list[tuple[str, str, int]]]:
    """Drop every wholly expired month that can be dropped, MONTHS_PER_DROP months per transaction; yields
    each dropped month's counts. `spend` takes one batch (one month) from the caller's budget."""
    with connections[alias].cursor() as cursor:
        months = expired_months(cursor, tables, today)
    taken = []
    for month in months:
        if not spend():
            break
        taken.append(month)
    for start in range(0, len(taken), MONTHS_PER_DROP):
        dropped = months_group_drop(alias, tables, taken[start:start + MONTHS_PER_DROP], held=held, ring=ring,
                                    run_id=run_id)
        yield from (dropped[month] for month in sorted(dropped))


def batch_destroy(alias: str, tables: ArchiveTables, *, rule: str, category: str, today: datetime.date,
                  held: list[str], ring: list[str], after_id: int, limit: int,
                  run_id: uuid.UUID) -> tuple[int, int | None]:
    """Destroy up to `limit` expired records of `rule` with id above `after_id` (keyset, so dead rows of
    earlier batches are never scanned again) in one transaction with its receipt; rows locked by another
    worker are skipped (SKIP LOCKED), rows on hold or whose key the ring cannot open are left.
    Returns (destroyed, last id claimed), the id None when nothing was left to claim."""
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute(
            f"""
            WITH claimed AS (
                SELECT r.id, r.archive_key, r.destroy_after FROM {quote(tables.records)} r
                WHERE r.rule = %(rule)s AND r.id > %(after)s AND r.destroy_after < %(today)s
                  AND NOT (r.subject_key = ANY(%(held)s))
                  AND EXISTS (SELECT 1 FROM {quote(tables.keys)} k WHERE k.archive_key = r.archive_key
                              AND k.destroy_after = r.destroy_after AND k.wrapped_by = ANY(%(ring)s))
                ORDER BY r.id LIMIT %(limit)s
                FOR UPDATE OF r SKIP LOCKED
            ), keys_gone AS (
                DELETE FROM {quote(tables.keys)} k USING claimed c
                WHERE k.archive_key = c.archive_key AND k.destroy_after = c.destroy_after
                RETURNING k.archive_key, k.destroy_after
            ), records_gone AS (
                DELETE FROM {quote(tables.records)} r USING keys_gone g
                WHERE r.archive_key = g.archive_key AND r.destroy_after = g.destroy_after RETURNING 1
            )
            SELECT (SELECT count(*) FROM records_gone), (SELECT max(id) FROM claimed)
            """,
            {"rule": rule, "after": after_id, "today": today, "held": held, "ring": ring, "limit": limit},
        )
        destroyed, last_id = cursor.fetchone()
        _receipts_write(cursor, tables, run_id, [(rule, category, destroyed)])
    return destroyed, last_id


def month_tables(tables: ArchiveTables, month: datetime.date) -> ArchiveTables:
    """One month's partitions: a batch that names them touches no other month's rows or indexes."""
    return ArchiveTables(records=partition_name(tables.records, month), keys=partition_name(tables.keys, month),
                         receipts=tables.receipts)


def rule_batches(alias: str, tables: ArchiveTables, *, rule: str, category: str, today: datetime.date,
                 held: list[str], ring: list[str], run_id: uuid.UUID, limit: int,
                 spend: Callable[[], bool] = lambda: True) -> Iterator[int]:
    """The expired rows of `rule` that no month drop took (the current month, rows on hold or unreadable,
    busy months), batch by batch, month by month; yields each batch's count. A month another sweep drops
    meanwhile is simply gone (that sweep wrote its receipt)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', destroy_after)::date FROM {quote(tables.records)} "
                       "WHERE rule = %s AND destroy_after < %s ORDER BY 1", [rule, today])
        months = [row[0] for row in cursor.fetchall()]
    for month in months:
        after_id = 0
        while True:
            if not spend():
                raise BudgetSpent
            try:
                count, last_id = batch_destroy(alias, month_tables(tables, month), rule=rule, category=category,
                                               today=today, held=held, ring=ring, after_id=after_id, limit=limit,
                                               run_id=run_id)
            except ProgrammingError as error:
                if getattr(error.__cause__, "sqlstate", None) == UNDEFINED_TABLE:
                    break
                raise
            yield count
            if last_id is None:
                break
            after_id = last_id


class BudgetSpent(Exception):
    """The caller's batch budget ran out before the rule's expired rows did."""
