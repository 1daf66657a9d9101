"""Partner imports (policy §1 수집방법): members created or updated through the members services, the source,
batch and consent reference recorded, bad rows skipped whole and reported, new members invited."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from disclosures.imports import partner_import
from disclosures.models import ImportBatch, ImportedMember, Source
from disclosures.selectors import member_sources
from disclosures.services import registry_entry_save
from members import services as member_services
from members.models import Member

pytestmark = pytest.mark.django_db

GOOD = ("이름,이메일,휴대전화번호,회사명,생년월일,동의참조번호\r\n"
        "김민준,minjun.kim@hangyeol-it.co.kr,010-2000-1234,한결정보기술,1990-05-17,HG-2026-0001\r\n"
        "이서연,seoyeon.lee@hangyeol-it.co.kr,010-2000-5678,한결정보기술,1992-11-03,HG-2026-0002\r\n")


@pytest.fixture
def source(officer):
    return registry_entry_save(entry=Source(name="(주)한결정보기술 인재개발원", consent_method="입과 신청서 서면 동의",
                                            active_from=datetime.date(2024, 1, 1)), actor=officer)


def _import(source, officer, text: str, encoding: str = "utf-8", **kwargs) -> ImportBatch:
    return partner_import(source=source, content=text.encode(encoding), filename="members.csv", actor=officer,
                          base_url="https://learn.example.com/", **kwargs)


def test_an_import_creates_members_through_the_service_and_records_source_batch_and_consent_reference(
        source, officer, mailoutbox, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        batch = _import(source, officer, GOOD)
    # then
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (2, 0, 0)
    member = Member.objects.by_email("minjun.kim@hangyeol-it.co.kr").get()
    assert member.company_name == "한결정보기술"
    assert member.birth_date == datetime.date(1990, 5, 17)
    assert not member.has_usable_password()
    origin = member_sources(member.pk).get()
    assert (origin.source, origin.batch, origin.consent_reference, origin.row_number) == (source, batch,
                                                                                       "HG-2026-0001", 2)
    # and each new member is invited to set a password, after commit
    assert len(mailoutbox) == 2
    assert mailoutbox[0].to == ["minjun.kim@hangyeol-it.co.kr"]
    assert member.login_id in mailoutbox[0].body


def test_no_invitation_leaves_before_the_import_commits(source, officer, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _import(source, officer, GOOD)
    assert mailoutbox == []
    assert len(callbacks) == 2


def test_the_invitation_link_sets_the_password_once(client, source, officer, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        _import(source, officer, GOOD)
    link = re.search(r"https://learn\.example\.com(/accounts/invitation/\S+)", mailoutbox[0].body).group(1)
    # when: Django's flow moves the token into the session, then the form is posted
    form_url = client.get(link).url
    response = client.post(form_url, {"new_password1": "a-long-Passphrase-2026",
                                      "new_password2": "a-long-Passphrase-2026"})
    # then
    assert response.status_code == 302
    member = Member.objects.by_email("minjun.kim@hangyeol-it.co.kr").get()
    assert member.check_password("a-long-Passphrase-2026")
    # and the link does not work a second time
    assert client.get(link).context["validlink"] is False


def test_a_cp949_file_is_read_like_a_utf8_one(source, officer):
    batch = _import(source, officer, GOOD, encoding="cp949")
    assert batch.encoding == "cp949"
    assert Member.objects.by_email("seoyeon.lee@hangyeol-it.co.kr").get().name == "이서연"


def test_bad_rows_are_skipped_whole_and_reported_with_field_and_rule(source, officer):
    text = ("이름,이메일,휴대전화번호,생년월일,동의참조번호\r\n"
            "김민준,minjun.kim@hangyeol-it.co.kr,010-2000-1234,1990-05-17,HG-1\r\n"
            "박지훈,jihoon.park@hangyeol-it.co.kr,010-99,1991-01-01,HG-2\r\n"
            "최유진,yujin.choi@hangyeol-it.co.kr,010-2000-9999,1993-02-30,HG-3\r\n"
            "정하은,haeun.jung@hangyeol-it.co.kr,010-2000-7777,1994-04-04,\r\n")
    batch = _import(source, officer, text)
    assert (batch.created_count, batch.skipped_count) == (1, 3)
    assert [entry["row"] for entry in batch.report] == [3, 4, 5]
    assert "mobile" in batch.report[0]["errors"]
    assert "birth_date" in batch.report[1]["errors"]
    assert "consent_reference" in batch.report[2]["errors"]
    # nothing of a skipped row was saved
    assert not Member.objects.by_email("jihoon.park@hangyeol-it.co.kr").exists()
    assert not Member.objects.by_email("haeun.jung@hangyeol-it.co.kr").exists()
    assert ImportedMember.objects.count() == 1
    assert "010-99" not in str(batch.report)


def test_an_existing_member_is_updated_and_a_withdrawn_one_is_not_imported_again(source, officer):
    existing = member_services.member_create(login_id="minjun01", password=None, name="김민준",
                                             email="minjun.kim@hangyeol-it.co.kr", company_name="옛회사")
    gone = member_services.member_create(login_id="seoyeon01", password=None, name="이서연",
                                         email="seoyeon.lee@hangyeol-it.co.kr")
    Member.objects.filter(pk=gone.pk).update(status="withdrawn", withdrawn_at=datetime.datetime.now(datetime.UTC))
    batch = _import(source, officer, GOOD)
    existing.refresh_from_db()
    assert existing.company_name == "한결정보기술"
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (0, 1, 1)
    assert member_sources(existing.pk).get().action == "updated"
    assert "email" in batch.report[0]["errors"]


@pytest.mark.parametrize(("text", "message"), [
    ("이름,이메일,주민등록번호,동의참조번호\r\n김민준,a@b.co.kr,900101-1234567,X\r\n", "unknown columns"),
    ("이름,휴대전화번호\r\n김민준,010-2000-1234\r\n", "required columns are missing"),
    ("", "empty"),
])
def test_a_file_with_items_the_policy_does_not_collect_or_without_required_columns_is_refused(source, officer,
                                                                                             text, message):
    with pytest.raises(ValidationError) as error:
        _import(source, officer, text)
    assert message in str(error.value)
    assert not ImportBatch.objects.exists()
    assert not Member.objects.exclude(pk=officer.pk).exists()


def test_the_admin_import_page_imports_and_shows_the_report(client, source, officer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(officer)
    upload = SimpleUploadedFile("members.csv", GOOD.encode("cp949"), content_type="text/csv")
    response = client.post("/admin/disclosures/importbatch/add/", {"source": source.pk, "file": upload,
                                                                     "encoding": "auto"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url.endswith(f"/admin/disclosures/importbatch/{batch.pk}/change/")
    assert "HG-2026-0002" in client.get(response.url).content.decode()
