"""`bench consents`: sign-ups per second with every item recorded and their query count, the current-consent
selector for 10,000 members, and the 2-year re-confirmation sweep over `--size` members (throughput, memory).

On PostgreSQL everything runs in a schema of its own (copies of the tables, found first on the search_path),
dropped at the end: the main tables get no rows, not even dead ones. On SQLite it runs in a transaction that
is rolled back.
"""

import contextlib
import datetime
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from consents import marketing, selectors, services
from consents.loading import policy_load
from consents.models import ConsentItem, ConsentRecord, ConsentText, MarketingNotice, PolicyVersion
from consents.texts import consent_text, sha256
from members import services as member_services
from members.demo import Generator
from members.models import Member

AREA = "consents"
SCHEMA = "bench_consents"
SIGNUPS = 10
SELECTOR_MEMBERS = 10_000
EXTRA_ITEMS = 20
SWEEP_BATCH = 1000
TABLES = ["members_member", "members_sensitiveidentifier", "consents_policyversion", "consents_consentitem",
          "consents_consenttext", "consents_consentrecord", "consents_guardianconsent", "consents_marketingnotice"]


class _Rollback(Exception):
    pass


class CountingSmsSender:
    """Counts messages instead of logging 100,000 lines (the bench measures the sweep, not a gateway)."""

    sent = 0

    def send(self, *, to: str, body: str) -> None:
        CountingSmsSender.sent += 1


@contextlib.contextmanager
def _own_tables() -> Iterator[None]:
    if connection.vendor != "postgresql":
        try:
            with transaction.atomic():
                yield
                raise _Rollback
        except _Rollback:
            return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        for table in TABLES:
            cursor.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL)")
        cursor.execute(f"SET search_path TO {SCHEMA}, public")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET search_path")
            cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")


def _sign_up_kwargs(generator: Generator, serial: int) -> dict:
    row = generator.member_row(serial)
    items = selectors.signup_items()
    return {"member_fields": {key: row.get(key, "") for key in
                              ("login_id", "name", "email", "mobile", "birth_date", "company_name", "department",
                               "job_title", "employee_number", "company_phone")},
            "password": "bench-Passphrase-2023", "decisions": {item.code: True for item in items},
            "shown": {item.code: sha256(consent_text(item, "ko")) for item in items},
            "policy_version": selectors.current_version().pk, "ip": "203.0.113.9", "user_agent": "bench"}


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _members(generator: Generator, count: int, first_serial: int) -> list[int]:
    password = make_password(None)
    ids: list[int] = []
    while len(ids) < count:
        rows = list(generator.member_rows(min(5000, count - len(ids)), first_serial + len(ids)))
        ids += [m.pk for m in member_services.member_bulk_create(rows=rows, password_hash=password)]
    return ids


def _marketing_records(member_ids: list[int], granted_at: datetime.datetime) -> None:
    """Each member's email, SMS and night marketing decision (about half granted), written in bulk."""
    version = PolicyVersion.objects.current()
    items = list(ConsentItem.objects.filter(code__in=marketing.MARKETING_CODES))
    texts = {item.code: consent_text(item, "ko") for item in items}
    ConsentText.objects.bulk_create([ConsentText(sha256=sha256(t), text=t) for t in texts.values()],
                                    ignore_conflicts=True)
    for start in range(0, len(member_ids), 5000):
        ConsentRecord.objects.bulk_create([
            ConsentRecord(member_id=member_id, item=item, policy_version=version, granted=(member_id + n) % 2 == 0,
                          recorded_at=granted_at, channel="import", text_id=sha256(texts[item.code]))
            for member_id in member_ids[start:start + 5000] for n, item in enumerate(items)], batch_size=5000)


def _sweep(today: datetime.date, max_batches: int | None = None) -> tuple[int, int]:
    created, after, more, batches = 0, 0, True, 0
    while more and (max_batches is None or batches < max_batches):
        count, after, more = marketing.marketing_reconfirmation_batch(after_pk=after, batch_size=SWEEP_BATCH,
                                                                      today=today)
        created += count
        batches += 1
    return created, batches


def run(size: int, write: Callable[[str], None]) -> None:
    generator = Generator(seed=6060)
    figures: dict[str, float] = {}
    with _own_tables(), override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
                                          SMS_SENDER="consents.bench.CountingSmsSender"):
        policy_load(schedule=False, registries=False)  # consents' own tables only, in the bench schema
        items = len(selectors.signup_items())
        # Sign-ups: the consent service against member_create alone (the baseline), same password hashing.
        plain = [_sign_up_kwargs(generator, 1_000 + n)["member_fields"] for n in range(SIGNUPS)]
        signups = [_sign_up_kwargs(generator, 2_000 + n) for n in range(SIGNUPS)]
        figures["member_create"] = _timed(lambda: [member_services.member_create(
            password="bench-Passphrase-2023", **fields) for fields in plain])
        figures["sign_up"] = _timed(lambda: [services.member_sign_up(**kwargs) for kwargs in signups])
        with CaptureQueriesContext(connection) as few:
            services.member_sign_up(**_sign_up_kwargs(generator, 3_000))
        version = PolicyVersion.objects.current()
        for n in range(EXTRA_ITEMS):
            ConsentItem.objects.create(code=f"bench_{n}", kind="collection", title_ko=f"벤치 {n}", title_en=f"b{n}",
                                       purpose_ko="-", purpose_en="-", items_ko="-", items_en="-", retention_ko="-",
                                       retention_en="-", refusal_ko="-", refusal_en="-", introduced_in=version)
        with CaptureQueriesContext(connection) as many:
            services.member_sign_up(**_sign_up_kwargs(generator, 3_001))
        # Out of force again (moved to a draft), so the rest of the bench records the seed items only.
        draft = PolicyVersion.objects.create(version="bench-draft", effective_at=timezone.now())
        ConsentItem.objects.filter(code__startswith="bench_").update(introduced_in=draft)
        # The selector for 10,000 members, each with every item recorded.
        # Their consents date from just under two years ago, so the sweep below finds them due.
        granted_at = timezone.now() - datetime.timedelta(days=2 * 365 - 10)
        selector_ids = _members(generator, min(size, SELECTOR_MEMBERS), 10_000)
        imported = list(Member.objects.filter(pk__in=selector_ids).only("pk"))
        for member in imported:
            member.date_joined = granted_at
        services.consents_import(members=imported)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE consents_consentrecord")
        with CaptureQueriesContext(connection) as selector_queries:
            started = time.perf_counter()
            state = selectors.current_consents(selector_ids)
            figures["selector"] = time.perf_counter() - started
        figures["plain"] = _timed(lambda: list(ConsentRecord.objects.filter(member__in=selector_ids)
                                               .annotate(code=F("item__code"))))
        # The re-confirmation sweep over `size` members with marketing decisions made two years ago.
        more_ids = _members(generator, max(0, size - len(selector_ids)), 100_000)
        _marketing_records(more_ids, granted_at)
        sweep_ids = selector_ids + more_ids
        MarketingNotice.objects.all().delete()
        today = timezone.localdate()
        started = time.perf_counter()
        notices, batches = _sweep(today)
        figures["sweep"] = time.perf_counter() - started
        started = time.perf_counter()
        again, _batches = _sweep(today)
        figures["sweep_again"] = time.perf_counter() - started
        # Memory, traced apart (tracemalloc slows Python down): what stays allocated after 10% and after 30% of
        # the batches (flat when nothing accumulates), and the highest peak of any single batch.
        small = max(1, batches // 10)
        large = min(batches, 3 * small)
        MarketingNotice.objects.all().delete()
        retained, batch_peak, after = {}, 0, 0
        tracemalloc.start()
        for number in range(1, large + 1):
            tracemalloc.reset_peak()
            _count, after, _more = marketing.marketing_reconfirmation_batch(after_pk=after, batch_size=SWEEP_BATCH,
                                                                            today=today)
            current, peak = tracemalloc.get_traced_memory()
            batch_peak = max(batch_peak, peak)
            if number in (small, large):
                retained[number] = current
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def row(label: str, value: str, ratio: float | None = None) -> None:
        write(f"{label:<60}{value:>16}{'' if ratio is None else f'{ratio:.2f}':>9}")

    write(f"consents bench on {connection.vendor}: {items} sign-up items, {SIGNUPS} sign-ups, "
          f"{len(state):,} members for the selector, {len(sweep_ids):,} for the sweep")
    row("measure", "value", None)
    row("sign-up, member_create alone (Argon2; baseline)", f"{SIGNUPS / figures['member_create']:.2f} /s", 1)
    row("sign-up with every consent recorded (member_sign_up)", f"{SIGNUPS / figures['sign_up']:.2f} /s",
        figures["member_create"] / figures["sign_up"])
    row(f"queries of one sign-up, {items} items", str(len(few)), 1)
    row(f"queries of one sign-up, {items + EXTRA_ITEMS} items", str(len(many)), len(many) / len(few))
    row(f"all records of {len(selector_ids):,} members, plain fetch (baseline)", f"{figures['plain'] * 1e3:,.0f} ms",
        1)
    row(f"current consents of {len(selector_ids):,} members (selector)", f"{figures['selector'] * 1e3:,.0f} ms",
        figures["selector"] / figures["plain"])
    row("  queries the selector ran", str(len(selector_queries)))
    row(f"re-confirmation sweep, {len(sweep_ids):,} members, {batches} batches",
        f"{len(sweep_ids) / figures['sweep']:,.0f} members/s")
    row("  notices recorded and sent", f"{notices:,}")
    row("  second run (nothing new to send; idempotent)", f"{len(sweep_ids) / figures['sweep_again']:,.0f} members/s",
        figures["sweep"] / figures["sweep_again"])
    row("  notices recorded by the second run", str(again))
    row(f"  memory retained after {small} batches (baseline)", f"{retained[small] / 2**20:.2f} MB", 1)
    row(f"  memory retained after {large} batches", f"{retained[large] / 2**20:.2f} MB",
        retained[large] / retained[small])
    row("  peak memory of any one batch (tracemalloc)", f"{batch_peak / 2**20:.1f} MB")
    row("  peak RSS of the whole bench process", f"{rss:,.0f} MB")
    target_queries = "met" if len(many) == len(few) else "NOT met"
    target_selector = "met" if len(selector_queries) == 1 else "NOT met"
    target_memory = "met" if retained[large] <= 1.2 * retained[small] else "NOT met"
    write(f"targets: sign-up query count independent of the number of items: {target_queries}; "
          f"selector in one query: {target_selector}; sweep memory flat: {target_memory}")
