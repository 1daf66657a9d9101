"""The policy in force since 2023-12-01 as project data: the consent items it implies (policy §1, §2, §5, §9;
PIPA §22), the §11 contacts and complaint bodies. load_policy writes these; nothing reads ../shared at run time."""

import datetime

SEED_VERSION = "2023-12-01"
SEED_EFFECTIVE = datetime.datetime(2023, 12, 1)  # Asia/Seoul, made aware by load_policy
SEED_SUMMARY = "2023년 12월 1일 시행 개인정보처리방침"

REFUSE_REQUIRED_KO = "동의를 거부할 경우 이용자에게 제공되는 교육 서비스 제공이 불가합니다."
REFUSE_REQUIRED_EN = "If you refuse, the education service cannot be provided to you."
REFUSE_OPTIONAL_KO = "동의하지 않아도 회원가입과 교육 서비스 이용에는 제한이 없습니다."
REFUSE_OPTIONAL_EN = "You can still sign up and use the education service without this consent."

ITEMS = [
    {
        "code": "collection_required", "kind": "collection", "required": True,
        "title_ko": "개인정보 수집·이용 동의", "title_en": "Collection and use of personal data",
        "purpose_ko": "서비스 제공에 관한 계약 이행 및 요금정산(학습진행, 컨텐츠 제공, 구매 및 요금 결제, 물품배송), "
                      "학습관리(본인확인, 개인 식별, 부정 이용방지, 가입 의사 확인, 연령확인, 민원처리, 고지사항 전달)",
        "purpose_en": "Performing the service contract and settling fees (learning, content, purchases and payment, "
                      "delivery); learning management (identity checks, preventing misuse, confirming the wish to "
                      "join, age checks, handling complaints, notices)",
        "items_ko": "이름, 로그인ID, 비밀번호, 휴대전화번호, 이메일, 회사명, 부서, 직책, 사번, 회사전화번호, "
                    "서비스 이용기록, 접속로그, 쿠키, 아이핀 인증관련 개인정보",
        "items_en": "Name, login ID, password, mobile phone, email, company name, department, job title, employee "
                    "number, company phone, service use records, access logs, cookies, i-PIN verification data",
        "retention_ko": "회원 탈퇴 시까지. 단, 관계법령에 따라 보존할 필요가 있는 정보는 개인정보처리방침 제2조의 "
                        "기간 동안 별도 보관 후 파기",
        "retention_en": "Until you leave; what a law requires keeping is kept apart for the period in section 2 of "
                        "the privacy policy, then destroyed",
        "refusal_ko": REFUSE_REQUIRED_KO, "refusal_en": REFUSE_REQUIRED_EN,
    },
    {
        "code": "provision_nice", "kind": "third_party", "required": True, "recipient": "NICE평가정보",
        "title_ko": "개인정보 제3자 제공 동의 (NICE평가정보, 본인확인)",
        "title_en": "Provision to a third party (NICE Information Service, identity verification)",
        "purpose_ko": "본인확인", "purpose_en": "Identity verification",
        "items_ko": "성명, 휴대전화번호, 생년월일", "items_en": "Name, mobile phone, birth date",
        "retention_ko": "본인확인 서비스 제공기간",
        "retention_en": "While the identity-verification service is provided",
        "refusal_ko": REFUSE_REQUIRED_KO, "refusal_en": REFUSE_REQUIRED_EN,
    },
    {
        "code": "rrn_refund_course", "kind": "unique_identifier", "required": False,
        "title_ko": "고유식별정보(주민등록번호) 처리 동의 (고용보험 환급과정 등)",
        "title_en": "Processing of the resident registration number (employment-insurance refund courses)",
        "purpose_ko": "고용보험 환급과정, 중소기업핵심직무과정, 보험가입 필수 과정 수강 시 고용노동부 신고 "
                      "(근거: 국민 평생 직업능력 개발법 시행령 제52조의2제1항 및 시행규칙 제7조의2제1항)",
        "purpose_en": "Reporting to the Ministry of Employment and Labor when you take a refund, SME core-job or "
                      "insurance-required course (Enforcement Decree of the Lifelong Vocational Skills "
                      "Development Act, art. 52-2(1))",
        "items_ko": "주민등록번호", "items_en": "Resident registration number",
        "retention_ko": "3년 (고용보험 환급 적정성 심의)",
        "retention_en": "3 years (employment-insurance refund review)",
        "refusal_ko": "동의하지 않으면 고용보험 환급과정 등은 수강할 수 없으나, 그 밖의 교육 서비스 이용에는 제한이 "
                      "없습니다.",
        "refusal_en": "Without it you cannot take refund-type courses; every other part of the service stays open.",
    },
    {
        "code": "provision_moel_hrdk", "kind": "third_party", "required": False,
        "recipient": "고용노동부, 한국산업인력공단",
        "title_ko": "개인정보 제3자 제공 동의 (고용노동부·한국산업인력공단, 고용보험신고)",
        "title_en": "Provision to a third party (Ministry of Employment and Labor, HRD Korea: employment-insurance "
                    "report)",
        "purpose_ko": "고용보험신고", "purpose_en": "Employment-insurance report",
        "items_ko": "성명, 주민등록번호, 소속사, 연락처", "items_en": "Name, resident registration number, employer, "
                                                           "contact",
        "retention_ko": "3년", "retention_en": "3 years",
        "refusal_ko": "동의하지 않으면 고용보험 환급과정은 수강할 수 없으나, 그 밖의 교육 서비스 이용에는 제한이 "
                      "없습니다.",
        "refusal_en": "Without it you cannot take refund courses; every other part of the service stays open.",
    },
    {
        "code": "provision_hrdk_quality", "kind": "third_party", "required": False,
        "recipient": "한국산업인력공단 품질향상센터",
        "title_ko": "개인정보 제3자 제공 동의 (한국산업인력공단 품질향상센터, 훈련 모니터링)",
        "title_en": "Provision to a third party (HRD Korea Quality Center: training monitoring)",
        "purpose_ko": "직업능력개발훈련 모니터링", "purpose_en": "Monitoring of vocational training",
        "items_ko": "이메일, 휴대전화번호, 생년월일, IP, 학습정보",
        "items_en": "Email, mobile phone, birth date, IP address, learning records",
        "retention_ko": "3년", "retention_en": "3 years",
        "refusal_ko": "동의하지 않으면 고용보험 환급과정은 수강할 수 없으나, 그 밖의 교육 서비스 이용에는 제한이 "
                      "없습니다.",
        "refusal_en": "Without it you cannot take refund courses; every other part of the service stays open.",
    },
    {
        "code": "provision_nhn_data", "kind": "third_party", "required": False, "recipient": "(주)엔에이치엔데이터",
        "title_ko": "개인정보 제3자 제공 동의 ((주)엔에이치엔데이터, 로그분석)",
        "title_en": "Provision to a third party (NHN DATA: log analysis)",
        "purpose_ko": "로그분석서비스", "purpose_en": "Log analysis",
        "items_ko": "서비스 이용기록, 접속로그", "items_en": "Service use records, access logs",
        "retention_ko": "회원탈퇴 시 혹은 위탁계약 종료 시", "retention_en": "Until you leave or the contract ends",
        "refusal_ko": REFUSE_OPTIONAL_KO, "refusal_en": REFUSE_OPTIONAL_EN,
    },
    {
        "code": "provision_inicis", "kind": "third_party", "required": False, "recipient": "㈜케이지이니시스",
        "title_ko": "개인정보 제3자 제공 동의 (㈜케이지이니시스, 내일배움카드 결제)",
        "title_en": "Provision to a third party (KG Inicis: Naeil learning card payment)",
        "purpose_ko": "내일배움카드 결제", "purpose_en": "Naeil learning card payment",
        "items_ko": "성명, 휴대전화번호, 이메일", "items_en": "Name, mobile phone, email",
        "retention_ko": "결제 서비스 제공기간", "retention_en": "While the payment service is provided",
        "refusal_ko": "동의하지 않으면 내일배움카드로 결제할 수 없으나, 다른 결제 수단과 교육 서비스 이용에는 제한이 "
                      "없습니다.",
        "refusal_en": "Without it you cannot pay by Naeil learning card; other payment methods stay open.",
    },
    {
        "code": "provision_partners", "kind": "third_party", "required": False, "recipient": "과정제휴업체",
        "title_ko": "개인정보 제3자 제공 동의 (과정제휴업체, 학습안내 및 관리)",
        "title_en": "Provision to a third party (course partners: learning guidance and management)",
        "purpose_ko": "학습안내 및 관리", "purpose_en": "Learning guidance and management",
        "items_ko": "성명, 전화번호, 이메일 등 교육 제반 사항", "items_en": "Name, phone, email and course details",
        "retention_ko": "교육 서비스 제공기간", "retention_en": "While the education service is provided",
        "refusal_ko": REFUSE_OPTIONAL_KO, "refusal_en": REFUSE_OPTIONAL_EN,
    },
    {
        "code": "marketing_email", "kind": "marketing_email", "required": False,
        "title_ko": "광고성 정보 이메일 수신 동의", "title_en": "Marketing by email",
        "purpose_ko": "신규 서비스 안내, 이벤트 등 광고성 정보 전달",
        "purpose_en": "News of new services, events and other advertising",
        "items_ko": "이메일, 이메일수신여부", "items_en": "Email, email opt-in",
        "retention_ko": "동의 철회 또는 회원 탈퇴 시까지 (2년마다 수신 동의 여부 확인)",
        "retention_en": "Until you withdraw or leave (re-confirmed every 2 years)",
        "refusal_ko": REFUSE_OPTIONAL_KO, "refusal_en": REFUSE_OPTIONAL_EN,
    },
    {
        "code": "marketing_sms", "kind": "marketing_sms", "required": False,
        "title_ko": "광고성 정보 문자(SMS) 수신 동의", "title_en": "Marketing by SMS",
        "purpose_ko": "신규 서비스 안내, 이벤트 등 광고성 정보 전달",
        "purpose_en": "News of new services, events and other advertising",
        "items_ko": "휴대전화번호, SMS수신여부", "items_en": "Mobile phone, SMS opt-in",
        "retention_ko": "동의 철회 또는 회원 탈퇴 시까지 (2년마다 수신 동의 여부 확인)",
        "retention_en": "Until you withdraw or leave (re-confirmed every 2 years)",
        "refusal_ko": REFUSE_OPTIONAL_KO, "refusal_en": REFUSE_OPTIONAL_EN,
    },
    {
        "code": "marketing_night", "kind": "marketing_night", "required": False,
        "title_ko": "야간(21시~다음날 8시) 광고성 문자 수신 동의", "title_en": "Marketing SMS at night (21:00-08:00)",
        "purpose_ko": "야간 시간대의 광고성 정보 문자 전달", "purpose_en": "Advertising by SMS between 21:00 and 08:00",
        "items_ko": "휴대전화번호", "items_en": "Mobile phone",
        "retention_ko": "동의 철회 또는 회원 탈퇴 시까지", "retention_en": "Until you withdraw or leave",
        "refusal_ko": REFUSE_OPTIONAL_KO, "refusal_en": REFUSE_OPTIONAL_EN,
    },
    {
        "code": "analytics_cookies", "kind": "analytics_cookies", "required": False,
        "title_ko": "학습 분석 쿠키 허용", "title_en": "Learning-analytics cookies",
        "purpose_ko": "회원의 학습시간 및 진도상황 등을 분석하여 학습상황을 파악하고 독려하는 학습서비스 제공",
        "purpose_en": "Analysing study time and progress to follow and encourage your learning",
        "items_ko": "쿠키, 서비스 이용기록", "items_en": "Cookies, service use records",
        "retention_ko": "동의 철회 또는 회원 탈퇴 시까지", "retention_en": "Until you withdraw or leave",
        "refusal_ko": REFUSE_OPTIONAL_KO, "refusal_en": REFUSE_OPTIONAL_EN,
    },
]

CONTACTS = [
    {"role": "manager", "name": "이상철", "title": "팀장", "phone": "02-2163-5700", "email": "alpha@alpaco.co.kr"},
    {"role": "officer", "name": "신승철", "title": "상무", "phone": "02-2163-5700", "email": "alpha@alpaco.co.kr"},
]

COMPLAINT_BODIES = [
    {"name_ko": "개인정보분쟁조정위원회", "name_en": "Personal Information Dispute Mediation Committee",
     "website": "www.kopico.go.kr", "phone": "1833-6972"},
    {"name_ko": "개인정보침해신고센터", "name_en": "Personal Information Infringement Report Center",
     "website": "privacy.kisa.or.kr", "phone": "국번없이 118"},
    {"name_ko": "대검찰청 사이버수사과", "name_en": "Supreme Prosecutors' Office, Cyber Investigation Division",
     "website": "www.spo.go.kr", "phone": "국번없이 1301"},
    {"name_ko": "경찰청 사이버수사국", "name_en": "Korean National Police Agency, Cyber Bureau",
     "website": "cyberbureau.police.go.kr", "phone": "국번없이 182"},
]
