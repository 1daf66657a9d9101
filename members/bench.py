"""`bench members [--size N]`: demo data at N/10 and N, lookups, the officer's member list and search, sign-ups.

Everything runs in a PostgreSQL schema of its own (`bench_members`): each table of the project's apps is
copied empty into it (`CREATE TABLE … (LIKE … INCLUDING ALL)`), the connection's search_path puts it first,
and the schema is dropped at the end, so the main tables get no rows, no dead rows and no bloat. The query
log is off for the run. The baseline is an unencrypted copy of the member model (same columns in plaintext,
ordinary indexes on email, login ID and mobile) in the same schema, used through the ORM and through the same
admin: registered for the run on the project's admin site with MemberAdmin itself (same columns, masks, filters,
paging, and the search box's POST and q_token), so that only the model differs.
"""

import multiprocessing
import random
import resource
import statistics
import time
from collections.abc import Callable
from importlib import import_module
from io import StringIO
from itertools import cycle

from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, models, transaction
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import include, path, reverse, set_urlconf
from django_cryptography.fields import EncryptedMixin

from members import bulk, demo_workers, services
from members.demo import Generator
from members.encryption import NORMALIZERS, BlindIndexField, EncryptedFieldMixin, blind_index
from members.models import Member

AREA = "members"
DEFAULT_SIZE = 1_000_000
SCHEMA = "bench_members"
LOOKUPS = 2000
# The 95th percentile of 600 calls is the 30th slowest: one busy moment does not make it.
LIST_SAMPLES = 600
SIGN_UPS = 1000
SIGN_UP_STREAMS = 2


def _per_call(action: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call over `repeat` calls, after a warm-up."""
    for _ in range(min(20, repeat)):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def _alternating(first: Callable[[], object], second: Callable[[], object], repeat: int) -> tuple[list, list]:
    """Seconds per call of two actions measured turn about, so that a busy moment on a shared machine falls
    on both alike; which of the two goes first in a turn is drawn, so neither always runs on the other's
    warmed (or evicted) caches."""
    for _ in range(min(10, repeat)):
        first(), second()
    samples: tuple[list, list] = ([], [])
    turn = [(first, samples[0]), (second, samples[1])]
    for _ in range(repeat):
        random.shuffle(turn)
        for action, into in turn:
            started = time.perf_counter()
            action()
            into.append(time.perf_counter() - started)
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


def _peak_mb() -> float:
    """The largest resident set of this process or of any finished worker it started (demo_data's)."""
    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


# --- the bench's own tables -------------------------------------------------------------------------------

class BenchSchema:
    """A schema holding empty copies of the project's tables, first on the search_path while it is open."""

    def __enter__(self) -> "BenchSchema":
        with connection.cursor() as cursor:
            cursor.execute("SHOW search_path")
            self.search_path = cursor.fetchone()[0]
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")  # a run killed half-way
            cursor.execute(f"CREATE SCHEMA {SCHEMA}")
            for table in bulk.project_tables():
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"CREATE TABLE {SCHEMA}.{quoted} (LIKE public.{quoted} INCLUDING ALL)")
            cursor.execute(f"SET search_path TO {SCHEMA}, public")
        return self

    def __exit__(self, *exc_info: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('search_path', %s, false)", [self.search_path])
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


# --- the unencrypted copy of the model --------------------------------------------------------------------

class PlainMemberQuerySet(models.QuerySet):
    """MemberQuerySet's lookups on plaintext columns: login ID and email held as their blind indexes
    normalise them (NFKC, lower case), so an equality on an ordinary index finds them."""

    def by_login_id(self, login_id: str) -> "PlainMemberQuerySet":
        value = NORMALIZERS["login_id"](login_id or "")
        return self.filter(login_id=value) if value else self.none()

    def by_email(self, email: str) -> "PlainMemberQuerySet":
        value = NORMALIZERS["email"](email or "")
        return self.filter(email=value) if value else self.none()

    def by_mobile(self, mobile: str) -> "PlainMemberQuerySet":
        value = (mobile or "").strip()
        return self.filter(mobile=value) if value else self.none()


def _plain_model() -> type[models.Model]:
    """Member's columns in plaintext (encrypted fields become their plain Django field, blind indexes are
    dropped), with ordinary indexes on the values that are looked up; registered in an Apps of its own."""
    attrs: dict[str, object] = {"__module__": __name__, "objects": PlainMemberQuerySet.as_manager()}
    for field in Member._meta.concrete_fields:
        if isinstance(field, BlindIndexField):
            continue
        if isinstance(field, EncryptedFieldMixin):
            plain_class = next(base for base in type(field).__mro__[1:]
                               if issubclass(base, models.Field) and not issubclass(base, EncryptedMixin))
            name, _path, args, kwargs = field.deconstruct()
            kwargs.pop("validators", None)
            attrs[name] = plain_class(*args, **kwargs)
        else:
            attrs[field.name] = field.clone()
    attrs["Meta"] = type("Meta", (), {
        "app_label": "members", "db_table": "bench_plain_member", "apps": Apps(), "verbose_name": "plain member",
        "indexes": [models.Index(fields=["mobile"], name="bench_plain_mobile")],
        "constraints": [models.UniqueConstraint(fields=["login_id"], name="bench_plain_login_id"),
                        models.UniqueConstraint(fields=["email"], name="bench_plain_email")],
    })
    return type("PlainMember", (models.Model,), attrs)


def _fill_plain(plain: type[models.Model], size: int) -> None:
    """The same kind of rows as the demo data, in plaintext (email normalised, as a lookup would use it)."""
    generator = Generator(seed=4242)
    fields = [f for f in plain._meta.concrete_fields if not f.primary_key]
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(plain._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields))
    password = make_password(None)
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for serial in range(1, size + 1):
            row = generator.member_row(serial)
            row["email"] = NORMALIZERS["email"](row["email"])
            instance = plain(password=password, **row)
            copy.write_row([field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {plain._meta.db_table}")


def _register_plain(plain: type[models.Model]) -> admin.ModelAdmin:
    """The member list's twin: the plaintext model registered on the project's admin site with the very class
    that serves members (MemberAdmin as the site wrapped it, with the actions other apps added to it), so the
    site's guards (declared filters only, the search box's POST and q_token) and the page are alike."""
    admin.site.register(plain, type(admin.site._registry[Member]))
    return admin.site._registry[plain]


class _BenchUrls:
    """A URLconf with the project's admin (the twin included) and the admin's language switch."""

    def __init__(self) -> None:
        self.urlpatterns = [path("admin/", admin.site.urls), path("i18n/", include("django.conf.urls.i18n"))]


# --- the run ----------------------------------------------------------------------------------------------

def _demo(members: int) -> tuple[float, float]:
    """Members per second of `demo_data --members N` and the process's peak memory (MB) after it."""
    started = time.perf_counter()
    call_command("demo_data", members=members, verbosity=0, stdout=StringIO(), stderr=StringIO())
    return members / (time.perf_counter() - started), _peak_mb()


def run(size: int, write: Callable[[str], None]) -> None:
    if connection.vendor != "postgresql":
        raise CommandError("bench members measures PostgreSQL (COPY, pg_class estimates): set DATABASE_URL.")
    results: dict[str, object] = {}
    with bulk.query_log_off(), BenchSchema():
        # The policy first, as `make run` loads it: demo members then get their consent records (12 each).
        call_command("load_policy", verbosity=0, stdout=StringIO(), stderr=StringIO())
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM consents_consentitem")
            results["consent_items"] = cursor.fetchone()[0]
        results["row_checks_skipped"] = bulk.row_checks_skippable(django_apps.get_model("consents", "ConsentRecord"))
        small = max(1, size // 10)
        results["demo_small"] = _demo(small)
        results["demo_large"] = _demo(size - small) if size > small else results["demo_small"]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")
        plain = _plain_model()
        with connection.schema_editor() as editor:
            editor.create_model(plain)
        _fill_plain(plain, Member.objects.count())
        # The demo data's and the copy's write-back (gigabytes at 1,000,000 members) is done before anything is
        # timed: the server's background writes would otherwise land on whichever page or INSERT is timed then.
        results["settled"] = _settle()
        results |= _lookups(plain)
        # A small run (a test's) takes fewer samples: its figures mean little anyway.
        results |= _member_list(plain, results.pop("search_terms"), results.pop("plain_terms"),
                                LIST_SAMPLES if size >= 10_000 else 20)
        _settle()  # the sign-ups start right after a CHECKPOINT, as before: a first touch of a page writes it whole
        results |= _sign_ups(size)
    _report(size, results, write)


def _lookups(plain: type[models.Model]) -> dict[str, object]:
    # A random sample without ORDER BY random() over the whole table: random keys, then the rows.
    top = Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    keys = random.Random(1).sample(range(1, top + 1), min(LOOKUPS * 2, top))
    # Read through the model: an encrypted column's raw value is a token sealed to its row.
    sample = [member.email for member in
              Member.objects.filter(pk__in=keys, is_staff=False).only("email", "seal")[:LOOKUPS]]
    plain_emails = list(plain.objects.filter(pk__in=keys).values_list("email", flat=True)[:LOOKUPS])
    encrypted_queue, plain_queue = cycle(sample), cycle(plain_emails)
    with connection.cursor() as cursor:
        def raw_plain() -> object:
            cursor.execute("SELECT id FROM bench_plain_member WHERE email = %s", [next(plain_queue)])
            return cursor.fetchone()

        def raw_blind() -> object:
            cursor.execute("SELECT id FROM members_member WHERE email_index = %s",
                           [blind_index("email", next(encrypted_queue))])
            return cursor.fetchone()

        raw_plain_s = statistics.median(_per_call(raw_plain, len(plain_emails)))
        raw_blind_s = statistics.median(_per_call(raw_blind, len(sample)))
    orm_blind, orm_plain = _alternating(lambda: Member.objects.by_email(next(encrypted_queue)).get(),
                                        lambda: plain.objects.by_email(next(plain_queue)).get(), 1000)
    orm_blind_s, orm_plain_s = statistics.median(orm_blind), statistics.median(orm_plain)
    return {"raw_plain": raw_plain_s, "raw_blind": raw_blind_s, "orm_blind": orm_blind_s, "orm_plain": orm_plain_s,
            "search_terms": sample[:LIST_SAMPLES], "plain_terms": plain_emails[:LIST_SAMPLES]}


def _member_list(plain: type[models.Model], terms: list[str], plain_terms: list[str],
                 samples: int = LIST_SAMPLES) -> dict[str, object]:
    """The officer's member list (first pages, rendered) and an exact search as a browser makes it (the term
    POSTed to the search box, then the list read back by its q_token, rendered), against the same pages of
    the same admin on the plaintext copy."""
    plain_admin = _register_plain(plain)
    member_admin = admin.site._registry[Member]
    officer = Member(is_staff=True, is_superuser=True, status=Member.Status.ACTIVE)
    factory = RequestFactory()
    pages = max(1, min(5, Member.objects.count() // member_admin.list_per_page))  # the first pages
    set_urlconf(_BenchUrls())
    try:
        def request_for(model_admin: admin.ModelAdmin, request: HttpRequest, session: SessionBase) -> HttpRequest:
            request.user, request.session, request.current_app = officer, session, model_admin.admin_site.name
            return request

        def page(model_admin: admin.ModelAdmin) -> Callable[[], object]:
            url = reverse(f"admin:members_{model_admin.opts.model_name}_changelist")
            session = import_module(settings.SESSION_ENGINE).SessionStore()

            def show() -> object:
                request = request_for(model_admin, factory.get(url, {"p": random.randrange(1, pages + 1)}), session)
                return model_admin.changelist_view(request).render()
            return show

        def search(model_admin: admin.ModelAdmin, terms: list[str]) -> Callable[[], object]:
            queue = cycle(terms)
            url = reverse(f"admin:members_{model_admin.opts.model_name}_search")
            session = import_module(settings.SESSION_ENGINE).SessionStore()

            def find() -> object:
                posted = model_admin.search_view(request_for(model_admin, factory.post(url, {"q": next(queue)}),
                                                             session))
                request = request_for(model_admin, factory.get(posted["Location"]), session)
                return model_admin.changelist_view(request).render()
            return find

        list_encrypted, list_plain = _alternating(page(member_admin), page(plain_admin), samples)
        search_encrypted, search_plain = _alternating(search(member_admin, terms), search(plain_admin, plain_terms),
                                                      samples)
        return {"list_encrypted": list_encrypted, "list_plain": list_plain,
                "search_encrypted": search_encrypted, "search_plain": search_plain}
    finally:
        set_urlconf(None)
        admin.site.unregister(plain)


def _sign_ups(size: int) -> dict[str, object]:
    """member_create without a password hash, each in its own transaction, as a sign-up is."""
    count = min(SIGN_UPS, max(100, size))
    generator = Generator(seed=99)
    rows = [generator.member_row(90_000_000 + n) for n in range(count)]
    started = time.perf_counter()
    for row in rows:
        services.member_create(password=None, **row)
    single = count / (time.perf_counter() - started)
    rows = [generator.member_row(92_000_000 + n) for n in range(count)]
    started = time.perf_counter()
    with transaction.atomic():  # the same calls without a commit (and its fsync) each
        for row in rows:
            services.member_create(password=None, **row)
    no_commit = count / (time.perf_counter() - started)
    rows = [generator.member_row(91_000_000 + n) for n in range(count)]
    started = time.perf_counter()
    with transaction.atomic():
        services.member_bulk_create(rows=rows, password_hash=make_password(None))
    bulk_rate = count / (time.perf_counter() - started)
    return {"sign_up": single, "sign_up_no_commit": no_commit, "bulk": bulk_rate, "commit_ceiling": _commits(count),
            "sign_up_streams": _sign_ups_side_by_side(generator, count),
            "prepare_threshold": getattr(connection.connection, "prepare_threshold", None)}


def _sign_ups_side_by_side(generator: Generator, count: int) -> float | None:
    """Sign-ups per second of SIGN_UP_STREAMS processes side by side (a web server's workers, one per core),
    each calling member_create in its own transaction on its own connection: the count of all of them over the
    time from the first start to the last end. None inside a transaction (a test's), whose schema the other
    processes' connections cannot see."""
    if connection.in_atomic_block:
        return None
    per_stream = count
    jobs = [[generator.member_row(93_000_000 + stream * per_stream + n) for n in range(per_stream)]
            for stream in range(SIGN_UP_STREAMS)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        search_path = cursor.fetchone()[0]
    pool = multiprocessing.get_context("spawn").Pool(
        SIGN_UP_STREAMS, demo_workers.start, (search_path, connection.settings_dict["NAME"]))
    try:
        # Each process sets Django up, warms up, then waits for the common start (a late one only lowers the rate).
        start_at = time.time() + 5
        jobs = [(rows, [generator.member_row(94_000_000 + stream * 100 + n) for n in range(20)], start_at)
                for stream, rows in enumerate(jobs)]
        results = pool.map(demo_workers.sign_ups, jobs, chunksize=1)
        pool.close()
        pool.join()
    finally:
        pool.terminate()
    done = sum(result[0] for result in results)
    return done / (max(result[2] for result in results) - min(result[1] for result in results))


def _settle() -> bool:
    """A CHECKPOINT before anything is timed, so that the server's write-back of the demo data just loaded
    (gigabytes at 1,000,000 members) does not land on the pages and commits measured. Only a superuser (or a member of
    pg_checkpoint) may ask for one; without it the figures say so. Returns whether it was taken."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        return False
    return True


def _commits(count: int) -> float:
    """One-row INSERTs, each committed on its own, in a table of the bench's schema: what this server's commit
    (its WAL flush) allows a second, whatever the code in front of it."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_commit_probe (id bigserial PRIMARY KEY, value text)")
        started = time.perf_counter()
        for _ in range(count):
            cursor.execute("INSERT INTO bench_commit_probe (value) VALUES ('x')")
        return count / (time.perf_counter() - started)


def _report(size: int, r: dict, write: Callable[[str], None]) -> None:
    small = max(1, size // 10)
    (rate_small, peak_small), (rate_large, peak_large) = r["demo_small"], r["demo_large"]
    le, lp, se, sp = r["list_encrypted"], r["list_plain"], r["search_encrypted"], r["search_plain"]
    streams = r["sign_up_streams"]
    encrypted = sum(isinstance(f, EncryptedFieldMixin) for f in Member._meta.concrete_fields)
    demo_minutes = (small / rate_small + (size - small) / rate_large) / 60 if size > small else small / rate_small / 60
    write(f"members bench on {connection.vendor}: {size:,} members, {encrypted} encrypted fields each "
          f"(schema {SCHEMA}, dropped at the end)")
    write(f"demo data as `make run` writes it: the policy loaded, each member with learning records and "
          f"{r['consent_items']} consent records")
    write("consent records' foreign keys checked once per batch; the server's per-row checks "
          + ("skipped for their COPY (this user is a superuser)" if r["row_checks_skipped"] else
             "kept as well (this user is no superuser)"))
    write(f"sign-ups: the member INSERT is prepared once it has run {r['prepare_threshold']} times on a connection "
          f"(DATABASE_PREPARE_THRESHOLD)" if r["prepare_threshold"] is not None else
          "sign-ups: the member INSERT not prepared (DATABASE_PREPARE_THRESHOLD off, or not PostgreSQL)")
    write(f"{'measure':<52}{'value':>14}{'ratio':>10}")
    rows = [
        (f"demo data, first {small:,} members", f"{rate_small:>10,.0f} /s", ""),
        (f"demo data, up to {size:,} members", f"{rate_large:>10,.0f} /s", f"{rate_large / rate_small:>10.2f}"),
        (f"demo data, all {size:,} members", f"{demo_minutes:>10,.1f} min", ""),
        (f"peak memory at {small:,}", f"{peak_small:>11,.0f} MB", ""),
        (f"peak memory at {size:,}", f"{peak_large:>11,.0f} MB", f"{peak_large / peak_small:>10.2f}"),
        ("lookup by email, plaintext indexed column (SQL)", f"{r['raw_plain'] * 1e6:>11,.0f} µs", f"{1:>10.2f}"),
        ("lookup by email, blind index (HMAC + index, SQL)", f"{r['raw_blind'] * 1e6:>11,.0f} µs",
         f"{r['raw_blind'] / r['raw_plain']:>10.2f}"),
        ("lookup by email, unencrypted model (ORM)", f"{r['orm_plain'] * 1e6:>11,.0f} µs", f"{1:>10.2f}"),
        ("lookup by email, Member.objects.by_email (ORM)", f"{r['orm_blind'] * 1e6:>11,.0f} µs",
         f"{r['orm_blind'] / r['orm_plain']:>10.2f}"),
        ("member list p50, unencrypted model", f"{statistics.median(lp) * 1e3:>11.1f} ms", f"{1:>10.2f}"),
        ("member list p50, Member", f"{statistics.median(le) * 1e3:>11.1f} ms",
         f"{statistics.median(le) / statistics.median(lp):>10.2f}"),
        ("member list p95, unencrypted model", f"{_p95(lp) * 1e3:>11.1f} ms", f"{1:>10.2f}"),
        ("member list p95, Member", f"{_p95(le) * 1e3:>11.1f} ms", f"{_p95(le) / _p95(lp):>10.2f}"),
        ("exact search p50, unencrypted model", f"{statistics.median(sp) * 1e3:>11.1f} ms", f"{1:>10.2f}"),
        ("exact search p50, Member (blind indexes)", f"{statistics.median(se) * 1e3:>11.1f} ms",
         f"{statistics.median(se) / statistics.median(sp):>10.2f}"),
        ("exact search p95, unencrypted model", f"{_p95(sp) * 1e3:>11.1f} ms", f"{1:>10.2f}"),
        ("exact search p95, Member (blind indexes)", f"{_p95(se) * 1e3:>11.1f} ms", f"{_p95(se) / _p95(sp):>10.2f}"),
        ("sign-up (member_create, no password hash)", f"{r['sign_up']:>10,.0f} /s", f"{1:>10.2f}"),
        ("  same, all in one transaction (no commit each)", f"{r['sign_up_no_commit']:>10,.0f} /s",
         f"{r['sign_up_no_commit'] / r['sign_up']:>10.2f}"),
        (f"sign-up, {SIGN_UP_STREAMS} processes side by side (all together)",
         f"{r['sign_up_streams']:>10,.0f} /s" if streams else "not measured",
         f"{r['sign_up_streams'] / r['sign_up']:>10.2f}" if streams else ""),
        ("member_bulk_create", f"{r['bulk']:>10,.0f} /s", f"{r['bulk'] / r['sign_up']:>10.2f}"),
        ("one-row INSERT + COMMIT, raw SQL (commit ceiling)", f"{r['commit_ceiling']:>10,.0f} /s",
         f"{r['commit_ceiling'] / r['sign_up']:>10.2f}"),
    ]
    for label, value, ratio in rows:
        write(f"{label:<52}{value:>14}{ratio:>10}")
    write("lookups, lists and writes measured after a CHECKPOINT (the demo data's write-back done)" if r["settled"]
          else "measured without a CHECKPOINT (this user may not take one): the demo data's write-back may still be "
          "landing on the lookups, lists and writes")
    checks = [
        # 1,000,000 members in under 10 minutes, i.e. N members in under N / 100,000 minutes.
        ("demo data at 1,667 members/s or more (1,000,000 in under 10 min)", demo_minutes * 60 < size / 1_667),
        ("demo data peak memory at N within 1.5x of N/10", peak_large <= 1.5 * peak_small),
        ("member list p95 under 100 ms", _p95(le) < 0.100),
        ("member list p95 within 1.10x of unencrypted", _p95(le) <= 1.10 * _p95(lp)),
        ("exact search p95 under 100 ms", _p95(se) < 0.100),
        ("exact search p95 within 1.10x of unencrypted", _p95(se) <= 1.10 * _p95(sp)),
        ("sign-up at 1,000/s or more (one stream)", r["sign_up"] >= 1000),
        *([(f"sign-up at 1,000/s or more ({SIGN_UP_STREAMS} processes)", streams >= 1000)] if streams else []),
    ]
    write("targets: " + "; ".join(f"{label}: {'met' if ok else 'NOT met'}" for label, ok in checks))
