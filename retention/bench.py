"""`bench retention [--size N]`: the sweep against one plain SQL DELETE of the same rows, the sweep's peak
memory at N and N/10, a partitioned layout (whole expired months dropped), and withdrawals per second.

The archive rows live in tables of the bench's own (copies of the archive's tables), dropped at the end;
the withdrawals run in a transaction that is rolled back. The database is left as it was found.
"""

import datetime
import time
import tracemalloc
import uuid
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.utils import timezone

from members import services as members_services
from members.demo import Generator
from members.models import Course, Enrollment, Member, PaymentMethod, SensitiveIdentifier
from retention import crypto
from retention.models import ArchiveDataKey, ArchivedRecord
from retention.routers import archive_alias
from retention.services import member_withdraw, retention_rules_load
from retention.services.shred import ArchiveTables, destroy_batch_sql

AREA = "retention"
BATCH = 10_000
RULE = "ecommerce_payment"
PREFIX = "bench_retention_"


class _Rollback(Exception):
    pass


def _db():
    """The archive's database: the bench's tables live beside the archive's own."""
    return connections[archive_alias()]


def _q(name: str) -> str:
    return _db().ops.quote_name(name)


def _create(suffix: str, rows: int, today: datetime.date, ring: str) -> ArchiveTables:
    """A copy of the archive's tables holding `rows` rows, half expired, spread over a year either side."""
    tables = ArchiveTables(records=f"{PREFIX}records_{suffix}", keys=f"{PREFIX}keys_{suffix}")
    with _db().cursor() as cursor:
        cursor.execute(f"CREATE TABLE {_q(tables.records)} (LIKE {_q(ArchivedRecord._meta.db_table)} INCLUDING ALL)")
        cursor.execute(f"CREATE TABLE {_q(tables.keys)} (LIKE {_q(ArchiveDataKey._meta.db_table)} INCLUDING ALL)")
        _fill(cursor, tables, rows, today, ring)
    return tables


def _fill(cursor, tables: ArchiveTables, rows: int, today: datetime.date, ring: str, *,
          with_destroy_after: bool = False) -> None:
    # Synthetic ciphertexts of the real sizes: the sweep never decrypts, it destroys keys and rows.
    day = "CASE WHEN mod(i, 2) = 0 THEN %(today)s - (1 + mod(i, 360)) ELSE %(today)s + (1 + mod(i, 360)) END"
    extra_col, extra_val = (", destroy_after", f", {day}") if with_destroy_after else ("", "")
    cursor.execute(f"""
        INSERT INTO {_q(tables.keys)} (archive_key, wrapped, wrapped_by, created_at{extra_col})
        SELECT md5(i::text) || md5((i + 1)::text), decode(repeat(md5(i::text), 4), 'hex'), %(ring)s, now(){extra_val}
        FROM generate_series(1, %(rows)s) AS i""", {"rows": rows, "today": today, "ring": ring})
    cursor.execute(f"""
        INSERT INTO {_q(tables.records)} (archive_key, rule, category, subject_key, source, fields, payload,
                                          trigger_date, archived_at, destroy_after)
        SELECT md5(i::text) || md5((i + 1)::text), %(rule)s, '대금결제 및 재화 등의 공급에 관한 기록',
               md5((i * 7)::text) || md5((i * 11)::text), 'members.Payment', '["summary"]'::jsonb,
               decode(repeat(md5(i::text), 3), 'hex'), {day}, now(), {day}
        FROM generate_series(1, %(rows)s) AS i""", {"rows": rows, "today": today, "rule": RULE})
    cursor.execute(f"ANALYZE {_q(tables.keys)}")
    cursor.execute(f"ANALYZE {_q(tables.records)}")


SUFFIXES = ("plain", "sweep", "small", "p")


def _drop_all() -> None:
    """Drop every table the bench may have made, whatever step it stopped at."""
    with _db().cursor() as cursor:
        for suffix in SUFFIXES:
            cursor.execute(f"DROP TABLE IF EXISTS {_q(f'{PREFIX}records_{suffix}')}, "
                           f"{_q(f'{PREFIX}keys_{suffix}')} CASCADE")
        cursor.execute(f"DROP TABLE IF EXISTS {PREFIX}receipts, {PREFIX}receipts_p")


def _plain_delete(tables: ArchiveTables, today: datetime.date) -> tuple[int, float]:
    started = time.perf_counter()
    with transaction.atomic(using=archive_alias()), _db().cursor() as cursor:
        cursor.execute(f"DELETE FROM {_q(tables.keys)} k USING {_q(tables.records)} r "
                       f"WHERE k.archive_key = r.archive_key AND r.destroy_after < %s", [today])
        cursor.execute(f"DELETE FROM {_q(tables.records)} WHERE destroy_after < %s", [today])
        count = cursor.rowcount
    return count, time.perf_counter() - started


def _sweep(tables: ArchiveTables, today: datetime.date, ring: str) -> tuple[int, float]:
    """The sweep's batches: the same statement retention_sweep runs, one transaction per batch with its
    receipt (here in a temporary table, so the ledger is not touched)."""
    with _db().cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {PREFIX}receipts "
                       "(batch_id uuid PRIMARY KEY, run_id uuid, rule text, count integer, destroyed_at timestamptz)")
    run_id, after_id, destroyed = uuid.uuid4(), 0, 0
    started = time.perf_counter()
    while True:
        with transaction.atomic(using=archive_alias()), _db().cursor() as cursor:
            count, last_id = destroy_batch_sql(cursor, tables=tables, rule=RULE, today=today, held=[], ring=[ring],
                                               after_id=after_id, limit=BATCH)
            if count:
                cursor.execute(f"INSERT INTO {PREFIX}receipts VALUES (%s, %s, %s, %s, now())",
                               [uuid.uuid4(), run_id, RULE, count])
        destroyed += count
        if last_id is None:
            break
        after_id = last_id
    return destroyed, time.perf_counter() - started


def _measured(action: Callable[[], tuple[int, float]]) -> tuple[int, float, int]:
    tracemalloc.start()
    try:
        count, seconds = action()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, seconds, peak


def _partitioned(rows: int, today: datetime.date, ring: str) -> tuple[int, float, int]:
    """The layout the issue suggests: records and keys partitioned by destruction month; a month wholly past
    is counted into receipts and its two partitions dropped (keys first); the current month goes by batches."""
    records, keys = f"{PREFIX}records_p", f"{PREFIX}keys_p"
    first = (today - datetime.timedelta(days=400)).replace(day=1)
    months = []
    month = first
    while month <= today + datetime.timedelta(days=400):
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        months.append((month, following))
        month = following
    with _db().cursor() as cursor:
        cursor.execute(f"CREATE TABLE {_q(records)} (LIKE {_q(ArchivedRecord._meta.db_table)} INCLUDING DEFAULTS "
                       "INCLUDING IDENTITY) PARTITION BY RANGE (destroy_after)")
        cursor.execute(f"CREATE TABLE {_q(keys)} (LIKE {_q(ArchiveDataKey._meta.db_table)} INCLUDING DEFAULTS "
                       "INCLUDING IDENTITY, destroy_after date NOT NULL) PARTITION BY RANGE (destroy_after)")
        for start, end in months:
            for table in (records, keys):
                cursor.execute(f"CREATE TABLE {_q(f'{table}_{start:%Y%m}')} PARTITION OF {_q(table)} "
                               "FOR VALUES FROM (%s) TO (%s)", [start, end])
        cursor.execute(f"CREATE INDEX ON {_q(records)} (id)")
        cursor.execute(f"CREATE INDEX ON {_q(keys)} (archive_key)")
        _fill(cursor, ArchiveTables(records=records, keys=keys), rows, today, ring, with_destroy_after=True)
    started = time.perf_counter()
    destroyed = 0
    for start, end in months:
        if end > today:
            continue
        with transaction.atomic(using=archive_alias()), _db().cursor() as cursor:
            part_records, part_keys = f"{records}_{start:%Y%m}", f"{keys}_{start:%Y%m}"
            # Taken at once or skipped, like SKIP LOCKED: another sweep holding the month finishes it.
            cursor.execute(f"LOCK TABLE {_q(part_keys)}, {_q(part_records)} IN ACCESS EXCLUSIVE MODE NOWAIT")
            cursor.execute(f"SELECT rule, count(*) FROM {_q(part_records)} GROUP BY rule")
            counts = cursor.fetchall()
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(part_records)} r WHERE NOT EXISTS (SELECT 1 FROM "
                           f"{_q(part_keys)} k WHERE k.archive_key = r.archive_key AND k.wrapped_by = %s))", [ring])
            if cursor.fetchone()[0]:
                continue  # a row that cannot be decrypted: this month goes by batches instead
            cursor.execute(f"DROP TABLE {_q(part_keys)}")
            cursor.execute(f"DROP TABLE {_q(part_records)}")
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {PREFIX}receipts_p (rule text, count integer)")
            cursor.executemany(f"INSERT INTO {PREFIX}receipts_p VALUES (%s, %s)", counts)
            destroyed += sum(count for _rule, count in counts)
    after_id = 0
    while True:
        with transaction.atomic(using=archive_alias()), _db().cursor() as cursor:
            count, last_id = destroy_batch_sql(cursor, tables=ArchiveTables(records=records, keys=keys), rule=RULE,
                                               today=today, held=[], ring=[ring], after_id=after_id, limit=BATCH)
        destroyed += count
        if last_id is None:
            break
        after_id = last_id
    return destroyed, time.perf_counter() - started, len(months)


def _withdrawals(count: int) -> tuple[int, float]:
    """Members with a refund course, a 주민등록번호 and a card number, withdrawn one by one; rolled back."""
    generator = Generator(seed=77)
    today = timezone.localdate()
    seconds = 0.0
    try:
        with transaction.atomic(using="default"), transaction.atomic(using=archive_alias()):
            retention_rules_load()
            course = Course.objects.create(code=f"bench-{uuid.uuid4().hex[:8]}", title="bench",
                                           is_employment_insurance_refund=True, ships_textbook=True)
            members = members_services.member_bulk_create(
                rows=list(generator.member_rows(count, 90_000_000)), password_hash=make_password(None))
            Enrollment.objects.bulk_create([
                Enrollment(member=m, course=course, started_on=today - datetime.timedelta(days=90),
                           ended_on=today - datetime.timedelta(days=30), payment_method=PaymentMethod.CREDIT_CARD,
                           applied_ip="203.0.113.9", shipping_address="서울특별시 구로구 디지털로 300",
                           shipping_phone="010-1234-5678") for m in members])
            SensitiveIdentifier.objects.bulk_create([
                SensitiveIdentifier(member=m, kind="rrn", value=generator.rrn(m.birth_date),
                                    legal_basis="employment_insurance_refund") for m in members])
            started = time.perf_counter()
            for member in Member.objects.filter(pk__in=[m.pk for m in members]):
                member_withdraw(member=member, actor=None, reason="bench")
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return count, seconds


def run(size: int, write: Callable[[str], None]) -> None:
    if _db().vendor != "postgresql":
        write("bench retention needs PostgreSQL (FOR UPDATE SKIP LOCKED, partitions)")
        return
    today = timezone.localdate()
    ring = crypto.key_ring_ids()[0].hex()
    small = max(1, size // 10)
    write(f"retention bench on PostgreSQL: {size:,} archived rows (half expired), batches of {BATCH:,}")
    _drop_all()
    try:
        baseline_tables = _create("plain", size, today, ring)
        sweep_tables = _create("sweep", size, today, ring)
        small_tables = _create("small", small, today, ring)
        plain_count, plain_seconds = _plain_delete(baseline_tables, today)
        swept, sweep_seconds, peak = _measured(lambda: _sweep(sweep_tables, today, ring))
        small_swept, _small_seconds, small_peak = _measured(lambda: _sweep(small_tables, today, ring))
        _drop_all()
        part_destroyed, part_seconds, months = _partitioned(size, today, ring)
    finally:
        _drop_all()
    withdrawn, withdraw_seconds = _withdrawals(min(2_000, max(200, size // 1_000)))
    plain_rate = plain_count / plain_seconds
    sweep_rate = swept / sweep_seconds
    part_rate = part_destroyed / part_seconds
    assert swept == plain_count == part_destroyed, (swept, plain_count, part_destroyed)
    write(f"{'measure':<58}{'value':>16}{'ratio':>10}")
    write(f"{'plain DELETE of the expired rows (keys + records)':<58}{plain_rate:>12,.0f} r/s{1:>10.2f}")
    write(f"{'retention_sweep batches (SKIP LOCKED, keys first)':<58}{sweep_rate:>12,.0f} r/s"
          f"{sweep_rate / plain_rate:>10.2f}")
    write(f"{f'partitioned by destruction month ({months} months), drop':<58}{part_rate:>12,.0f} r/s"
          f"{part_rate / plain_rate:>10.2f}")
    write(f"{f'sweep peak Python memory at N ({size:,})':<58}{peak / 1024:>12,.0f} KiB{1:>10.2f}")
    write(f"{f'sweep peak Python memory at N/10 ({small:,}, {small_swept:,} destroyed)':<58}"
          f"{small_peak / 1024:>12,.0f} KiB{small_peak / peak:>10.2f}")
    write(f"{f'withdrawals ({withdrawn:,} members, rolled back)':<58}{withdrawn / withdraw_seconds:>12,.0f} /s"
          f"{'':>10}")
    verdict = "met" if sweep_rate / plain_rate >= 0.5 else "NOT met"
    write(f"targets: sweep at least 0.5 of the plain DELETE: {verdict} (partitioned layout: "
          f"{'met' if part_rate / plain_rate >= 0.5 else 'NOT met'}); "
          f"withdrawals at least 200/s: {'met' if withdrawn / withdraw_seconds >= 200 else 'NOT met'}; "
          f"memory flat (N/10 peak within 2x of N): {'met' if peak <= 2 * max(small_peak, 1) else 'NOT met'}")
