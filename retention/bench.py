"""`bench retention [--size N]`: the retention sweep against one plain SQL DELETE of the same rows, the
sweep's peak memory at N and N/10, and withdrawals per second.

The archive rows live in tables of the bench's own: copies of the archive's tables with the same layout
(partitioned by destruction month, retention.partitions), made one at a time and dropped once measured. The
sweep runs the functions retention_sweep runs (retention.services.shred) on them. The withdrawals run in a
transaction that is rolled back. The database is left as it was found.
"""

import datetime
import resource
import time
import tracemalloc
import uuid
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from members import services as members_services
from members.demo import Generator
from members.models import Course, Enrollment, Member, PaymentMethod, SensitiveIdentifier
from retention import crypto
from retention.partitions import ArchiveTables, layout_partition, month_start, months_create
from retention.routers import archive_alias
from retention.services import members_withdraw, retention_rules_load, shred
from retention.services.sweep import DEFAULT_BATCH_SIZE

AREA = "retention"
RULE = "ecommerce_payment"
CATEGORY = "대금결제 및 재화 등의 공급에 관한 기록"
PREFIX = "bench_retention_"
SUFFIXES = ("plain", "plainp", "sweep", "small")
# Members per call in the batched withdrawal measure: an officer's action over a page of selected members.
WITHDRAWAL_BATCH = 100


class _Rollback(Exception):
    pass


def _db():
    """The archive's database: the bench's tables live beside the archive's own."""
    return connections[archive_alias()]


def _q(name: str) -> str:
    return _db().ops.quote_name(name)


def _tables(suffix: str) -> ArchiveTables:
    return ArchiveTables(records=f"{PREFIX}records_{suffix}", keys=f"{PREFIX}keys_{suffix}",
                         receipts=f"{PREFIX}receipts_{suffix}")


def _create(suffix: str, rows: int, today: datetime.date, ring: str, *, partitioned: bool) -> ArchiveTables:
    """A copy of the archive's tables (the same columns, keys and indexes; partitioned by destruction month
    like the archive when `partitioned`) holding `rows` rows, half expired, spread over a year either side."""
    tables, real = _tables(suffix), ArchiveTables()
    with _db().cursor() as cursor:
        for copy, original in zip((tables.records, tables.keys, tables.receipts),
                                  (real.records, real.keys, real.receipts), strict=True):
            cursor.execute(f"CREATE TABLE {_q(copy)} (LIKE {_q(original)} INCLUDING ALL)")
        if partitioned:
            layout_partition(cursor, tables)
            months_create(cursor, tables.partitioned, month_start(today - datetime.timedelta(days=361)),
                          month_start(today + datetime.timedelta(days=361)))
        _fill(cursor, tables, rows, today, ring)
    return tables


def _fill(cursor, tables: ArchiveTables, rows: int, today: datetime.date, ring: str) -> None:
    # Synthetic ciphertexts of the real sizes: the sweep never decrypts, it destroys keys and rows.
    day = "CASE WHEN mod(i, 2) = 0 THEN %(today)s - (1 + mod(i, 360)) ELSE %(today)s + (1 + mod(i, 360)) END"
    cursor.execute(f"""
        INSERT INTO {_q(tables.keys)} (archive_key, wrapped, wrapped_by, created_at, destroy_after)
        SELECT md5(i::text) || md5((i + 1)::text), decode(repeat(md5(i::text), 4), 'hex'), %(ring)s, now(), {day}
        FROM generate_series(1, %(rows)s) AS i""", {"rows": rows, "today": today, "ring": ring})
    cursor.execute(f"""
        INSERT INTO {_q(tables.records)} (archive_key, rule, category, subject_key, source, fields, payload,
                                          trigger_date, archived_at, destroy_after)
        SELECT md5(i::text) || md5((i + 1)::text), %(rule)s, %(category)s,
               md5((i * 7)::text) || md5((i * 11)::text), 'members.Payment', '["summary"]'::jsonb,
               decode(repeat(md5(i::text), 3), 'hex'), {day}, now(), {day}
        FROM generate_series(1, %(rows)s) AS i""", {"rows": rows, "today": today, "rule": RULE, "category": CATEGORY})
    cursor.execute(f"ANALYZE {_q(tables.keys)}")
    cursor.execute(f"ANALYZE {_q(tables.records)}")


def _settle() -> str:
    """Write the copy's rows to disk before a measure, as an archive's expired rows were written months or
    years before they expire (CHECKPOINT needs a superuser or pg_checkpoint; without it the rows may still be
    dirty in memory and the drop's commit writes them out first). Says whether it could."""
    try:
        with transaction.atomic(using=archive_alias()), _db().cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        return "no CHECKPOINT privilege: rows measured while still dirty in memory"
    return "rows written to disk (CHECKPOINT) before each measure"


def _drop(suffix: str) -> None:
    tables = _tables(suffix)
    with _db().cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(tables.records)}, {_q(tables.keys)}, {_q(tables.receipts)} "
                       "CASCADE")


def _drop_all() -> None:
    """Drop every table the bench may have made, whatever step it stopped at."""
    for suffix in SUFFIXES:
        _drop(suffix)


def _plain_delete(tables: ArchiveTables, today: datetime.date) -> tuple[int, float]:
    started = time.perf_counter()
    with transaction.atomic(using=archive_alias()), _db().cursor() as cursor:
        cursor.execute(f"DELETE FROM {_q(tables.keys)} WHERE destroy_after < %s", [today])
        cursor.execute(f"DELETE FROM {_q(tables.records)} WHERE destroy_after < %s", [today])
        count = cursor.rowcount
    return count, time.perf_counter() - started


def _sweep(tables: ArchiveTables, today: datetime.date, ring: str) -> tuple[int, float]:
    """What retention_sweep runs on the archive, on the bench's tables: whole expired months dropped, then
    batches of the sweep's default size, each one transaction with its receipt. Returns (destroyed, seconds)
    and checks that the receipts (the ledger's source) count exactly what was destroyed."""
    alias, run_id, destroyed = archive_alias(), uuid.uuid4(), 0
    started = time.perf_counter()
    for counts in shred.months_drop(alias, tables, today=today, held=[], ring=[ring], run_id=run_id):
        destroyed += sum(count for _rule, _category, count in counts)
    for count in shred.rule_batches(alias, tables, rule=RULE, category=CATEGORY, today=today, held=[], ring=[ring],
                                    run_id=run_id, limit=DEFAULT_BATCH_SIZE):
        destroyed += count
    seconds = time.perf_counter() - started
    with _db().cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(count), 0) FROM {_q(tables.receipts)}")
        receipted = cursor.fetchone()[0]
    assert receipted == destroyed, (receipted, destroyed)
    return destroyed, seconds


def _measured(action: Callable[[], tuple[int, float]]) -> tuple[int, float, int, int]:
    """(count, seconds, peak Python heap, growth of the process's peak resident set) of one action."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    try:
        count, seconds = action()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, seconds, peak, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024


def _withdrawals(count: int, batch: int) -> tuple[int, float]:
    """Members with a refund course, a 주민등록번호 and a card number, withdrawn `batch` at a time (1: one by
    one, as from a member's own page); rolled back. Returns (withdrawn, seconds)."""
    generator = Generator(seed=77 + batch)
    today = timezone.localdate()
    seconds = 0.0
    try:
        with transaction.atomic(using="default"), transaction.atomic(using=archive_alias()):
            retention_rules_load()
            course = Course.objects.create(code=f"bench-{uuid.uuid4().hex[:8]}", title="bench",
                                           is_employment_insurance_refund=True, ships_textbook=True)
            members = members_services.member_bulk_create(
                rows=list(generator.member_rows(count, 90_000_000 + batch * 100_000)),
                password_hash=make_password(None))
            Enrollment.objects.bulk_create([
                Enrollment(member=m, course=course, started_on=today - datetime.timedelta(days=90),
                           ended_on=today - datetime.timedelta(days=30), payment_method=PaymentMethod.CREDIT_CARD,
                           applied_ip="203.0.113.9", shipping_address="서울특별시 구로구 디지털로 300",
                           shipping_phone="010-1234-5678") for m in members])
            SensitiveIdentifier.objects.bulk_create([
                SensitiveIdentifier(member=m, kind="rrn", value=generator.rrn(m.birth_date),
                                    legal_basis="employment_insurance_refund") for m in members])
            members = list(Member.objects.filter(pk__in=[m.pk for m in members]).order_by("pk"))
            started = time.perf_counter()
            for start in range(0, len(members), batch):
                results = members_withdraw(members=members[start:start + batch], actor=None, reason="bench")
                assert all(result.done for result in results)
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
    write(f"retention bench on PostgreSQL: {size:,} archived rows (half expired, over 24 months), "
          f"sweep batches of {DEFAULT_BATCH_SIZE:,}")
    _drop_all()
    try:
        # One copy at a time, each dropped when measured: the disk holds one copy of N rows at most.
        tables = _create("plain", size, today, ring, partitioned=False)
        settled = _settle()
        plain_count, plain_seconds = _plain_delete(tables, today)
        _drop("plain")
        tables = _create("plainp", size, today, ring, partitioned=True)
        _settle()
        plainp_count, plainp_seconds = _plain_delete(tables, today)
        _drop("plainp")
        # N/10 first, so the growth of the peak resident set at N is what N adds.
        tables = _create("small", small, today, ring, partitioned=True)
        _settle()
        small_swept, _s, small_peak, small_rss = _measured(lambda: _sweep(tables, today, ring))
        _drop("small")
        tables = _create("sweep", size, today, ring, partitioned=True)
        _settle()
        swept, sweep_seconds, peak, rss = _measured(lambda: _sweep(tables, today, ring))
    finally:
        _drop_all()
    withdrawals = min(2_000, max(200, size // 1_000))
    one, one_seconds = _withdrawals(withdrawals, 1)
    many, many_seconds = _withdrawals(withdrawals, WITHDRAWAL_BATCH)
    assert swept == plain_count == plainp_count, (swept, plain_count, plainp_count)
    rates = {"plain": plain_count / plain_seconds, "plainp": plainp_count / plainp_seconds}
    base = max(rates.values())
    sweep_rate = swept / sweep_seconds
    write(f"({settled})")
    write(f"{'measure':<64}{'value':>16}{'ratio':>8}")
    write(f"{'plain DELETE of the expired rows, unpartitioned copy':<64}{rates['plain']:>12,.0f} r/s"
          f"{rates['plain'] / base:>8.2f}")
    write(f"{'plain DELETE of the expired rows, partitioned copy':<64}{rates['plainp']:>12,.0f} r/s"
          f"{rates['plainp'] / base:>8.2f}")
    write(f"{'retention sweep (expired months dropped, then SKIP LOCKED batches)':<64}{sweep_rate:>12,.0f} r/s"
          f"{sweep_rate / base:>8.2f}")
    write(f"{f'sweep peak Python heap at N ({size:,})':<64}{peak / 1024:>12,.0f} KiB{1:>8.2f}")
    write(f"{f'sweep peak Python heap at N/10 ({small:,}, {small_swept:,} destroyed)':<64}"
          f"{small_peak / 1024:>12,.0f} KiB{small_peak / max(peak, 1):>8.2f}")
    write(f"{'growth of the peak resident set: sweep at N/10, then at N':<64}"
          f"{small_rss / 2**20:>7,.1f} / {rss / 2**20:,.1f} MiB{'':>8}")
    write(f"{f'withdrawals one by one ({one:,} members, rolled back)':<64}{one / one_seconds:>12,.0f} /s{'':>8}")
    write(f"{f'withdrawals {WITHDRAWAL_BATCH} at a time, the officer action ({many:,}, rolled back)':<64}"
          f"{many / many_seconds:>12,.0f} /s{'':>8}")
    write(f"targets: sweep at least 0.5 of the faster plain DELETE: "
          f"{'met' if sweep_rate / base >= 0.5 else 'NOT met'} ({sweep_rate / base:.2f}); "
          f"withdrawals at least 200/s: one by one {'met' if one / one_seconds >= 200 else 'NOT met'}, "
          f"{WITHDRAWAL_BATCH} at a time {'met' if many / many_seconds >= 200 else 'NOT met'}; "
          f"memory flat (heap at N within 2x of N/10): {'met' if peak <= 2 * max(small_peak, 1) else 'NOT met'}")
