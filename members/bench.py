"""`bench members`: insert rate, blind-index lookup against a plaintext indexed column, decrypting a page.

Everything runs in one transaction that is rolled back, so the database is left as it was.
"""

import random
import statistics
import time
from collections.abc import Callable
from itertools import cycle

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from members import services
from members.demo import Generator
from members.encryption import EncryptedFieldMixin, blind_index
from members.models import Member

AREA = "members"
LOOKUPS = 2000
PAGES = 50


class _Rollback(Exception):
    pass


def _per_call(action: Callable[[], object], repeat: int) -> float:
    """Median seconds per call over `repeat` calls (after a warm-up)."""
    for _ in range(min(50, repeat)):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run(size: int, write: Callable[[str], None]) -> None:
    generator = Generator(seed=4242)
    rows: list[tuple[str, str]] = []
    try:
        with transaction.atomic():
            started = time.perf_counter()
            created = 0
            while created < size:
                batch = list(generator.member_rows(min(5000, size - created), 10_000_000 + created))
                services.member_bulk_create(rows=batch, password_hash=make_password(None), batch_size=1000)
                rows.extend((row["email"], row["login_id"]) for row in batch)
                created += len(batch)
            insert_seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                # The baseline: the same emails in a plaintext column with an ordinary index.
                cursor.execute("CREATE TEMPORARY TABLE bench_plain_email (id bigint PRIMARY KEY, email varchar(254))")
                cursor.executemany("INSERT INTO bench_plain_email VALUES (%s, %s)",
                                   [(n, email.lower()) for n, (email, _) in enumerate(rows)])
                cursor.execute("CREATE INDEX bench_plain_email_idx ON bench_plain_email (email)")
                cursor.execute("ANALYZE bench_plain_email" if connection.vendor == "postgresql" else "ANALYZE")
                if connection.vendor == "postgresql":
                    cursor.execute("ANALYZE members_member")
                picks = [email for email, _ in random.Random(1).sample(rows, min(LOOKUPS, len(rows)))]
                queue = cycle(picks)

                def plain() -> object:
                    cursor.execute("SELECT id FROM bench_plain_email WHERE email = %s", [next(queue).lower()])
                    return cursor.fetchone()

                def blind() -> object:
                    cursor.execute("SELECT id FROM members_member WHERE email_index = %s",
                                   [blind_index("email", next(queue))])
                    return cursor.fetchone()

                plain_seconds = _per_call(plain, len(picks))
                blind_seconds = _per_call(blind, len(picks))
            orm_seconds = _per_call(lambda: Member.objects.by_email(random.choice(picks)).get(), 500)
            page_ids = list(Member.objects.order_by("-pk").values_list("pk", flat=True)[: 100 * PAGES])
            encrypted = [f.attname for f in Member._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]
            pages = cycle([page_ids[i : i + 100] for i in range(0, len(page_ids), 100)])
            page_seconds = _per_call(lambda: list(Member.objects.filter(pk__in=next(pages))), PAGES)
            cipher_only = _per_call(lambda: list(Member.objects.filter(pk__in=next(pages)).only("pk")), PAGES)
            raise _Rollback
    except _Rollback:
        pass
    write(f"members bench on {connection.vendor}: {size:,} members, {len(encrypted)} encrypted fields each")
    write(f"{'measure':<46}{'value':>14}{'ratio':>10}")
    write(f"{'insert (bulk, validated, encrypted)':<46}{size / insert_seconds:>10,.0f} /s{'':>10}")
    write(f"{'lookup by email, plaintext indexed column':<46}{plain_seconds * 1e6:>11,.0f} µs{1:>10.2f}")
    write(f"{'lookup by email, blind index (HMAC + index)':<46}{blind_seconds * 1e6:>11,.0f} µs"
          f"{blind_seconds / plain_seconds:>10.2f}")
    write(f"{'  same through the ORM (Member.objects.by_email)':<46}{orm_seconds * 1e6:>11,.0f} µs"
          f"{orm_seconds / plain_seconds:>10.2f}")
    write(f"{'100-row page, primary keys only':<46}{cipher_only * 1e3:>11.2f} ms{1:>10.2f}")
    write(f"{'100-row page, every field decrypted':<46}{page_seconds * 1e3:>11.2f} ms"
          f"{page_seconds / cipher_only:>10.2f}")
    write(f"{'  decryption alone (difference)':<46}{(page_seconds - cipher_only) * 1e3:>11.2f} ms{'':>10}")
    target_lookup = "met" if blind_seconds <= 1.5 * plain_seconds else "NOT met"
    target_page = "met" if page_seconds - cipher_only < 0.010 else "NOT met"
    write(f"targets: blind-index lookup within 1.5x of plaintext: {target_lookup}; "
          f"100-row page decrypts in under 10 ms: {target_page}")
