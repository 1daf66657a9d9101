import datetime

import factory

from members import services
from members.demo import Generator
from members.models import Course

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
    return _generator.rrn(birth_date)


def valid_card_number() -> str:
    return _generator.card_number()
