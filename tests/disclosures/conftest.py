import datetime

import pytest

from consents.loading import policy_load
from consents.models import ConsentItem
from consents.services import consent_grant
from disclosures.models import Recipient, Source
from disclosures.services import registry_entry_save
from members import services as member_services
from members.models import Member, PaymentMethod
from tests.members.factories import CourseFactory, MemberFactory, valid_rrn

MOEL = "고용노동부 한국산업인력공단"
QUALITY = "한국산업인력공단 품질향상센터"


@pytest.fixture
def policy(db):
    """The seed policy with its recipients and processors, loaded as `load_policy` does."""
    policy_load()
    return {item.code: item for item in ConsentItem.objects.all()}


@pytest.fixture
def officer(db):
    return member_services.member_create(login_id="officer01", password=None, name="신승철",
                                         email="officer@alpaco.co.kr", is_staff=True, is_superuser=True)


@pytest.fixture
def moel(policy):
    return Recipient.objects.get(name=MOEL)


@pytest.fixture
def quality(policy):
    return Recipient.objects.get(name=QUALITY)


@pytest.fixture
def refund_course(db):
    return CourseFactory(is_employment_insurance_refund=True)


def consenting_member(recipient: Recipient, **fields) -> Member:
    member = MemberFactory(**fields)
    consent_grant(member=member, item=recipient.terms.consent_item)
    return member


def enrol(member: Member, course, *, rrn: bool = True) -> None:
    member_services.enrollment_create(member=member, course=course, started_on=datetime.date(2026, 3, 2),
                                      ended_on=datetime.date(2026, 4, 30), payment_method=PaymentMethod.CREDIT_CARD,
                                      applied_ip="203.0.113.9", rrn=valid_rrn() if rrn else None)


@pytest.fixture
def source(officer):
    """A partner company whose members' data is imported (policy §1 수집방법)."""
    return registry_entry_save(entry=Source(name="(주)한결정보기술 인재개발원", consent_method="입과 신청서 서면 동의",
                                            active_from=datetime.date(2024, 1, 1)), actor=officer)
