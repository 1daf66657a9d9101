"""The archive's layout on PostgreSQL: archived records and their data keys partitioned by destruction month.

Every row of a month partition has its destroy_after in that month, so once the month is over and none of its
rows is on hold or unreadable, the sweep counts its rows into the ledger and drops the two partitions whole
(the keys' first), instead of deleting row by row (issue 7: "archive partitions by destruction month, dropped
whole once their rows are counted into the ledger and none is on hold"). A record and its data key always
share destroy_after, so they always live in partitions of the same month.

Partitions are made when a row first needs one (`months_ensure`). SQLite (a first run) keeps plain tables.
This module is the one definition of the layout: the migration and `bench retention` both build it here.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import connections, transaction

PARTITION_SUFFIX = re.compile(r"_p(\d{4})(\d{2})$")
# Whoever makes a partition holds this transaction-level advisory lock, so two withdrawals never race on it.
PARTITION_LOCK = 0x7265_7465  # "rete"


@dataclass(frozen=True)
class ArchiveTables:
    """The archive's tables; `bench retention` passes copies of its own."""

    records: str = "retention_archivedrecord"
    keys: str = "retention_archivedatakey"
    receipts: str = "retention_sweepreceipt"

    @property
    def partitioned(self) -> tuple[str, str]:
        """Records first: every statement that touches both locks them in this order (no deadlock)."""
        return self.records, self.keys


def quote(name: str) -> str:
    """A table name quoted for PostgreSQL (partition names are made here, never typed by a user)."""
    return '"' + name.replace('"', '""') + '"'


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_after(month: datetime.date) -> datetime.date:
    return (month + datetime.timedelta(days=32)).replace(day=1)


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y%m}"


def is_partitioned(alias: str, table: str) -> bool:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
                       [table])
        return cursor.fetchone()[0]


def layout_partition(cursor, tables: ArchiveTables) -> None:
    """Turn the (empty or filled) archive tables into tables partitioned by destruction month, keeping every
    row, column, default, identity and index name. Run by the migration and by the bench on its copies."""
    q = quote
    cursor.execute(f"SELECT min(destroy_after), max(destroy_after) FROM {q(tables.records)}")
    first, last = cursor.fetchone()
    for table in tables.partitioned:
        old = f"{table}_unpartitioned"
        cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        # The indexes keep their names: rename the old ones out of the way first.
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [old])
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u')", [old])
        constraints = cursor.fetchall()
        for name, _kind, _definition in constraints:
            cursor.execute(f"ALTER TABLE {q(old)} RENAME CONSTRAINT {q(name)} TO {q(name + '_old')}")
        constraint_names = {name for name, _kind, _definition in constraints}
        for name, _definition in indexes:
            if name not in constraint_names:
                cursor.execute(f"ALTER INDEX {q(name)} RENAME TO {q(name + '_old')}")
        cursor.execute(f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY "
                       "INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (destroy_after)")
        for name, kind, definition in constraints:
            # A unique constraint of a partitioned table includes the partition key.
            columns = re.search(r"\((.*)\)", definition).group(1)
            if "destroy_after" not in columns:
                columns += ", destroy_after"
            keyword = "PRIMARY KEY" if kind == "p" else "UNIQUE"
            cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {keyword} ({columns})")
        for name, definition in indexes:
            if name in constraint_names:
                continue
            definition = re.sub(rf' ON (ONLY )?(\S+\.)?"?{re.escape(old)}"? ', f" ON {q(table)} ", definition)
            cursor.execute(definition.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1))
        if first is not None:
            months_create(cursor, [table], month_start(first), month_start(last))
        cursor.execute(f"INSERT INTO {q(table)} OVERRIDING SYSTEM VALUE SELECT * FROM {q(old)}")
        cursor.execute(f"DROP TABLE {q(old)}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [q(table)])
        sequence = cursor.fetchone()[0]
        if sequence:
            cursor.execute(f"SELECT setval(%s, coalesce((SELECT max(id) FROM {q(table)}), 0) + 1, false)",
                           [sequence])


def months_create(cursor, tables: list[str] | tuple[str, ...], first: datetime.date, last: datetime.date) -> None:
    """Make the month partitions from `first` to `last` (both month starts) of the tables, if missing."""
    month = first
    while month <= last:
        following = month_after(month)
        for table in tables:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {quote(partition_name(table, month))} "
                           f"PARTITION OF {quote(table)} FOR VALUES FROM (%s) TO (%s)", [month, following])
        month = following


def months_ensure(alias: str, days: set[datetime.date], tables: ArchiveTables = ArchiveTables()) -> None:
    """Make sure a partition exists for the month of each day (one query when they all exist)."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or not days:
        return
    months = sorted({month_start(day) for day in days})
    names = [partition_name(tables.keys, month) for month in months]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(quote_ident(name)) IS NULL",
                       [names])
        missing = {row[0] for row in cursor.fetchall()}
        if not missing:
            return
        needed = [month for month, name in zip(months, names, strict=True) if name in missing]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK])
        for month in needed:
            months_create(cursor, tables.partitioned, month, month)


def expired_months(cursor, tables: ArchiveTables, today: datetime.date) -> list[datetime.date]:
    """The months whose partitions exist and whose every day is before `today` (all their rows expired)."""
    return [month for month in _months(cursor, tables) if month_after(month) <= today]


def _months(cursor, tables: ArchiveTables) -> list[datetime.date]:
    """The months of the records' partitions (each has its keys' partition of the same month)."""
    cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "WHERE i.inhparent = to_regclass(%s)", [quote(tables.records)])
    months = []
    for (name,) in cursor.fetchall():
        match = PARTITION_SUFFIX.search(name)
        if match:
            month = datetime.date(int(match[1]), int(match[2]), 1)
            if name == partition_name(tables.records, month):
                months.append(month)
    return sorted(months)

