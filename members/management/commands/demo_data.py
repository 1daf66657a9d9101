import datetime
import secrets

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from members import services
from members.demo import COURSES, Generator
from members.models import Course, Member, PaymentMethod
from members.signals import members_bulk_created

OFFICER_LOGIN = "officer"
DEMO_MEMBER_PASSWORD = "demo-Learner-2023!"


class Command(BaseCommand):
    help = "Create realistic synthetic Korean members in bulk, some enrolled in refund courses, and an officer."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--members", type=int, default=200, help="how many members to add (default 200)")
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, members: int, seed: int, batch_size: int, **options) -> None:
        if members < 0:
            raise CommandError("--members must be 0 or more.")
        generator = Generator(seed)
        courses = {spec["code"]: Course.objects.get_or_create(code=spec["code"], defaults=spec)[0] for spec in COURSES}
        first_serial = (Member.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        password_hash = make_password(DEMO_MEMBER_PASSWORD)
        created = 0
        try:
            while created < members:
                count = min(batch_size, members - created)
                rows = list(generator.member_rows(count, first_serial + created))
                with transaction.atomic():
                    batch = services.member_bulk_create(rows=rows, password_hash=password_hash,
                                                        batch_size=batch_size)
                    members_bulk_created.send(sender=Member, members=batch, channel="import")
                    self._learning_records(generator, batch, courses)
                created += count
        except ValidationError as error:
            raise CommandError(f"demo data refused: {error}") from error
        officer_password = self._officer()
        self.stdout.write(self.style.SUCCESS(f"{created} demo members added."))
        if created:
            self.stdout.write(f"Demo member login: {rows[0]['login_id']} / {DEMO_MEMBER_PASSWORD}")
        self.stdout.write(self.style.SUCCESS(f"Officer login: {OFFICER_LOGIN} / {officer_password}  (/admin/)"))

    def _learning_records(self, generator: Generator, batch: list[Member], courses: dict[str, Course]) -> None:
        """Roughly a third take a refund-type course (with 주민등록번호), some the disability-awareness
        training, some ARPS with a shipped textbook, some pay by 내일배움카드."""
        today = timezone.localdate()
        for member in batch:
            roll = generator.random.random()
            started = today - datetime.timedelta(days=generator.random.randrange(30, 2400))
            ended = started + datetime.timedelta(days=60)
            if roll < 0.3:
                course = courses[generator.random.choice(["refund-excel", "sme-hr", "insured-safety"])]
                enrollment = services.enrollment_create(
                    member=member, course=course, started_on=started, ended_on=ended,
                    payment_method=PaymentMethod.CORPORATE_INVOICE, rrn=generator.rrn(member.birth_date),
                    applied_ip=f"211.36.{generator.random.randrange(256)}.{generator.random.randrange(1, 255)}")
            elif roll < 0.45:
                enrollment = services.enrollment_create(
                    member=member, course=courses["disability-awareness"], started_on=started, ended_on=started,
                    payment_method=PaymentMethod.CORPORATE_INVOICE)
            elif roll < 0.55:
                enrollment = services.enrollment_create(
                    member=member, course=courses["arps"], started_on=started, ended_on=ended,
                    payment_method=PaymentMethod.CREDIT_CARD,
                    shipping_address=member.home_address or "서울특별시 중구 세종대로 110",
                    shipping_phone=member.mobile)
                services.certification_issue(member=member, kind="arps", issued_on=ended)
            elif roll < 0.65:
                enrollment = services.enrollment_create(
                    member=member, course=courses["python-basics"], started_on=started, ended_on=ended,
                    payment_method=PaymentMethod.NAEIL_CARD, card_number=generator.card_number())
            else:
                continue
            paid_at = timezone.make_aware(datetime.datetime.combine(started, datetime.time(10)))
            services.payment_record(enrollment=enrollment, amount=generator.random.choice([99000, 198000, 330000]),
                                    method=enrollment.payment_method, paid_at=paid_at)
            if roll < 0.02:
                services.complaint_receive(member=member, summary="수강 일정 변경 요청에 대한 답변 지연",
                                           received_at=paid_at + datetime.timedelta(days=3))

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
