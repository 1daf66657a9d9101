"""A member with something under every retention rule: a refund course, a disability-awareness course, a
course that ships a textbook, payments, a complaint and a 주민등록번호."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from members import services as members_services
from members.models import Complaint, Course, Enrollment, Member, Payment, PaymentMethod
from retention.services import retention_rules_load
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number, valid_rrn

HOME_ADDRESS = "서울특별시 구로구 디지털로 300 지밸리비즈플라자 12층"
SHIPPING_ADDRESS = "경기도 성남시 분당구 판교역로 235 에이치스퀘어 N동 7층"
COMPLAINT = "환불 처리 지연에 대한 불만: 담당자 연락 두절"


@dataclass
class World:
    member: Member
    refund: Enrollment
    disability: Enrollment
    textbook: Enrollment
    payment: Payment
    complaint: Complaint
    rrn: str
    card: str

    def values(self) -> list[str]:
        """Every personal value of the member, as typed, to look for after destruction."""
        m = self.member
        return [v for v in [m.login_id, m.name, m.email, m.mobile, m.company_name, m.department, m.job_title,
                            m.employee_number, m.company_phone, m.birth_date.isoformat(), m.home_address,
                            m.home_phone, self.rrn, self.card, SHIPPING_ADDRESS, COMPLAINT, "203.0.113.77"]
                if v and len(v) >= 5]


def world(*, ended_days_ago: int = 30, serial: int = 0) -> World:
    """A member whose courses ended `ended_days_ago` days ago (every period then runs from that day)."""
    retention_rules_load()
    today = timezone.localdate()
    ended = today - datetime.timedelta(days=ended_days_ago)
    started = ended - datetime.timedelta(days=60)
    rrn = valid_rrn(datetime.date(1990, 1, 1))
    card = valid_card_number()
    member = MemberFactory(home_address=HOME_ADDRESS, home_phone="031-789-1234", employee_number=f"EMP-{serial:05d}")
    refund_course = CourseFactory(is_employment_insurance_refund=True)
    disability_course = CourseFactory(is_disability_awareness=True)
    textbook_course = CourseFactory(ships_textbook=True)
    refund = members_services.enrollment_create(member=member, course=refund_course, started_on=started,
                                                ended_on=ended, payment_method=PaymentMethod.NAEIL_CARD,
                                                applied_ip="203.0.113.77", rrn=rrn, card_number=card)
    disability = members_services.enrollment_create(member=member, course=disability_course, started_on=started,
                                                    ended_on=ended, payment_method=PaymentMethod.CORPORATE_INVOICE)
    textbook = members_services.enrollment_create(member=member, course=textbook_course, started_on=started,
                                                  ended_on=ended, payment_method=PaymentMethod.CREDIT_CARD,
                                                  shipping_address=SHIPPING_ADDRESS, shipping_phone="010-2222-3333")
    paid_at = timezone.make_aware(datetime.datetime.combine(started, datetime.time(10)))
    payment = members_services.payment_record(enrollment=refund, amount=300_000, method=PaymentMethod.NAEIL_CARD,
                                              paid_at=paid_at)
    complaint = members_services.complaint_receive(member=member, summary=COMPLAINT, received_at=paid_at)
    members_services.complaint_close(complaint=complaint,
                                     closed_at=timezone.make_aware(datetime.datetime.combine(ended, datetime.time(9))))
    member.refresh_from_db()
    return World(member=member, refund=refund, disability=disability, textbook=textbook, payment=payment,
                 complaint=complaint, rrn=rrn, card=card)


def staff() -> Member:
    return MemberFactory(login_id="officer01", email="officer@alpaco.co.kr", is_staff=True)


__all__ = ["Course", "World", "staff", "world"]
