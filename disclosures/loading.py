"""The policy's recipients (§5) and processors (§6) into the registries, idempotently; called by load_policy.

An entry already there is left as the officer edited it. The seed names no partner company of
과정제휴업체 and no source company: the officer adds those in the admin, where each change is recorded.
"""

import datetime

from django.db import transaction

from consents.models import ConsentItem
from disclosures.models import Processor, Recipient, RegistryChange, StatuteRule
from disclosures.services import registry_entry_save

SEED_FROM = datetime.date(2023, 12, 1)
RRN_STATUTE = "국민 평생 직업능력 개발법 시행령 제52조의2제1항 및 시행규칙 제7조의2제1항"
MONITORING_STATUTE = "직업능력개발훈련 모니터링에 관한 규정"

RECIPIENTS = [
    {"name": "고용노동부 한국산업인력공단", "purpose": "고용보험신고", "items_text": "성명,주민등록번호,소속사,연락처",
     "item_codes": ["name", "rrn", "company_name", "mobile"], "retention": "3년",
     "consent": "provision_moel_hrdk", "statute": RRN_STATUTE,
     "statute_rule": StatuteRule.EMPLOYMENT_INSURANCE_REPORT},
    {"name": "한국산업인력공단 품질향상센터", "purpose": "직업능력개발훈련 모니터링",
     "items_text": "이메일, 휴대전화번호, 생년월일, IP, 학습정보",
     "item_codes": ["email", "mobile", "birth_date", "ip", "learning"], "retention": "3년",
     "consent": "provision_hrdk_quality", "statute": MONITORING_STATUTE,
     "statute_rule": StatuteRule.TRAINING_MONITORING},
    {"name": "NICE 평가정보", "purpose": "본인확인", "items_text": "성명, 휴대전화번호, 생년월일",
     "item_codes": ["name", "mobile", "birth_date"], "retention": "본인확인 서비스 제공기간",
     "consent": "provision_nice"},
    {"name": "(주)엔에이치엔데이터", "purpose": "로그분석서비스", "items_text": "-", "item_codes": ["service_log"],
     "retention": "회원탈퇴 시 혹은 위탁계약 종료 시", "consent": "provision_nhn_data"},
    {"name": "㈜케이지이니시스", "purpose": "내일배움카드 결제", "items_text": "성명, 휴대전화번호, 이메일",
     "item_codes": ["name", "mobile", "email"], "retention": "결제 서비스 제공기간", "consent": "provision_inicis"},
    {"name": "과정제휴업체", "is_group": True, "purpose": "학습안내 및 관리",
     "items_text": "성명, 전화번호, 이메일 등 교육 제반 사항", "item_codes": ["name", "mobile", "email", "learning"],
     "retention": "교육 서비스 제공기간", "consent": "provision_partners"},
]

PROCESSORS = [
    {"name": "더송북", "work": "교재발송", "items_text": "이름, 주소, 전화번호", "retention": "3개월"},
    {"name": "한국FP협회/한국FPSB", "work": "은퇴설계전문자격(ARPS)의 인증과 관련한 인증및수료정보",
     "items_text": "자격의 취득확인을 위한 최소한의 개인정보 (이름,소속,부서,생년월일,연락처,이메일)및 "
                   "자격증 발송을 위한 배송정보(이름,연락처,주소)",
     "retention": "반영구(자격기본법 및 법인 규정)"},
    {"name": "다우기술", "work": "알림톡/문자메시지", "items_text": "휴대전화번호",
     "retention": "교육 서비스 제공기간"},
]


@transaction.atomic
def disclosures_load() -> dict[str, int]:
    """Load the seed's recipients and processors; running it again changes nothing."""
    consent_items = {item.code: item for item in ConsentItem.objects.filter(kind=ConsentItem.Kind.THIRD_PARTY)}
    created = 0
    for order, spec in enumerate(RECIPIENTS, start=1):
        if Recipient.objects.filter(name=spec["name"]).exists():
            continue
        values = {key: value for key, value in spec.items() if key != "consent"}
        recipient = Recipient(**values, consent_item=consent_items.get(spec["consent"]), active_from=SEED_FROM,
                              order=order * 10)
        registry_entry_save(entry=recipient, actor=None, action=RegistryChange.Action.SEED)
        created += 1
    for order, spec in enumerate(PROCESSORS, start=1):
        if Processor.objects.filter(name=spec["name"]).exists():
            continue
        registry_entry_save(entry=Processor(**spec, contract_start=SEED_FROM, order=order * 10), actor=None,
                            action=RegistryChange.Action.SEED)
        created += 1
    return {"recipients": Recipient.objects.count(), "processors": Processor.objects.count(), "created": created}
