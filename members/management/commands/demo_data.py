import datetime
import multiprocessing
import os
import secrets
import time

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from members import bulk, demo_workers, services
from members.demo import COURSES, Generator
from members.models import Course, Member, PaymentMethod
from members.signals import members_bulk_created

OFFICER_LOGIN = "officer"
MAX_WORKERS = 2
PARALLEL_FROM = 50_000
# From this many members a load changes the tables enough that their planner statistics must be taken again.
ANALYZE_FROM = 10_000
DEMO_MEMBER_PASSWORD = "demo-Learner-2023!"


class Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise)."""

    WIDTH = 30

    def __init__(self, stream, total: int) -> None:
        self.stream, self.total, self.started = stream, total, time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_tenth = -1

    def update(self, done: int) -> None:
        if not self.total:
            return
        tenth = done * 10 // self.total
        if not self.tty and tenth == self._last_tenth:
            return
        self._last_tenth = tenth
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0
        eta = (self.total - done) / rate if rate else 0
        filled = self.WIDTH * done // self.total
        line = (f"members [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{self.total:,} "
                f"{done * 100 // self.total:3d}%  {rate:,.0f}/s  ETA {eta // 60:.0f}m{eta % 60:02.0f}s")
        self.stream.write(("\r" + line) if self.tty else line, ending="" if self.tty else "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.total:
            self.stream.write("")


class Command(BaseCommand):
    help = "Create realistic synthetic Korean members in bulk, some enrolled in refund courses, and an officer."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--members", type=int, default=200, help="how many members to add (default 200)")
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--workers", type=int, default=None,
                            help="processes writing batches side by side (PostgreSQL only; default: one per CPU, "
                                 f"up to {MAX_WORKERS}, from {PARALLEL_FROM:,} members)")

    def handle(self, *args, members: int, seed: int, batch_size: int, workers: int | None, **options) -> None:
        if members < 0:
            raise CommandError("--members must be 0 or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if workers is None:
            workers = min(MAX_WORKERS, os.cpu_count() or 1) if members >= PARALLEL_FROM else 1
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            workers = 1  # SQLite has one writer; inside a transaction the workers could not see its rows
        with bulk.query_log_off():
            self._handle(members, seed, batch_size, max(1, workers), options.get("verbosity", 1))

    def _handle(self, members: int, seed: int, batch_size: int, workers: int, verbosity: int) -> None:
        for spec in COURSES:
            Course.objects.get_or_create(code=spec["code"], defaults=spec)
        password_hash = make_password(DEMO_MEMBER_PASSWORD)
        progress = Progress(self.stderr if verbosity else _Null(), members)
        jobs = [(seed, number, min(batch_size, members - start), password_hash)
                for number, start in enumerate(range(0, members, batch_size))]
        created, first_login, pool = 0, None, None
        try:
            if workers == 1:
                results = map(demo_batch, jobs)
            else:
                with connection.cursor() as cursor:
                    cursor.execute("SHOW search_path")  # the workers write where this connection writes
                    search_path = cursor.fetchone()[0]
                pool = multiprocessing.get_context("spawn").Pool(
                    workers, demo_workers.start, (search_path, connection.settings_dict["NAME"]))
                results = pool.imap(demo_workers.batch, jobs)
            for count, login in results:
                if isinstance(login, Exception):
                    raise login
                first_login = first_login or login
                created += count
                progress.update(created)
            if pool is not None:
                pool.close()
                pool.join()
        except ValidationError as error:
            raise CommandError(f"demo data refused: {error}") from error
        finally:
            progress.close()
            if pool is not None:  # None when the pool itself failed to start
                pool.terminate()
        if created >= ANALYZE_FROM:
            bulk.analyze_project_tables()
        officer_password = self._officer()
        self.stdout.write(self.style.SUCCESS(f"{created} demo members added."))
        if created:
            self.stdout.write(f"Demo member login: {first_login} / {DEMO_MEMBER_PASSWORD}")
        self.stdout.write(self.style.SUCCESS(f"Officer login: {OFFICER_LOGIN} / {officer_password}  (/admin/)"))

    def _officer(self) -> str:
        """The privacy officer's account; a new password is printed on every run."""
        password = secrets.token_urlsafe(12)
        officer = Member.objects.by_login_id(OFFICER_LOGIN).first()
        if officer:
            services.member_password_set(member=officer, password=password)
        else:
            services.member_create(login_id=OFFICER_LOGIN, password=password, name="신승철",
                                   email="alpha@alpaco.co.kr", company_name="(주)알파코", job_title="상무",
                                   company_phone="02-2163-5700", is_staff=True, is_superuser=True)
        return password


def demo_batch(job: tuple[int, int, int, str]) -> tuple[int, str]:
    """One batch of members with their learning records, in one transaction; returns (count, first login).

    Each member's serial is its primary key, so login IDs, emails and mobile numbers never repeat across
    runs (the sequence never hands out a key twice). Each batch has its own random stream, so the data do
    not depend on how many workers wrote them."""
    seed, number, count, password_hash = job
    generator = Generator(seed * 1_000_003 + number)
    courses = {course.code: course for course in Course.objects.filter(code__in=[c["code"] for c in COURSES])}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Synthetic rows that a rerun makes again: a batch need not wait for its WAL to reach the disk
            # (a crash could lose the last batches, never half of one). Other transactions are unaffected.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO off")
        pks = bulk.reserve_pks(Member, count)
        rows = [generator.member_row(pk) for pk in pks]
        batch = bulk.members_create(rows, password_hash=password_hash, pks=pks)
        members_bulk_created.send(sender=Member, members=batch, channel="import")
        _learning_records(generator, batch, courses)
    return count, rows[0]["login_id"]


def _learning_records(generator: Generator, batch: list[Member], courses: dict[str, Course]) -> None:
    """Roughly a third take a refund-type course (with 주민등록번호), some the disability-awareness
    training, some ARPS with a shipped textbook, some pay by 내일배움카드. Checked by the services' rules,
    written once for the batch."""
    records = bulk.LearningRecords(batch, members_are_new=True)
    today = timezone.localdate()
    for row, member in enumerate(batch, start=1):
        roll = generator.random.random()
        started = today - datetime.timedelta(days=generator.random.randrange(30, 2400))
        ended = started + datetime.timedelta(days=60)
        if roll < 0.3:
            course = courses[generator.random.choice(["refund-excel", "sme-hr", "insured-safety"])]
            enrollment = records.enrollment(
                row, member=member, course=course, started_on=started, ended_on=ended,
                payment_method=PaymentMethod.CORPORATE_INVOICE, rrn=generator.rrn(member.birth_date),
                applied_ip=f"211.36.{generator.random.randrange(256)}.{generator.random.randrange(1, 255)}")
        elif roll < 0.45:
            enrollment = records.enrollment(
                row, member=member, course=courses["disability-awareness"], started_on=started,
                ended_on=started, payment_method=PaymentMethod.CORPORATE_INVOICE)
        elif roll < 0.55:
            enrollment = records.enrollment(
                row, member=member, course=courses["arps"], started_on=started, ended_on=ended,
                payment_method=PaymentMethod.CREDIT_CARD,
                shipping_address=member.home_address or "서울특별시 중구 세종대로 110",
                shipping_phone=member.mobile)
            records.certification(row, member=member, kind="arps", issued_on=ended)
        elif roll < 0.65:
            enrollment = records.enrollment(
                row, member=member, course=courses["python-basics"], started_on=started, ended_on=ended,
                payment_method=PaymentMethod.NAEIL_CARD, card_number=generator.card_number())
        else:
            continue
        paid_at = timezone.make_aware(datetime.datetime.combine(started, datetime.time(10)))
        records.payment(row, enrollment=enrollment, amount=generator.random.choice([99000, 198000, 330000]),
                        method=enrollment.payment_method, paid_at=paid_at)
        if roll < 0.02:
            records.complaint(row, member=member, summary="수강 일정 변경 요청에 대한 답변 지연",
                              received_at=paid_at + datetime.timedelta(days=3))
    records.save()


class _Null:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
