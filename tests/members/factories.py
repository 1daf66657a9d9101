import datetime

import factory

from members import services
from members.demo import Generator
from members.models import Course
from tests.members import reference

_generator = Generator(seed=7)


class MemberFactory(factory.Factory):
    """Members are made through the same service the sign-up page will call."""

    class Meta:
        model = dict

    login_id = factory.Sequence(lambda n: f"learner{n:04d}")
    password = None
    name = "홍길동"
    email = factory.Sequence(lambda n: f"gildong.hong{n}@hangyeol-it.co.kr")
    mobile = factory.Sequence(lambda n: f"010-{1000 + n % 9000:04d}-{5678:04d}")
    company_name = "한결정보기술"
    department = "인사팀"
    job_title = "대리"
    employee_number = factory.Sequence(lambda n: f"2019{n:04d}")
    company_phone = "02-2163-5700"
    birth_date = datetime.date(1990, 1, 1)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.member_create(**kwargs)

    _build = _create


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"과정 {n}")


def valid_rrn(birth_date: datetime.date = datetime.date(1990, 1, 1)) -> str:
    """A 주민등록번호 with python-stdnum's check digit (never the production algorithm's)."""
    gender = _generator.random.choice("12" if birth_date.year < 2000 else "34")
    return reference.rrn(f"{birth_date:%y%m%d}", gender, _generator.digits(5))


def valid_card_number() -> str:
    """A 내일배움카드 number with python-stdnum's Luhn digit."""
    return reference.card("9410" + _generator.digits(11))


def officer_client():
    """A test client signed in as a superuser officer (created through member_create)."""
    from django.test import Client

    officer = services.member_create(login_id="officer", password=None, name="신승철", email="o@example.com",
                                     is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(officer)
    return client
