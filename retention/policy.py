"""The five rows of policy §2's retention tables, as the loader writes them (the policy text wins)."""

from members.registry import Retention
from retention.models import PeriodUnit, Trigger

ECOMMERCE_ACT = "전자상거래 등에서의 소비자보호에 관한 법률"

POLICY_RULES = [
    {"code": Retention.EMPLOYMENT_INSURANCE_REFUND,
     "data_category": "고용보험 환급과정 수강 관련 정보 (성명, 자택 전화번호, 자택주소, 휴대전화번호, 이메일, "
                      "회사명, 부서, 사번, 직급 및 직책, 회사전화번호, 주민등록번호)",
     "legal_basis": "고용보험 환급 적정성 심의", "period_amount": 3, "period_unit": PeriodUnit.YEARS,
     "trigger": Trigger.ENROLMENT_END},
    {"code": Retention.DISABILITY_AWARENESS,
     "data_category": "장애인 인식개선 교육 실시 관련 자료 (성명, 아이디, 비밀번호, 사번, 휴대전화번호, "
                      "이메일, 부서명, 직급 및 직책, 회사전화번호, 생년월일)",
     "legal_basis": "장애인고용촉진 및 직업재활법 제5조의3 제2항", "period_amount": 3, "period_unit": PeriodUnit.YEARS,
     "trigger": Trigger.ENROLMENT_END},
    {"code": Retention.ECOMMERCE_CONTRACT, "data_category": "계약 또는 청약철회 등에 관한 기록",
     "legal_basis": ECOMMERCE_ACT, "period_amount": 5, "period_unit": PeriodUnit.YEARS,
     "trigger": Trigger.ENROLMENT_END},
    {"code": Retention.ECOMMERCE_PAYMENT, "data_category": "대금결제 및 재화 등의 공급에 관한 기록",
     "legal_basis": ECOMMERCE_ACT, "period_amount": 5, "period_unit": PeriodUnit.YEARS, "trigger": Trigger.PAYMENT},
    {"code": Retention.ECOMMERCE_COMPLAINT, "data_category": "소비자의 불만 또는 분쟁처리에 관한 기록",
     "legal_basis": ECOMMERCE_ACT, "period_amount": 3, "period_unit": PeriodUnit.YEARS,
     "trigger": Trigger.COMPLAINT_CLOSED},
]
