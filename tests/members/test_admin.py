"""Staff see personal values masked in the admin, and find members by exact email through the blind index."""

import base64
import datetime

import pytest
from django.contrib.admin import site
from django.contrib.admin.utils import flatten_fieldsets
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from members import services
from members.models import Course, Member, SensitiveIdentifier, SensitiveIdentifierCorrection
from members.registry import registry
from tests.admin_search import admin_search
from tests.members.factories import CourseFactory, MemberFactory, valid_card_number, valid_rrn

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client():
    officer = MemberFactory(login_id="officer", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(officer)
    return client


def test_member_list_shows_masked_values_never_the_plaintext(officer_client):
    MemberFactory(name="홍길동", email="hong@example.com", mobile="010-1234-5678")
    page = officer_client.get("/admin/members/member/").content.decode()
    assert "홍*동" in page
    assert "ho***@example.com" in page
    assert "010-****-5678" in page
    assert "홍길동" not in page
    assert "hong@example.com" not in page
    assert "010-1234-5678" not in page


def test_member_detail_shows_every_personal_field_masked(officer_client):
    member = MemberFactory(name="홍길동", email="hong@example.com", home_address="서울특별시 강남구 테헤란로 123")
    page = officer_client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "서울특별시 강남구 ***" in page
    assert "테헤란로 123" not in page
    assert "hong@example.com" not in page


def test_search_finds_a_member_by_exact_email_through_the_blind_index(officer_client):
    target = MemberFactory(email="find.me@onnuritel.co.kr")
    MemberFactory()
    searched = officer_client.post("/admin/members/member/search/", {"q": "FIND.ME@onnuritel.co.kr"})
    assert "onnuritel" not in searched["Location"]
    page = officer_client.get(searched["Location"])
    assert list(page.context["cl"].result_list) == [target]


def test_sensitive_identifiers_are_masked_and_read_only(officer_client):
    member = MemberFactory()
    services.sensitive_identifier_record(member=member, kind="rrn", value=valid_rrn(),
                                         legal_basis="employment_insurance_refund")
    identifier = SensitiveIdentifier.objects.get()
    page = officer_client.get("/admin/members/sensitiveidentifier/").content.decode()
    assert f"{identifier.value[:8]}******" in page
    assert identifier.value not in page
    assert officer_client.get(f"/admin/members/sensitiveidentifier/{identifier.pk}/delete/").status_code == 403


def test_staff_without_the_identifier_permission_cannot_open_identifiers():
    staff = MemberFactory(is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/members/sensitiveidentifier/").status_code == 403


# Masking, driven from the declaration: every declared field, on every admin page that shows it


def _sample_rows():
    """One row of every model with declared personal fields, every declared field filled in."""
    officer = MemberFactory(login_id="officer2", is_staff=True, is_superuser=True)
    member = MemberFactory(login_id="sample_member", name="남궁민수", email="namgung.ms@hangyeol-it.co.kr",
                           mobile="010-2345-6789", company_name="가나다라정밀", department="품질보증실",
                           job_title="수석연구위원", employee_number="EMP778812", company_phone="031-765-4321",
                           birth_date=datetime.date(1988, 3, 14), home_address="부산광역시 해운대구 센텀중앙로 97",
                           home_phone="051-912-3456", ipin_ci=base64.b64encode(bytes(range(7, 71))).decode(),
                           ipin_di=base64.b64encode(bytes(range(9, 57))).decode(), password="a-long-Passphrase-2023")
    Member.objects.filter(pk=member.pk).update(last_login=datetime.datetime(2026, 5, 6, 7, 8, tzinfo=datetime.UTC))
    member.refresh_from_db()
    course = CourseFactory(ships_textbook=True, is_sme_core_job=True)
    enrollment = services.enrollment_create(
        member=member, course=course, started_on=datetime.date(2026, 3, 2), ended_on=datetime.date(2026, 4, 30),
        payment_method="naeil_card", applied_ip="211.36.140.17", shipping_address="서울특별시 종로구 세종대로 175",
        shipping_phone="02-3703-1234", rrn=valid_rrn(datetime.date(1988, 3, 14)), card_number=valid_card_number())
    rrn = SensitiveIdentifier.objects.get(member=member, kind="rrn")
    services.sensitive_identifier_correct(identifier=rrn, value=valid_rrn(datetime.date(1988, 3, 15)), actor=officer,
                                          reason="본인 요청으로 오기 정정")
    complaint = services.complaint_receive(member=member, summary="교재 배송 지연 문의")
    rows = [member, *SensitiveIdentifier.objects.filter(member=member), enrollment, complaint,
            *SensitiveIdentifierCorrection.objects.all()]
    return officer, rows


def _spellings(value) -> set[str]:
    """How a raw value could appear on a page."""
    if isinstance(value, datetime.datetime):
        return {value.isoformat(), f"{value:%Y-%m-%d %H:%M}"}
    if isinstance(value, datetime.date):
        return {value.isoformat(), f"{value:%Y년 %-m월 %-d일}", f"{value:%B %-d, %Y}"}
    text = str(value)
    return {text, text.replace("-", ""), escape(text)}


def _shown(columns) -> tuple[set[str], set[str]]:
    """The declared field names a list of admin columns or fields shows raw, and those it shows masked."""
    raw, masked_names = set(), set()
    for column in columns:
        name = column if isinstance(column, str) else getattr(column, "__name__", "")
        if name.startswith("masked_"):
            masked_names.add(name.removeprefix("masked_"))
        else:
            raw.add(name)
    return raw, masked_names


def _pages(model_admin, obj):
    """(page name, url, columns shown) for the list page and the detail page of one row."""
    info = model_admin.model._meta.app_label, model_admin.model._meta.model_name
    request = RequestFactory().get("/")
    request.user = Member(is_staff=True, is_superuser=True)
    yield "list", reverse("admin:{}_{}_changelist".format(*info)), list(model_admin.get_list_display(request))
    yield ("detail", reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
           flatten_fieldsets(model_admin.get_fieldsets(request, obj)))


def test_every_declared_field_is_masked_on_every_admin_page_that_shows_it():
    # given a row of every model with personal fields, every declared field filled in
    officer, rows = _sample_rows()
    client = Client()
    client.force_login(officer)
    checked = set()
    for obj in rows:
        model = type(obj)
        declared = registry.for_model(model)
        # the admins that show this model: its own, and the inlines of other admins
        shown_in = []
        if model in site._registry:
            shown_in += [(name, url, columns) for name, url, columns in _pages(site._registry[model], obj)]
        for parent_model, parent_admin in site._registry.items():
            for inline in parent_admin.inlines:
                if inline.model is model:
                    parent = getattr(obj, next(f.name for f in model._meta.fields
                                               if f.is_relation and f.related_model is parent_model))
                    url = reverse(f"admin:{parent_model._meta.app_label}_{parent_model._meta.model_name}_change",
                                  args=[parent.pk])
                    shown_in.append(("inline", url, list(inline.fields)))
        for page, url, columns in shown_in:
            # when
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="ko")
            assert response.status_code == 200, url
            html = response.content.decode()
            raw, masked_names = _shown(columns)
            for item in declared:
                value = getattr(obj, item.name)
                assert value, f"{item.label} is empty in the sample: fill it in"
                # then: never shown raw, neither as a column nor anywhere in the page
                assert item.name not in raw, f"{item.label} is a raw column on the {page} page {url}"
                for spelling in _spellings(value):
                    assert spelling not in html, f"{item.label} appears unmasked on the {page} page {url}"
                # and where it is shown, it is shown masked
                if item.name in masked_names:
                    assert escape(item.masked(obj)) in html, f"{item.label} masked is missing on {url}"
                    checked.add((item.label, page))
    # every declared, exported field is shown masked on some detail page
    exported = {item.label for obj in rows for item in registry.for_model(type(obj)) if item.exported}
    assert exported <= {label for label, page in checked if page in ("detail", "inline")}


# Search and deletion


@pytest.mark.parametrize("term", ["²", "①", "٣", "１２"])
def test_a_search_for_a_non_ascii_digit_finds_nothing_and_is_no_error(officer_client, term):
    # given
    member = MemberFactory()
    # when
    response = admin_search(officer_client, "/admin/members/member/", term)
    # then
    assert response.status_code == 200
    assert member not in response.context["cl"].result_list


@pytest.mark.parametrize("term", ["²", "①", "٣", "１２"])
def test_get_search_results_checks_for_ascii_digits_before_reading_a_member_number(term):
    # given
    member = MemberFactory()
    request = RequestFactory().get("/admin/members/member/", {"q": term})
    request.user = member
    model_admin = site._registry[Member]
    # when
    found, may_have_duplicates = model_admin.get_search_results(request, Member.objects.all(), term)
    number, _ = model_admin.get_search_results(request, Member.objects.all(), str(member.pk))
    # then
    assert list(found) == []
    assert may_have_duplicates is False
    assert list(number) == [member]


def test_a_member_cannot_be_deleted_in_the_admin_even_by_a_superuser(officer_client):
    # given
    member = MemberFactory()
    # when
    page = officer_client.get(f"/admin/members/member/{member.pk}/delete/")
    action = officer_client.post("/admin/members/member/", {"action": "delete_selected",
                                                            "_selected_action": [member.pk], "post": "yes"})
    listing = officer_client.get("/admin/members/member/")
    # then
    assert page.status_code == 403
    assert action.status_code in (200, 302)
    assert Member.objects.filter(pk=member.pk).exists()
    action_form = listing.context["action_form"]
    assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices)


def test_the_course_admin_refuses_control_characters_in_a_title(officer_client):
    # given / when
    response = officer_client.post("/admin/members/course/add/", {"code": "refund-excel", "title": "엑셀\x1b 실무"},
                                   HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title"] == [
        "Title: must not contain control characters (such as NUL, escape or direction overrides)."
    ]
    assert not Course.objects.exists()


def test_list_filters_are_headed_in_plain_korean(officer_client):
    # Django's Korean catalogue heads a filter "상태 (으)로", leaving the reader to choose the particle.
    MemberFactory()
    page = officer_client.get("/admin/members/member/", headers={"accept-language": "ko"}).content.decode()
    assert "상태 기준" in page
    assert "(으)로" not in page
