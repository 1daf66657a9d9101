"""Partner imports (policy §1 수집방법): members created or updated through the members services, the source,
batch and consent reference recorded, bad rows skipped whole and reported, new members invited."""

import datetime
import logging
import re

import pytest
from django.core.exceptions import ValidationError

from disclosures.imports import partner_import
from disclosures.models import ImportBatch, ImportedMember
from disclosures.selectors import member_sources
from disclosures.tasks import send_invitations
from members import services as member_services
from members.models import Member

pytestmark = pytest.mark.django_db

GOOD = ("이름,이메일,휴대전화번호,회사명,생년월일,동의참조번호\r\n"
        "김민준,minjun.kim@hangyeol-it.co.kr,010-2000-1234,한결정보기술,1990-05-17,HG-2026-0001\r\n"
        "이서연,seoyeon.lee@hangyeol-it.co.kr,010-2000-5678,한결정보기술,1992-11-03,HG-2026-0002\r\n")


def _import(source, officer, text: str, encoding: str = "utf-8", **kwargs) -> ImportBatch:
    return partner_import(source=source, content=text.encode(encoding), filename="members.csv", actor=officer,
                          base_url="https://learn.example.com/", **kwargs)


def _invite(batch: ImportBatch) -> dict:
    """The invitation task, run here as the worker runs it (tests/members/test_worker.py runs one for real)."""
    return send_invitations.apply(args=(batch.pk, "https://learn.example.com/")).get()


def test_an_import_creates_members_through_the_service_and_records_source_batch_and_consent_reference(
        source, officer, mailoutbox):
    # when
    batch = _import(source, officer, GOOD)
    _invite(batch)
    # then
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (2, 0, 0)
    member = Member.objects.by_email("minjun.kim@hangyeol-it.co.kr").get()
    assert member.company_name == "한결정보기술"
    assert member.birth_date == datetime.date(1990, 5, 17)
    assert not member.has_usable_password()
    origin = member_sources(member.pk).get()
    assert (origin.source, origin.batch, origin.consent_reference, origin.row_number) == (source, batch,
                                                                                       "HG-2026-0001", 2)
    # and each new member is invited to set a password, and the row says when
    assert len(mailoutbox) == 2
    assert mailoutbox[0].to == ["minjun.kim@hangyeol-it.co.kr"]
    assert member.login_id in mailoutbox[0].body
    assert member_sources(member.pk).get().invited_at is not None


def test_no_invitation_leaves_before_the_import_commits_and_one_task_sends_them_all(
        source, officer, mailoutbox, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = _import(source, officer, _file(30))
    # then: nothing is sent inside the import's transaction; one task is queued for the whole file, on commit
    assert mailoutbox == []
    assert len(callbacks) == 1
    assert ImportedMember.objects.filter(invited_at__isnull=False).count() == 0
    # and the task sends each invitation once, however often it runs
    assert _invite(batch) == {"sent": 30, "more": False}
    assert _invite(batch) == {"sent": 0, "more": False}
    assert len(mailoutbox) == 30
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(f"member{n}@hangyeol-it.co.kr" for n in range(30))
    assert ImportedMember.objects.filter(invited_at__isnull=True).count() == 0


def test_invitations_go_in_bounded_runs_and_skip_a_member_who_left(source, officer, mailoutbox):
    # given: 5 created members, one of whom left before the invitations went
    from disclosures.imports import invitations_send

    batch = _import(source, officer, _file(5))
    gone = Member.objects.by_email("member4@hangyeol-it.co.kr").get()
    Member.objects.filter(pk=gone.pk).update(status="withdrawn", withdrawn_at=datetime.datetime.now(datetime.UTC))
    # when / then: two at a time, until none is left
    runs = [invitations_send(batch_id=batch.pk, base_url="https://x/", limit=2) for _ in range(3)]
    assert runs == [(2, True), (2, False), (0, False)]
    assert len(mailoutbox) == 4
    assert "member4@hangyeol-it.co.kr" not in [mail.to[0] for mail in mailoutbox]


def test_an_import_that_creates_nobody_queues_no_invitation(source, officer, django_capture_on_commit_callbacks):
    member_services.member_create(login_id="minjun01", password=None, name="김민준",
                                  email="minjun.kim@hangyeol-it.co.kr")
    member_services.member_create(login_id="seoyeon01", password=None, name="이서연",
                                  email="seoyeon.lee@hangyeol-it.co.kr")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _import(source, officer, GOOD)
    assert callbacks == []


def test_the_invitation_link_sets_the_password_once(client, source, officer, mailoutbox):
    # given
    _invite(_import(source, officer, GOOD))
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


# --- a partner file of many members is written in batches (the scale issue) ---------------------------------

HEADER = "이름,이메일,휴대전화번호,로그인ID,동의참조번호\r\n"


def _file(count: int, first: int = 0) -> str:
    return HEADER + "".join(f"김민준,member{n}@hangyeol-it.co.kr,010-3{n:03d}-{n:04d},,HG-{n}\r\n"
                            for n in range(first, first + count))


def _statements(source, officer, text: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _import(source, officer, text)
    return [query["sql"] for query in captured.captured_queries]


def test_an_imports_statements_do_not_grow_with_the_number_of_new_members(source, officer):
    # when
    few = _statements(source, officer, _file(5))
    many = _statements(source, officer, _file(60, first=100))
    # then: the batch asks the database the same questions for 60 new members as for 5
    assert len(many) == len(few), (len(few), len(many))
    assert Member.objects.count() == 1 + 65
    assert sum(sql.startswith(("INSERT INTO \"members_member\"", "COPY")) for sql in many) == 1


def test_new_members_of_a_batch_each_get_a_login_id_and_an_unusable_password_of_their_own(source, officer):
    # when
    batch = _import(source, officer, _file(30))
    # then
    members = list(Member.objects.exclude(pk=officer.pk))
    assert batch.created_count == len(members) == 30
    assert len({member.login_id for member in members}) == 30
    assert all(member.login_id.startswith(f"member{member.email[6:].split('@')[0]}_") for member in members)
    assert len({member.password for member in members}) == 30
    assert not any(member.has_usable_password() for member in members)


def test_a_bad_row_in_a_batch_is_skipped_whole_and_the_others_are_created(source, officer):
    # given: a wrong mobile number and a login ID an earlier row of the batch takes
    text = (HEADER + "김민준,a1@hangyeol-it.co.kr,010-3000-0001,minjun01,HG-1\r\n"
                     "박지훈,a2@hangyeol-it.co.kr,010-99,,HG-2\r\n"
                     "최유진,a3@hangyeol-it.co.kr,010-3000-0003,MINJUN01,HG-3\r\n"
                     "정하은,a4@hangyeol-it.co.kr,010-3000-0004,,HG-4\r\n")
    # when
    batch = _import(source, officer, text)
    # then: each refused row reported under its field, as member_create words it, without the value
    assert (batch.created_count, batch.skipped_count) == (2, 2)
    assert [entry["row"] for entry in batch.report] == [3, 4]
    assert list(batch.report[0]["errors"]) == ["mobile"]
    assert list(batch.report[1]["errors"]) == ["login_id"]
    messages = [message for entry in batch.report for found in entry["errors"].values() for message in found]
    assert all(isinstance(message, str) and not message.startswith("[") for message in messages), messages
    assert "010-99" not in str(batch.report)
    assert not Member.objects.by_email("a2@hangyeol-it.co.kr").exists()
    assert not Member.objects.by_email("a3@hangyeol-it.co.kr").exists()
    assert Member.objects.by_login_id("minjun01").get().email == "a1@hangyeol-it.co.kr"
    assert ImportedMember.objects.count() == 2


def test_a_login_id_left_by_a_refused_row_is_free_for_a_later_one(source, officer):
    text = (HEADER + "김민준,b1@hangyeol-it.co.kr,010-99,minjun01,HG-1\r\n"
                     "최유진,b2@hangyeol-it.co.kr,010-3000-0002,minjun01,HG-2\r\n")
    batch = _import(source, officer, text)
    assert (batch.created_count, batch.skipped_count) == (1, 1)
    assert Member.objects.by_login_id("minjun01").get().email == "b2@hangyeol-it.co.kr"


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_a_later_row_with_the_same_email_updates_the_member_an_earlier_row_created(source, officer, monkeypatch,
                                                                                  batch_size):
    # given: the same person twice in one file (in one batch, or in two)
    monkeypatch.setattr("disclosures.imports.IMPORT_BATCH", batch_size)
    text = ("이름,이메일,회사명,동의참조번호\r\n"
            "김민준,minjun.kim@hangyeol-it.co.kr,옛회사,HG-1\r\n"
            "이서연,seoyeon.lee@hangyeol-it.co.kr,한결정보기술,HG-2\r\n"
            "김민준,Minjun.Kim@hangyeol-it.co.kr,한결정보기술,HG-3\r\n")
    # when
    batch = _import(source, officer, text)
    # then: as the rows read one after the other
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (2, 1, 0)
    member = Member.objects.by_email("minjun.kim@hangyeol-it.co.kr").get()
    assert member.company_name == "한결정보기술"
    assert [(row.row_number, row.action) for row in member_sources(member.pk).order_by("row_number")] == [
        (2, "created"), (4, "updated")]


def test_a_drawn_login_id_never_repeats_a_saved_one(source, officer, monkeypatch):
    # given: the random suffix draws a saved login ID first, then a free one
    member_services.member_create(login_id="member0_00007", password=None, name="김민준",
                                  email="someone@example.com")
    draws = iter([7, 7, 8])
    monkeypatch.setattr("disclosures.imports.secrets.randbelow", lambda _n: next(draws))
    # when
    _import(source, officer, _file(2))
    # then
    assert Member.objects.by_email("member0@hangyeol-it.co.kr").get().login_id == "member0_00008"
    assert Member.objects.by_email("member1@hangyeol-it.co.kr").get().login_id == "member1_00007"


def test_a_member_saved_by_another_import_after_the_batch_check_is_a_reported_row_not_a_server_error(
        source, officer, monkeypatch):
    # given: another transaction saves the same person between the batch's check and its write
    from members import bulk

    checked = bulk.batch_errors

    def check_then_race(model, instances, *args, **kwargs):
        found = checked(model, instances, *args, **kwargs)
        if model is Member and not Member.objects.by_email("racer@hangyeol-it.co.kr").exists():
            member_services.member_create(login_id="racer01", password=None, name="김민준",
                                          email="racer@hangyeol-it.co.kr")
        return found

    monkeypatch.setattr(bulk, "batch_errors", check_then_race)
    text = (HEADER + "김민준,racer@hangyeol-it.co.kr,010-3000-0001,,HG-1\r\n"
                     "이서연,seoyeon.lee@hangyeol-it.co.kr,010-3000-0002,,HG-2\r\n")
    # when
    batch = _import(source, officer, text)
    # then: the clashing row is skipped and reported under its field; the other row is created
    assert (batch.created_count, batch.skipped_count) == (1, 1)
    assert list(batch.report[0]["errors"]) == ["email"]
    assert Member.objects.by_email("seoyeon.lee@hangyeol-it.co.kr").exists()
    assert Member.objects.by_email("racer@hangyeol-it.co.kr").get().login_id == "racer01"


def test_the_import_page_says_in_korean_whether_each_invitation_has_left(client, source, officer):
    # given
    batch = _import(source, officer, GOOD)
    client.force_login(officer)
    url = f"/admin/disclosures/importbatch/{batch.pk}/change/"
    # when / then
    before = client.get(url, headers={"accept-language": "ko"}).content.decode()
    assert before.count("아직 보내지 않음") == 2
    _invite(batch)
    after = client.get(url, headers={"accept-language": "ko"}).content.decode()
    assert "초대 메일 발송 시각" in after
    assert "아직 보내지 않음" not in after


def test_the_import_page_reports_skipped_rows_in_korean_and_its_title_in_local_time(client, source, officer):
    # given: an import at 10:51 UTC, 19:51 in Seoul, with a refused mobile number
    import time_machine

    text = HEADER + "박지훈,jihoon.park@hangyeol-it.co.kr,010-99,,HG-2\r\n"
    from django.utils import translation

    with time_machine.travel(datetime.datetime(2026, 11, 29, 10, 51, tzinfo=datetime.UTC)), \
            translation.override("ko"):  # the officer's request: the report is worded in its language
        batch = _import(source, officer, text)
    client.force_login(officer)
    # when
    page = client.get(f"/admin/disclosures/importbatch/{batch.pk}/change/",
                      headers={"accept-language": "ko"}).content.decode()
    # then: the message names the field in Korean; the code's field name is not shown
    skipped = re.search(r"<tr><th>2</th><td>(.*?)</td></tr>", page, re.S).group(1)
    assert skipped.startswith("휴대전화번호")
    assert "mobile" not in skipped
    assert str(batch).endswith("2026-11-29 19:51")


def test_a_staff_member_who_may_only_view_imports_cannot_import_and_reads_them(client, source, officer):
    # given: a clerk with the view permission on imports only, and an import made by the officer
    from django.contrib.auth.models import Permission
    from django.core.files.uploadedfile import SimpleUploadedFile

    batch = _import(source, officer, GOOD)
    clerk = member_services.member_create(login_id="clerk01", password=None, name="박서준",
                                          email="clerk@alpaco.co.kr", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_importbatch"))
    client.force_login(clerk)
    # when: the clerk posts a file, and reads the import
    upload = SimpleUploadedFile("members.csv", _file(3).encode(), content_type="text/csv")
    posted = client.post("/admin/disclosures/importbatch/add/", {"source": source.pk, "file": upload,
                                                                 "encoding": "auto"})
    page = client.get(f"/admin/disclosures/importbatch/{batch.pk}/change/", headers={"accept-language": "ko"})
    # then: nothing imported; the import is shown read-only
    assert posted.status_code == 302
    assert ImportBatch.objects.count() == 1
    assert not Member.objects.by_email("member0@hangyeol-it.co.kr").exists()
    assert page.status_code == 200
    assert "아직 보내지 않음" in page.content.decode()


# --- invitations when the broker or the mail server is away -----------------------------------------------

def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")


def test_an_import_while_the_broker_is_down_stands_and_its_invitations_wait(
        client, source, officer, monkeypatch, django_capture_on_commit_callbacks, caplog):
    # given: the broker cannot be reached
    from kombu.exceptions import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_invitations, "delay", unreachable)
    client.force_login(officer)
    # when: the officer imports a file
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/disclosures/importbatch/add/", {"source": source.pk, "file": _upload(GOOD),
                                                                         "encoding": "auto"})
    # then: the import stands and its page opens (no 500); the invitations are "not yet sent"; the log says why
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url.endswith(f"/admin/disclosures/importbatch/{batch.pk}/change/")
    assert batch.created_count == 2
    assert ImportedMember.objects.filter(batch=batch, invited_at__isnull=True).count() == 2
    assert "아직 보내지 않음" in client.get(response.url, headers={"accept-language": "ko"}).content.decode()
    assert any("on_commit" in record.getMessage() and "Connection refused" in record.getMessage()
               for record in caplog.records)


def test_the_officer_queues_an_imports_unsent_invitations_again(
        client, source, officer, mailoutbox, django_capture_on_commit_callbacks):
    # given: an import whose invitations never left, and one whose invitations did
    waiting = _import(source, officer, GOOD)
    sent = _import(source, officer, _file(2))
    _invite(sent)
    mailoutbox.clear()
    client.force_login(officer)
    # when: the officer selects both and sends the invitations not yet sent
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/admin/disclosures/importbatch/", {
            "action": "invite", "_selected_action": [waiting.pk, sent.pk]}, headers={"accept-language": "ko"},
            follow=True)
    # then: one task is queued, for the import that has invitations left; the officer is told in Korean
    assert len(callbacks) == 1
    assert "가져오기 1건의 초대 메일을 발송 대기열에 넣었습니다" in response.content.decode()
    # and the worker sends those invitations once
    assert _invite(waiting) == {"sent": 2, "more": False}
    assert sorted(mail.to[0] for mail in mailoutbox) == ["minjun.kim@hangyeol-it.co.kr",
                                                         "seoyeon.lee@hangyeol-it.co.kr"]


def test_a_staff_member_who_may_only_view_imports_cannot_queue_invitations(
        client, source, officer, django_capture_on_commit_callbacks):
    # given
    from django.contrib.auth.models import Permission

    batch = _import(source, officer, GOOD)
    clerk = member_services.member_create(login_id="clerk02", password=None, name="박서준",
                                          email="clerk2@alpaco.co.kr", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_importbatch"))
    client.force_login(clerk)
    # when: the clerk reads the list, and posts the action anyway
    page = client.get("/admin/disclosures/importbatch/", headers={"accept-language": "ko"}).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        posted = client.post("/admin/disclosures/importbatch/", {"action": "invite",
                                                                 "_selected_action": [batch.pk]})
    # then: no such action is offered or run
    assert "초대 메일 보내기" not in page
    assert posted.status_code in (200, 302)
    assert callbacks == []


def test_a_read_only_record_page_is_titled_in_plain_korean(client, source, officer):
    # Django's Korean catalogue titles a record the user may only view "뷰 제휴사 회원정보 가져오기".
    batch = _import(source, officer, GOOD)
    client.force_login(officer)
    page = client.get(f"/admin/disclosures/importbatch/{batch.pk}/change/",
                      headers={"accept-language": "ko"}).content.decode()
    assert "| 제휴사 회원정보 가져오기 조회 |" in page
    assert "뷰 " not in page
