"""`bench keys [--size N]`: `rotate_keys` over N members (default 100,000), each with a sensitive identifier.

Figures: rows rewritten per second; peak Python memory of the rotation at N and at N/10 (bounded batches
keep it flat); lookup latency by email in another process while the rotation runs, against the same lookups
before it (ratio).

It works in tables of its own: a PostgreSQL schema `bench_keys_<pid>` with a copy of every table the
rotation touches (CREATE TABLE ... LIKE), put first on the search_path of each connection, dropped at the end;
and under keys of its own (override_settings), so the database's data, sequences and keys are left as found.
"""

import datetime
import os
import queue
import random
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import override_settings

from members.keys import rotate_keys, rotation_targets
from members.models import DecryptionFailure, KeyCanary, Member, SensitiveIdentifier

AREA = "keys"
BATCH = 500
LOOKUPS_BEFORE = 1500
KEY_A = ("bench-field-key-a-0f1e2d3c4b5a69788796a5b4c3d2", "bench-index-key-a-9a8b7c6d5e4f3a2b1c0d1e2f3a4b")
KEY_B = ("bench-field-key-b-7a6b5c4d3e2f1a0b9c8d7e6f5a4b", "bench-index-key-b-1b2c3d4e5f60718293a4b5c6d7e8")
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "도윤", "하은", "시우", "지민", "예준", "수아", "주원", "지호", "길동", "영희"]


def _keys(sealing: tuple[str, str], old: tuple[str, str] | None = None) -> override_settings:
    return override_settings(FIELD_ENCRYPTION_KEY=sealing[0], BLIND_INDEX_KEY=sealing[1],
                             FIELD_ENCRYPTION_OLD_KEYS=[old[0]] if old else [],
                             BLIND_INDEX_OLD_KEYS=[old[1]] if old else [])


def _use_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {schema}, public")


def _create_schema(schema: str) -> None:
    tables = {t.model._meta.db_table for t in rotation_targets()}
    tables |= {KeyCanary._meta.db_table, DecryptionFailure._meta.db_table}
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
        for table in sorted(tables):
            cursor.execute(f'CREATE TABLE {schema}."{table}" (LIKE public."{table}" INCLUDING ALL)')
    _use_schema(schema)


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO DEFAULT")
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _seed(count: int, write: Callable[[str], None]) -> list[str]:
    """`count` members with every personal field filled, each with one 주민등록번호, sealed under KEY_A."""
    password, rng, emails = make_password(None), random.Random(count), []
    started = time.perf_counter()
    for first in range(0, count, 2000):
        members = []
        for n in range(first, min(count, first + 2000)):
            email = f"bench.member{n}@hangyeol-it.co.kr"
            emails.append(email)
            members.append(Member(
                login_id=f"bench{n:07d}", password=password, email=email,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN), mobile=f"010-{n // 10000 % 10000:04d}-{n % 10000:04d}",
                company_name="한결정보기술", department="전략기획팀", job_title="과장", employee_number=f"E{n:08d}",
                company_phone="02-2163-5700", birth_date=datetime.date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                home_address="서울특별시 마포구 월드컵북로 400", home_phone="02-3153-1234",
                ipin_ci=f"{n:010d}" + "C" * 76 + "==", ipin_di=f"{n:010d}" + "D" * 54))
        Member.objects.bulk_create(members, batch_size=1000)
        SensitiveIdentifier.objects.bulk_create(
            [SensitiveIdentifier(member=m, kind="rrn", legal_basis="employment_insurance_refund",
                                 value=f"{m.birth_date:%y%m%d}-1{m.pk % 1000000:06d}") for m in members],
            batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    write(f"  seeded {count:,} members and {count:,} identifiers in {time.perf_counter() - started:,.1f} s")
    return emails


def _lookups(schema: str, emails: list[str], limit: int | None, stop, out) -> None:
    """On a connection of its own (as a web worker's is): look members up by email, timing each lookup."""
    _use_schema(schema)
    rng, samples = random.Random(7), []
    while (limit is None and not stop.is_set()) or (limit is not None and len(samples) < limit):
        email = rng.choice(emails)
        started = time.perf_counter()
        found = Member.objects.by_email(email).first()
        samples.append(time.perf_counter() - started)
        if found is None:
            out.send(("missing", email))
            return
    out.send(("ok", samples))
    connections.close_all()


def _run_lookups(schema: str, emails: list[str], *, limit: int | None, during: Callable[[], object] | None):
    """The lookups run in a thread with a database connection of its own (a forked process deadlocks when
    the parent has threads, as a test runner does), while `during` runs here."""
    stop, results = threading.Event(), queue.Queue()

    class _Pipe:
        send = staticmethod(results.put)

    lookups = threading.Thread(target=_lookups, args=(schema, emails, limit, stop, _Pipe), daemon=True)
    lookups.start()
    _use_schema(schema)
    result = None
    if during is not None:
        time.sleep(0.5)  # the other connection is looking up before the rotation starts
        result = during()
        stop.set()
    try:
        status, samples = results.get(timeout=600)
    except queue.Empty as error:
        raise CommandError("the lookups did not finish within 10 minutes") from error
    lookups.join(timeout=60)
    if status != "ok":
        raise CommandError(f"a lookup found no member for {samples!r}")
    return samples, result


def _rotate(traced: bool) -> tuple[float, int, int]:
    """Seconds, rows rewritten, peak traced bytes (0 when not traced)."""
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    summary = rotate_keys(batch_size=BATCH)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    if not summary.finished or summary.undecryptable or summary.index_clashes:
        raise CommandError(f"the rotation did not finish cleanly: {summary}")
    return seconds, summary.rewritten, peak


def _ms(samples: list[float], quantile: float = 0.5) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1e3


def run(size: int, write: Callable[[str], None]) -> None:
    if connection.vendor != "postgresql":
        raise CommandError("bench keys needs PostgreSQL (it works in a schema of its own)")
    small = max(1, size // 10)
    schema = f"bench_keys_{os.getpid()}"
    write(f"keys bench on {connection.vendor}: rotate_keys over {size:,} members with one identifier each "
          f"(and over {small:,} for the memory comparison), batches of {BATCH}")
    try:
        # N/10: peak memory only
        _create_schema(schema)
        with _keys(KEY_A):
            _seed(small, write)
        with _keys(KEY_B, old=KEY_A):
            _small_seconds, _small_rows, small_peak = _rotate(traced=True)
        _drop_schema(schema)

        # N: rate and lookups during the rotation, untraced; then back to the first keys, traced, for memory
        _create_schema(schema)
        with _keys(KEY_A):
            emails = _seed(size, write)
            before_single, _ = _run_lookups(schema, emails, limit=LOOKUPS_BEFORE, during=None)
        with _keys(KEY_B, old=KEY_A):
            before_ring, _ = _run_lookups(schema, emails, limit=LOOKUPS_BEFORE, during=None)
            during, (seconds, rows, _peak) = _run_lookups(schema, emails, limit=None,
                                                          during=lambda: _rotate(traced=False))
        with _keys(KEY_A, old=KEY_B):
            _back_seconds, _back_rows, peak = _rotate(traced=True)
    finally:
        _drop_schema(schema)
    write(f"{'measure':<58}{'value':>16}{'ratio':>10}")
    write(f"{'rotation: rows rewritten per second (members + identifiers)':<58}{rows / seconds:>13,.0f} /s"
          f"{'':>10}")
    write(f"{'  rows rewritten, seconds':<58}{rows:>10,} {seconds:>5.1f}{'':>10}")
    write(f"{f'peak memory of the rotation at N/10 = {small:,}':<58}{small_peak / 2**20:>12.1f} MiB{1:>10.2f}")
    write(f"{f'peak memory of the rotation at N = {size:,}':<58}{peak / 2**20:>12.1f} MiB"
          f"{peak / small_peak:>10.2f}")
    base = _ms(before_single)
    write(f"{'lookup by email before (one key), median':<58}{base:>13.3f} ms{1:>10.2f}")
    write(f"{'lookup by email before, old and new keys in the ring, median':<58}{_ms(before_ring):>13.3f} ms"
          f"{_ms(before_ring) / base:>10.2f}")
    write(f"{f'lookup by email during the rotation, median ({len(during):,} lookups)':<58}{_ms(during):>13.3f} ms"
          f"{_ms(during) / base:>10.2f}")
    write(f"{'lookup by email before (one key), 95th percentile':<58}{_ms(before_single, 0.95):>13.3f} ms"
          f"{1:>10.2f}")
    write(f"{'lookup by email during the rotation, 95th percentile':<58}{_ms(during, 0.95):>13.3f} ms"
          f"{_ms(during, 0.95) / _ms(before_single, 0.95):>10.2f}")
    flat = "flat" if peak <= 1.5 * small_peak else "NOT flat"
    write(f"memory at N against N/10: {flat}; every lookup during the rotation found its member "
          f"(median {statistics.median(during) * 1e3:.3f} ms)")
