"""Synthetic but realistic Korean members for demos and benchmarks (every company and person is invented)."""

import datetime
import random
from collections.abc import Iterator
from typing import Any

from members.validators import luhn_check_digit, rrn_check_digit

SURNAMES = [("김", "kim", 21), ("이", "lee", 15), ("박", "park", 8), ("최", "choi", 5), ("정", "jung", 4),
            ("강", "kang", 2), ("조", "cho", 2), ("윤", "yoon", 2), ("장", "jang", 2), ("임", "lim", 2),
            ("한", "han", 2), ("오", "oh", 1), ("서", "seo", 1), ("신", "shin", 1), ("권", "kwon", 1),
            ("황", "hwang", 1), ("안", "ahn", 1), ("송", "song", 1), ("전", "jeon", 1), ("홍", "hong", 1)]
SYLLABLES = [("민", "min"), ("서", "seo"), ("지", "ji"), ("현", "hyun"), ("준", "jun"), ("우", "woo"),
             ("윤", "yun"), ("수", "su"), ("영", "young"), ("진", "jin"), ("은", "eun"), ("하", "ha"),
             ("도", "do"), ("연", "yeon"), ("성", "sung"), ("예", "ye"), ("주", "ju"), ("재", "jae"),
             ("원", "won"), ("혜", "hye"), ("동", "dong"), ("상", "sang"), ("경", "kyung"), ("승", "seung"),
             ("태", "tae"), ("호", "ho"), ("희", "hee"), ("소", "so"), ("건", "gun"), ("훈", "hoon")]
COMPANIES = [("한결정보기술", "hangyeol-it.co.kr"), ("푸른바다물류", "purunbada.co.kr"),
             ("누리에너지", "nurienergy.co.kr"), ("다온제약", "daonpharm.co.kr"), ("가람건설", "garamcon.co.kr"),
             ("새봄식품", "saebomfood.co.kr"), ("온누리통신", "onnuritel.co.kr"), ("한울화학", "hanulchem.co.kr"),
             ("이음커머스", "eumcommerce.co.kr"), ("별빛금융서비스", "byeolbitfin.co.kr")]
DEPARTMENTS = ["인사팀", "총무팀", "재무팀", "영업1팀", "영업2팀", "마케팅팀", "전략기획팀", "개발팀",
               "품질관리팀", "생산관리팀", "구매팀", "고객지원팀", "법무팀", "기술연구소"]
JOB_TITLES = ["사원", "주임", "대리", "과장", "차장", "부장", "팀장", "선임", "책임"]
AREA_CODES = ["02", "031", "032", "042", "051", "053", "062"]
ADDRESSES = ["서울특별시 강남구 테헤란로", "서울특별시 마포구 월드컵북로", "경기도 성남시 분당구 판교역로",
             "부산광역시 해운대구 센텀중앙로", "대전광역시 유성구 대학로", "인천광역시 연수구 송도과학로"]

# Mobile numbers from serials: MOBILE_STRIDE is prime and shares no factor with MOBILE_SPACE, so serial ->
# number is one-to-one modulo MOBILE_SPACE. The space is 010-2000-0000 to 010-9999-9999 less 010-5970 to
# 010-5999, which are not assigned (libphonenumber's data: the validators refuse them).
MOBILE_SPACE = 79_700_000
MOBILE_UNASSIGNED = (5970, 30)  # first middle part not assigned, and how many follow it
MOBILE_STRIDE = 7_919
MOBILE_OFFSET = 31_415_926

# Courses the demo enrols members in; the flags follow policy §1 and §2.
COURSES = [
    {"code": "refund-excel", "title": "[고용보험 환급] 실무 엑셀 데이터 분석", "is_employment_insurance_refund": True},
    {"code": "sme-hr", "title": "[중소기업 핵심직무] 인사·노무 관리 실무", "is_sme_core_job": True},
    {"code": "insured-safety", "title": "[보험가입 필수] 산업안전보건 실무", "is_insurance_required": True},
    {"code": "disability-awareness", "title": "직장 내 장애인 인식개선 교육", "is_disability_awareness": True},
    {"code": "arps", "title": "은퇴설계전문가(ARPS) 자격 과정", "ships_textbook": True},
    {"code": "python-basics", "title": "파이썬 프로그래밍 기초"},
]


class Generator:
    """Deterministic for a given seed, so a demo or a benchmark can be repeated."""

    def __init__(self, seed: int = 2023) -> None:
        self.random = random.Random(seed)
        self._surname_weights = [weight for _h, _r, weight in SURNAMES]

    def digits(self, count: int) -> str:
        return "".join(self.random.choice("0123456789") for _ in range(count))

    def member_row(self, serial: int) -> dict[str, Any]:
        surname, surname_roman, _w = self.random.choices(SURNAMES, weights=self._surname_weights)[0]
        (g1, r1), (g2, r2) = self.random.sample(SYLLABLES, 2)
        company, domain = self.random.choice(COMPANIES)
        birth_date = datetime.date(1965, 1, 1) + datetime.timedelta(days=self.random.randrange(365 * 37))
        area = self.random.choice(AREA_CODES)
        row = {
            "login_id": f"{surname_roman}{r1[0]}{r2[0]}{serial}",
            "name": surname + g1 + g2,
            "email": f"{r1}{r2}.{surname_roman}{serial}@{domain}",
            "mobile": self.mobile(serial),
            "company_name": company,
            "department": self.random.choice(DEPARTMENTS),
            "job_title": self.random.choice(JOB_TITLES),
            "employee_number": f"{self.random.randrange(2005, 2026)}{self.digits(4)}",
            "company_phone": f"{area}-{self.random.randrange(200, 999)}-{self.digits(4)}",
            "birth_date": birth_date,
        }
        if self.random.random() < 0.3:
            row["home_address"] = f"{self.random.choice(ADDRESSES)} {self.random.randrange(1, 400)}"
        return row

    @staticmethod
    def mobile(serial: int) -> str:
        """A 010 number that no other serial gets (for serials below MOBILE_SPACE): the serial is spread over
        the assigned subscriber numbers from 2000-0000 to 9999-9999 by a bijection, so numbers look random."""
        number = (serial * MOBILE_STRIDE + MOBILE_OFFSET) % MOBILE_SPACE
        middle = 2000 + number // 10_000
        if middle >= MOBILE_UNASSIGNED[0]:
            middle += MOBILE_UNASSIGNED[1]
        return f"010-{middle}-{number % 10_000:04d}"

    def member_rows(self, count: int, first_serial: int) -> Iterator[dict[str, Any]]:
        for serial in range(first_serial, first_serial + count):
            yield self.member_row(serial)

    def rrn(self, birth_date: datetime.date) -> str:
        """A 주민등록번호 of the pre-2020 kind, with its check digit, for the member's birth date."""
        gender = self.random.choice((1, 2) if birth_date.year < 2000 else (3, 4))
        first12 = f"{birth_date:%y%m%d}{gender}{self.digits(5)}"
        return f"{first12[:6]}-{first12[6:]}{rrn_check_digit(first12, foreigner=False)}"

    def card_number(self) -> str:
        partial = "9410" + self.digits(11)
        return partial + str(luhn_check_digit(partial))
