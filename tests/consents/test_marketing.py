"""Marketing (정보통신망법 §50): result notices on commit, the 2-year re-confirmation once per cycle, no night SMS
without its own consent."""

import datetime
import logging
import socket
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from consents import services
from consents.marketing import marketing_may_send, marketing_notices_resend
from consents.models import MarketingNotice
from consents.tasks import marketing_reconfirmation_sweep
from members.models import Member
from tests.consents.factories import sign_up_kwargs, signup_post

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")


def test_an_opt_in_and_an_opt_out_each_send_a_result_notice_on_commit(policy, django_capture_on_commit_callbacks,
                                                                       caplog, notices_by_the_worker):
    # given
    member = services.member_sign_up(**sign_up_kwargs())
    # when: the member opts in to email, then out; and opts in to SMS
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_grant(member=member, item=policy["marketing_email"])
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_withdraw(member=member, item=policy["marketing_email"])
    with caplog.at_level(logging.INFO, logger="consents.sms"), django_capture_on_commit_callbacks(execute=True):
        services.consent_grant(member=member, item=policy["marketing_sms"])
    # then: sender, what was done and the date, by email and by SMS; each notice recorded as sent
    assert len(mail.outbox) == 2
    assert "(주)알파코" in mail.outbox[0].body
    assert "수신 동의" in mail.outbox[0].body
    assert "수신 거부" in mail.outbox[1].body
    assert mail.outbox[1].to == [member.email]
    sms = [r.getMessage() for r in caplog.records if r.name == "consents.sms"]
    assert len(sms) == 1
    assert "광고성 정보 문자(SMS) 수신 동의 - 수신 동의" in sms[0]
    assert member.mobile not in sms[0]  # the log holds the number masked
    assert MarketingNotice.objects.filter(member=member, kind="result", sent_at__isnull=False).count() == 3


def test_no_notice_goes_out_when_the_change_is_rolled_back(policy, django_capture_on_commit_callbacks):
    member = services.member_sign_up(**sign_up_kwargs())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.consent_grant(member=member, item=policy["marketing_email"])
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_the_reconfirmation_is_sent_once_per_member_per_cycle(policy, django_capture_on_commit_callbacks):
    # given: members who opted in to email marketing on 2024-01-15
    with time_machine.travel(datetime.datetime(2024, 1, 15, 10, tzinfo=SEOUL), tick=False):
        members = [services.member_sign_up(**sign_up_kwargs(grant_optional=True)) for _ in range(3)]
    mail.outbox.clear()
    # when: the sweep runs long before the anniversary (it sends the sign-up result notices left unsent here,
    # because the test's transaction never commits)
    with time_machine.travel(datetime.datetime(2025, 6, 1, 10, tzinfo=SEOUL), tick=False):
        early = marketing_reconfirmation_sweep.run(batch_size=2)
    assert early["created"] == 0
    assert early["resent"] == 9
    assert not MarketingNotice.objects.filter(kind="reconfirmation").exists()
    mail.outbox.clear()
    # when: it runs within 30 days of the anniversary, twice (batches of two chain to the next)
    with time_machine.travel(datetime.datetime(2025, 12, 20, 10, tzinfo=SEOUL), tick=False):
        first = marketing_reconfirmation_sweep.run(batch_size=10)
        second = marketing_reconfirmation_sweep.run(batch_size=10)
    # then: one notice per member and marketing consent (email, SMS, night), sent once
    notices = MarketingNotice.objects.filter(kind="reconfirmation")
    assert first["created"] == 9
    assert second["created"] == 0
    assert notices.count() == 9
    assert set(notices.values_list("due_on", flat=True)) == {datetime.date(2026, 1, 15)}
    assert notices.filter(sent_at__isnull=True).count() == 0
    assert len([m for m in mail.outbox if "수신 동의 여부 확인" in m.subject]) == 3
    assert {m.to[0] for m in mail.outbox} == {member.email for member in members}
    # when: the next cycle comes two years later
    with time_machine.travel(datetime.datetime(2027, 12, 25, 10, tzinfo=SEOUL), tick=False):
        third = marketing_reconfirmation_sweep.run(batch_size=10)
    assert third["created"] == 9
    assert set(MarketingNotice.objects.filter(kind="reconfirmation").values_list("due_on", flat=True)) == {
        datetime.date(2026, 1, 15), datetime.date(2028, 1, 15)}


def test_a_withdrawn_consent_gets_no_reconfirmation(policy):
    with time_machine.travel(datetime.datetime(2024, 1, 15, 10, tzinfo=SEOUL), tick=False):
        member = services.member_sign_up(**sign_up_kwargs(grant_optional=True))
        for code in ("marketing_email", "marketing_sms", "marketing_night"):
            services.consent_withdraw(member=member, item=policy[code])
    with time_machine.travel(datetime.datetime(2025, 12, 20, 10, tzinfo=SEOUL), tick=False):
        assert marketing_reconfirmation_sweep.run()["created"] == 0


@pytest.mark.parametrize(("hour", "night_consent", "allowed"), [
    (21, False, False), (23, False, False), (7, False, False), (8, False, True), (20, False, True),
    (22, True, True),
])
def test_night_time_sms_is_refused_without_the_night_consent(policy, hour, night_consent, allowed):
    # given: a member with SMS consent, and the night consent or not
    member = services.member_sign_up(**sign_up_kwargs())
    services.consent_grant(member=member, item=policy["marketing_sms"])
    if night_consent:
        services.consent_grant(member=member, item=policy["marketing_night"])
    at = datetime.datetime(2031, 5, 4, hour, 30, tzinfo=SEOUL)
    # then
    assert marketing_may_send(member, "sms", at) is allowed


def test_nothing_is_sent_without_an_active_consent_and_email_is_exempt_from_night_hours(policy):
    member = services.member_sign_up(**sign_up_kwargs())
    night = datetime.datetime(2031, 5, 4, 23, tzinfo=SEOUL)
    assert marketing_may_send(member, "email", night) is False
    assert marketing_may_send(member, "sms", night.replace(hour=12)) is False
    services.consent_grant(member=member, item=policy["marketing_email"])
    assert marketing_may_send(member, "email", night) is True
    services.consent_withdraw(member=member, item=policy["marketing_email"])
    assert marketing_may_send(member, "email", night) is False


def _refusing_port() -> int:
    """A local port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_sign_up_while_the_mail_server_is_down_succeeds_and_its_notice_waits_for_the_resend(
        client, policy, settings, django_capture_on_commit_callbacks, caplog, notices_by_the_worker):
    # given: the mail server refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _refusing_port()
    # when: a member signs up with the marketing email consent ticked
    with caplog.at_level(logging.ERROR, logger="consents.marketing"), \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_post(grant_optional=True))
    # then: the sign-up goes through (no 500); the notices stay unsent for the daily resend, and the log says why
    assert response.status_code == 302
    member = Member.objects.get()
    notices = MarketingNotice.objects.filter(member=member, kind="result")
    assert notices.exists()
    assert not notices.filter(sent_at__isnull=False, record__item__kind="marketing_email").exists()
    assert any("mail server" in record.getMessage() for record in caplog.records)
    # when: the mail server is back, the daily resend sends them
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert marketing_notices_resend() >= 1
    assert not notices.filter(sent_at__isnull=True).exists()
    assert mail.outbox[-1].to == [member.email]


def test_a_sign_up_opting_in_to_every_marketing_channel_queues_one_task_for_its_notices(
        client, policy, django_capture_on_commit_callbacks, notices_by_the_worker):
    # when: a sign-up with every optional consent ticked (email, SMS and night-time SMS among them)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_post(grant_optional=True))
    # then: one task after commit carries every result notice of the sign-up; the worker sends them, the email one
    # by email
    assert response.status_code == 302
    member = Member.objects.get()
    notices = MarketingNotice.objects.filter(member=member, kind="result")
    assert notices_by_the_worker == [sorted(notices.values_list("pk", flat=True))]
    assert len(notices_by_the_worker[0]) == 3
    assert not notices.filter(sent_at__isnull=True).exists()
    assert [message.to for message in mail.outbox] == [[member.email]]


def test_a_sign_up_while_the_broker_is_down_succeeds_and_its_notices_wait_for_the_resend(
        client, policy, monkeypatch, django_capture_on_commit_callbacks, caplog):
    # given: the broker cannot be reached
    from kombu.exceptions import OperationalError

    from consents.tasks import send_marketing_notices

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_marketing_notices, "delay", unreachable)
    # when
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_post(grant_optional=True))
    # then: the member is signed up (no 500); the notices wait for the daily resend, and the log says why
    assert response.status_code == 302
    member = Member.objects.get()
    assert MarketingNotice.objects.filter(member=member, kind="result", sent_at__isnull=True).count() == 3
    assert any("on_commit" in record.getMessage() and "Connection refused" in record.getMessage()
               for record in caplog.records)
    assert marketing_notices_resend() == 3


@pytest.mark.django_db(transaction=True)
def test_a_changes_task_and_the_daily_resend_at_once_send_each_notice_once(policy, monkeypatch):
    # given: a sign-up's three result notices, unsent, and sending that takes a moment (an SMTP round trip)
    from consents.marketing import marketing_notices_send
    from consents.sms import LoggingSmsSender
    from consents.tasks import send_marketing_notices
    from tests.concurrency import at_once

    queued = []
    monkeypatch.setattr(send_marketing_notices, "delay", queued.append)
    services.member_sign_up(**sign_up_kwargs(grant_optional=True))
    ids = queued[0]
    assert MarketingNotice.objects.filter(pk__in=ids, sent_at__isnull=True).count() == 3
    slow_sms = []
    monkeypatch.setattr(LoggingSmsSender, "send", lambda self, to, body: slow_sms.append(to) or time.sleep(0.3))
    # when: the change's task and the daily resend deliver at the same moment
    results, errors = at_once(lambda: marketing_notices_send(notice_ids=ids), marketing_notices_resend)
    # then: each notice went out once (one email, two SMS), and each is recorded sent once
    assert errors == [None, None]
    assert sum(results) == 3
    assert len(mail.outbox) == 1
    assert len(slow_sms) == 2
    assert MarketingNotice.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 3
